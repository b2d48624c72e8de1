"""Notes are Markdown; this turns them into HTML that is safe to show.

Raw HTML in a note is escaped (markdown-it's ``html`` option off), links keep
only http(s) and mailto targets, and images never load: each becomes its alt
text, so nothing remote is fetched and nothing in a note can run.
"""

from __future__ import annotations

import html
import re
from functools import cache

from markdown_it import MarkdownIt

SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def is_safe_link(url: str) -> bool:
    """Only web and mail links; relative ones (no scheme) and fragments go nowhere, so they are dropped too."""
    match = _SCHEME.match(url.strip())
    return bool(match) and match.group(1).lower() in SAFE_SCHEMES


@cache
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = is_safe_link  # type: ignore[method-assign]

    def image(renderer, tokens, idx, options, env):
        token = tokens[idx]
        alt = "".join(child.content for child in token.children or []) or token.content
        return f"<span>[{html.escape(alt or 'image')}]</span>"

    md.add_render_rule("image", image)
    md.core.ruler.push("task_lists", _task_lists)
    md.add_render_rule("task_box", _task_box)
    md.enable("table")
    md.enable("strikethrough")
    return md


_TASK = re.compile(r"^\[([ xX])\](?:\s+|$)")
TASK_OPEN, TASK_DONE = "☐", "☑"


def _task_lists(state) -> None:
    """``- [ ] item`` / ``- [x] item``: the item starts with a box, never a form control.

    The box is a character, not an ``<input>``: the note viewer runs nothing, and
    a ticked box is text, so nothing in a note can change it by a click.
    """
    from markdown_it.token import Token

    tokens = state.tokens
    for i in range(2, len(tokens)):
        inline = tokens[i]
        if (
            inline.type != "inline"
            or tokens[i - 1].type != "paragraph_open"
            or tokens[i - 2].type != "list_item_open"
            or not inline.children
            or inline.children[0].type != "text"
        ):
            continue
        first = inline.children[0]
        match = _TASK.match(first.content)
        if not match:
            continue
        first.content = first.content[match.end() :]
        box = Token("task_box", "", 0)
        box.meta = {"done": match.group(1) != " "}
        inline.children.insert(0, box)
        tokens[i - 2].attrSet("class", "task")


def _task_box(renderer, tokens, idx, options, env) -> str:
    return f'<span class="task-box">{TASK_DONE if tokens[idx].meta["done"] else TASK_OPEN}</span> '


def render_markdown(text: str | None) -> str:
    """Safe HTML for a Markdown note ('' for nothing)."""
    if not text:
        return ""
    return _renderer().render(text)


_TASK_LINE = re.compile(r"^(\s*[-*+]\s+)\[([ xX])\]")
_MD_NOISE = re.compile(r"[*_`#>~]|!\[|\]\([^)]*\)|\[")


def plain_preview(text: str | None, length: int = 160) -> str:
    """The first line of a note without Markdown marks, for one-line previews."""
    if not text:
        return ""
    for line in text.splitlines():
        line = _TASK_LINE.sub(lambda m: m.group(1) + (TASK_OPEN if m.group(2) == " " else TASK_DONE), line)
        line = _MD_NOISE.sub("", line).strip(" -\t")
        if line:
            return line if len(line) <= length else line[: length - 1] + "…"
    return ""
