"""The document kinds are listed once (csdesk.document_kinds): the CLI, the templates and the menu read it."""

from __future__ import annotations

import argparse

import pytest

from csdesk import documents, i18n, templates
from csdesk.document_kinds import BY_KEY, DOCUMENT_KINDS, kind_of

NAMES = [k.name for k in DOCUMENT_KINDS]


def _parser() -> argparse.ArgumentParser:
    from cli.commands import documents as doc_command
    from cli.commands import templates as templates_command

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    doc_command.add_commands(sub)
    templates_command.add_commands(sub)
    return parser


def test_the_doc_command_offers_every_kind_and_only_those(capsys):
    parser = _parser()
    for name in NAMES:
        assert parser.parse_args(["doc", name, "1"]).kind == name
    with pytest.raises(SystemExit):
        parser.parse_args(["doc", "newsletter", "1"])
    with pytest.raises(SystemExit):
        parser.parse_args(["doc", "--help"])
    assert " | ".join(NAMES) in " ".join(capsys.readouterr().out.split())


def test_templates_and_the_builder_know_the_same_kinds():
    assert templates.KINDS == tuple(BY_KEY)
    assert set(documents.DOC_KINDS) == set(NAMES)
    assert set(documents.FORMATS) == set(BY_KEY)
    assert kind_of("success-plan") is kind_of("success_plan") is BY_KEY["success_plan"]
    assert kind_of("newsletter") is None


def test_every_kind_has_a_built_in_template_and_pt_br_labels():
    catalog = i18n.catalog("pt_BR")
    for kind in DOCUMENT_KINDS:
        for language in i18n.LANGUAGES:
            assert templates.builtin_path(kind.key, language).exists()
        for text in (kind.label, kind.menu_label, kind.file_prefix):
            assert text in catalog, text


def test_the_documents_menu_has_one_entry_per_kind(qtbot, context):
    from PySide6.QtWidgets import QWidget

    from ui.documents.actions import DocumentActions

    parent = QWidget()
    qtbot.addWidget(parent)
    actions = DocumentActions(context, lambda: None, parent)
    texts = [a.text() for a in actions.actions()]
    assert texts[: len(DOCUMENT_KINDS)] == [i18n.tr(k.menu_label) for k in DOCUMENT_KINDS]
    assert len(texts) == len(DOCUMENT_KINDS) + 1  # and the health score's switch
