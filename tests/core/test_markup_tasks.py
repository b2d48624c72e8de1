"""Markdown task lists in notes: boxes, inert."""

from __future__ import annotations

from csdesk.note_markup import TASK_DONE, TASK_OPEN, plain_preview, render_markdown

NOTE = "Próximos passos:\n\n- [ ] ligar para a Ana\n- [x] enviar a proposta\n- [X] revisar contrato\n- item comum\n"


def test_task_list_items_render_as_boxes():
    html = render_markdown(NOTE)
    assert "[ ]" not in html and "[x]" not in html and "[X]" not in html
    assert f"{TASK_OPEN}</span> ligar para a Ana" in html
    assert f"{TASK_DONE}</span> enviar a proposta" in html
    assert f"{TASK_DONE}</span> revisar contrato" in html
    assert html.count('<li class="task">') == 3
    assert "<li>item comum</li>" in html


def test_task_boxes_are_inert_text():
    html = render_markdown(
        "- [ ] <input type=checkbox onclick=alert(1)> <script>x()</script>\n- [x] [site](javascript:x)"
    )
    assert "<input" not in html and "<script" not in html and "href" not in html
    assert TASK_OPEN in html and TASK_DONE in html


def test_brackets_elsewhere_stay_text():
    html = render_markdown("not [ ] a task\n\n- item with [x] inside\n\n- [y] no\n")
    assert TASK_OPEN not in html and TASK_DONE not in html
    assert "not [ ] a task" in html and "item with [x] inside" in html and "[y] no" in html


def test_previews_show_the_box():
    assert plain_preview("- [ ] ligar para a Ana") == f"{TASK_OPEN} ligar para a Ana"
    assert plain_preview("  * [x] proposta") == f"{TASK_DONE} proposta"
