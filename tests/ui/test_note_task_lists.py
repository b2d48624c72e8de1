"""A note's Markdown task list, as the timeline's reading pane shows it."""

from __future__ import annotations

from csdesk.note_markup import TASK_DONE, TASK_OPEN, render_markdown
from ui.timeline.notes import SafeTextBrowser


def test_the_reading_pane_shows_task_lists_as_boxes(qtbot):
    view = SafeTextBrowser()
    qtbot.addWidget(view)
    view.setHtml(render_markdown("Combinado:\n\n- [ ] ligar para a Ana\n- [x] enviar a proposta\n"))
    lines = [line.strip() for line in view.toPlainText().splitlines() if line.strip()]
    assert f"{TASK_OPEN} ligar para a Ana" in lines[1]
    assert f"{TASK_DONE} enviar a proposta" in lines[2]
    assert "[ ]" not in view.toPlainText() and "[x]" not in view.toPlainText()
    assert view.isReadOnly()  # a box is text: nothing to click, nothing runs
