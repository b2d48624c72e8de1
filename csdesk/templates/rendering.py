"""Compiling and rendering a template, and its errors as one line naming the template's line."""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.sandbox import SecurityError

from csdesk import i18n
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.progress import Progress
from csdesk.templates.sandbox import LIMITS, BudgetExceeded, Limits, _active, _Budget, environment


class TemplateRenderError(UserError):
    """A template that cannot render: the message names the line and what is wrong."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        self.detail = message
        text = tr("Line {line}: {message}", line=line, message=message) if line else message
        super().__init__(text)


def _error_line(exc: BaseException) -> int | None:
    if isinstance(exc, TemplateSyntaxError):
        return exc.lineno
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == "<template>":
            line = lineno
    return line


def _suspended_line(template: Any, generator: Any) -> int | None:
    """The template line a paused render is at (where its last text came from)."""
    line = None
    while generator is not None:
        frame = getattr(generator, "gi_frame", None)
        if frame is not None and frame.f_code.co_filename == "<template>":
            line = template.get_corresponding_lineno(frame.f_lineno)
        generator = getattr(generator, "gi_yieldfrom", None)
    return line


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BudgetExceeded):
        return str(exc)
    if isinstance(exc, SecurityError):
        return tr("not allowed in a template ({detail})", detail=str(exc))
    if isinstance(exc, TypeError) and "no loader" in str(exc):
        return tr("templates cannot include or import other files")
    if isinstance(exc, TemplateError):
        return jinja_message(exc.message or type(exc).__name__)
    if isinstance(exc, ZeroDivisionError):
        return tr("division by zero")
    return f"{type(exc).__name__}: {exc}"


# Jinja's own tokens, as the user typed them (the same in every language).
_TOKENS = {
    "end of print statement": "}}",
    "begin of print statement": "{{",
    "end of statement block": "%}",
    "begin of statement block": "{%",
}


def _token(name: str) -> str:
    if name == "end of template":
        return tr("the end of the template")
    return _TOKENS.get(name, name)


def _closing(block: str) -> str:
    return "{% end" + block + " %}"


_JINJA_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"'(?P<name>[^']+)' is undefined"),
        lambda m: tr("“{name}” does not exist: check the spelling or use Insert placeholder", name=m["name"]),
    ),
    (
        re.compile(r"'[\w ]+ object' has no attribute '(?P<name>[^']+)'"),
        lambda m: tr("“{name}” does not exist here: check the spelling after the dot", name=m["name"]),
    ),
    (
        re.compile(
            r"Unexpected end of template\. Jinja was looking for the following tags: .*"
            r"The innermost block that needs to be closed is '(?P<block>\w+)'\."
        ),
        lambda m: tr(
            "the template ends with “{block}” still open: add {closing}",
            block=m["block"],
            closing=_closing(m["block"]),
        ),
    ),
    (
        re.compile(
            r"Encountered unknown tag '(?P<tag>\w+)'\. Jinja was looking for the following tags: .*"
            r"The innermost block that needs to be closed is '(?P<block>\w+)'\."
        ),
        lambda m: tr(
            "“{tag}” cannot close the open “{block}”: use {closing}",
            tag=m["tag"],
            block=m["block"],
            closing=_closing(m["block"]),
        ),
    ),
    (
        re.compile(r"Encountered unknown tag '(?P<tag>\w+)'\.?"),
        lambda m: tr("unknown tag “{tag}”", tag=m["tag"]),
    ),
    (
        re.compile(r"No filter named '(?P<name>[^']+)'\.?"),
        lambda m: tr("no filter named “{name}”", name=m["name"]),
    ),
    (
        re.compile(r"expected token '(?P<expected>[^']+)', got '(?P<got>[^']+)'"),
        lambda m: tr(
            "syntax error: “{expected}” expected, found “{got}”",
            expected=_token(m["expected"]),
            got=_token(m["got"]),
        ),
    ),
    (
        re.compile(r"unexpected '(?P<got>[^']+)', expected '(?P<expected>[^']+)'"),
        lambda m: tr(
            "syntax error: “{expected}” expected, found “{got}”",
            expected=_token(m["expected"]),
            got=_token(m["got"]),
        ),
    ),
    (
        re.compile(r"unexpected '(?P<got>[^']+)'"),
        lambda m: tr("syntax error: unexpected “{got}”", got=_token(m["got"])),
    ),
    (
        re.compile(r"unexpected end of template, expected '(?P<expected>[^']+)'\.?"),
        lambda m: tr("the template ends too early: “{expected}” expected", expected=_token(m["expected"])),
    ),
    (
        re.compile(r"Expected an expression, got '(?P<got>[^']+)'"),
        lambda m: tr("syntax error: something is missing before “{got}”", got=_token(m["got"])),
    ),
    (
        re.compile(r"unexpected char '(?P<char>.+)' at \d+"),
        lambda m: tr("syntax error: unexpected character “{char}”", char=m["char"]),
    ),
]


def jinja_message(message: str) -> str:
    """Jinja's English message for the common mistakes, said in the UI language; others as they are."""
    for pattern, say in _JINJA_MESSAGES:
        match = pattern.fullmatch(message.strip())
        if match:
            return say(match)
    return message


@lru_cache(maxsize=32)
def compiled(language: str, body: str):
    """Compiling the QBR template takes longer than rendering it: keep recent ones."""
    return environment(language).from_string(body)


def check_syntax(body: str) -> None:
    """Compile only; raises TemplateRenderError with the line of the first mistake."""
    try:
        environment("en").from_string(body)
    except TemplateSyntaxError as exc:
        raise TemplateRenderError(_describe(exc), exc.lineno) from None


def render(
    body: str,
    data: dict[str, Any],
    language: str | None = None,
    *,
    limits: Limits = LIMITS,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Render ``body`` against plain ``data`` in the sandbox, within ``limits``.

    Errors (a mistake, something not allowed, a limit passed) are a
    TemplateRenderError whose message names the line. ``progress`` being
    cancelled stops the render with :class:`~csdesk.progress.Cancelled`.
    """
    language = i18n.normalize_language(language or i18n.current_language())
    budget = _Budget(limits, clock, progress)
    budget.check_clock()
    token = _active.set(budget)
    try:
        template = compiled(language, body)
        chunks: list[str] = []
        size = 0
        generator = template.generate(**data)
        for chunk in generator:
            size += len(chunk)
            if size > limits.output_chars:
                raise TemplateRenderError(
                    tr("the document is longer than {max} characters", max=limits.output_chars),
                    _suspended_line(template, generator),
                )
            chunks.append(chunk)
        return "".join(chunks)
    except TemplateRenderError:
        raise
    except (
        TemplateError,
        SecurityError,
        TypeError,
        ValueError,
        ArithmeticError,
        KeyError,
        AttributeError,
        IndexError,
        OverflowError,
        MemoryError,
        RecursionError,
    ) as exc:
        raise TemplateRenderError(_describe(exc), _error_line(exc)) from None
    finally:
        _active.reset(token)


def validate(body: str, language: str, *, limits: Limits = LIMITS) -> str:
    """Compile ``body`` and fill it in with the sample account, within ``limits``.

    Returns the text; raises TemplateRenderError naming the line of what is wrong.
    """
    from csdesk.documents.context import sample_data

    check_syntax(body)
    return render(body, sample_data(language), language, limits=limits)
