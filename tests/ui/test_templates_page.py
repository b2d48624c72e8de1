"""The Templates page: deleting asks first; Jinja's mistakes explained in the UI language."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from csdesk import i18n, templates
from csdesk.templates import TemplateRenderError, render


@pytest.fixture
def page(qtbot, context):
    from ui.templates.page import TemplatesPage

    page = TemplatesPage(context)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: "Padaria Pitanga" in page.preview_text(), timeout=5000)
    page.duplicate()  # an editable copy of the first built-in template
    assert not page.current.builtin
    yield page
    job = page.render_job
    if job is not None and job.running:
        job.cancel()  # waited for with every other job by conftest's background_jobs_end_with_their_test


def user_templates(db, current):
    return [t for t in templates.list_templates(db, current.kind, current.language) if not t.builtin]


def test_delete_asks_and_no_keeps_the_template(page, context, monkeypatch):
    asked = []

    def no(_parent, _title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", no)
    copy = page.current
    page.delete_button.click()
    assert asked and copy.name in asked[0]
    assert [t.name for t in user_templates(context.db, copy)] == [copy.name]

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.delete_button.click()
    assert user_templates(context.db, copy) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{{ conta.nome }}", "Linha 1: “conta” não existe: confira a grafia ou use Inserir campo"),
        ("{{ account.nome }}", "Linha 1: “nome” não existe aqui: confira a grafia depois do ponto"),
        ("{{ account.name }", "Linha 1: erro de sintaxe: “}” inesperado"),
        ("a\n{% if x %}abc", "Linha 2: o modelo termina com “if” ainda aberto: acrescente {% endif %}"),
        ("{% for a in b %}x{% endif %}", "Linha 1: “endif” não fecha o “for” aberto: use {% endfor %}"),
        ("{{ a b }}", "Linha 1: erro de sintaxe: esperava “}}”, encontrou “b”"),
        ("{{ x|nope }}", "Linha 1: não existe filtro chamado “nope”"),
        ("{% foo %}", "Linha 1: tag desconhecida “foo”"),
    ],
)
def test_common_jinja_mistakes_in_portuguese(body, expected):
    i18n.set_language("pt_BR")
    with pytest.raises(TemplateRenderError) as info:
        templates.check_syntax(body)
        render(body, {"account": {"name": "Padaria"}}, "pt_BR")
    assert str(info.value) == expected


def test_unknown_jinja_messages_pass_through():
    assert templates.jinja_message("something new and strange") == "something new and strange"


def test_the_page_shows_the_translated_error(qtbot, page):
    i18n.set_language("pt_BR")
    page.editor.setPlainText("# Olá\n{{ conta.nome }}\n")
    page.render_preview()
    qtbot.waitUntil(lambda: "não existe" in page.error_label.text(), timeout=5000)
    assert page.error_label.text().startswith("Linha 2:")
