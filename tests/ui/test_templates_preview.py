"""The Templates page's preview within the template limits: stopped by Stop or by a new edit."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from csdesk import templates
from csdesk.templates import Limits

# Ten billion loop turns: it only ends when something stops it.
ENDLESS = "# Slow\n{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}{% endfor %}\n"
UNLIMITED = Limits(seconds=3600, steps=10**12)


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
    if job is not None and job.running:  # never leave a render behind
        job.cancel()  # it may also finish on its own meanwhile: wait for the state, not the signal
        qtbot.waitUntil(lambda: not job.running, timeout=10000)


def test_stop_interrupts_a_render_that_would_not_end(qtbot, page):
    page.limits = UNLIMITED
    page.editor.setPlainText(ENDLESS)
    page.render_preview()
    job = page.render_job
    assert job.running and page.stop_button.isEnabled()
    with qtbot.waitSignal(job.cancelled, timeout=10000), qtbot.waitSignal(page.previewStopped, timeout=10000):
        qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    assert not job.running and not page.stop_button.isEnabled()
    assert page.error_label.text() == "Preview stopped."


def test_a_new_edit_supersedes_the_running_preview(qtbot, page):
    page.limits = UNLIMITED
    page.editor.setPlainText(ENDLESS)
    page.render_preview()
    slow = page.render_job
    with (
        qtbot.waitSignal(slow.cancelled, timeout=10000),
        qtbot.waitSignal(page.previewRendered, timeout=10000),
    ):
        page.editor.setPlainText("# Quick {{ account.name }}\n")
        page.render_preview()
    assert page.render_job is not slow and not slow.running
    assert "Quick Padaria Pitanga" in page.preview_text()
    assert page.error_label.text() == ""  # replaced, not "stopped"


def test_typing_restarts_the_preview_and_cancels_the_running_one(qtbot, page):
    page.limits = UNLIMITED
    page.editor.setPlainText(ENDLESS)
    page.render_preview()
    slow = page.render_job
    with qtbot.waitSignal(slow.cancelled, timeout=10000):
        page.editor.setPlainText("# Typed {{ account.name }}\n")  # the preview timer fires
        qtbot.waitUntil(lambda: page.render_job is not slow, timeout=5000)
    qtbot.waitUntil(lambda: "Typed Padaria Pitanga" in page.preview_text(), timeout=5000)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            "ok\n{% for a in 'x' * 1000 %}{% for b in 'x' * 1000 %}{% endfor %}{% endfor %}\n",
            "repeats too much",
        ),
        ("ok\nok\n{{ ('x' * 100000)|replace('x', 'x' * 3000) }}\n", "longer than"),
    ],
)
def test_a_template_over_its_limits_shows_one_line_naming_the_line(qtbot, page, body, words):
    page.limits = Limits(steps=10_000)
    page.editor.setPlainText(body)
    page.render_preview()
    line = body.count("\n")
    qtbot.waitUntil(lambda: page.error_label.text().startswith(f"Line {line}:"), timeout=10000)
    text = page.error_label.text()
    assert words in text and "\n" not in text
    assert not page.stop_button.isEnabled()


def test_the_real_limits_let_every_builtin_template_preview(qtbot, page):
    assert page.limits == templates.LIMITS
    for row in range(page.model.rowCount()):
        if page.model.items[row].builtin:
            with qtbot.waitSignal(page.previewRendered, timeout=10000):
                page.list.setCurrentIndex(page.model.index(row, 0))
            assert "Padaria Pitanga" in page.preview_text() and page.error_label.text() == ""
