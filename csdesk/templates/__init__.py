"""Document templates: built-in ones per language, user copies in the database, sandboxed rendering.

A template is Jinja2 text that renders to CSDesk's small Markdown dialect
(see :mod:`csdesk.documents.template_markup`). Rendering happens in Jinja2's
``ImmutableSandboxedEnvironment`` with no loader: a template sees only the
plain data it is handed (dicts, lists, strings, numbers), cannot include or
import anything, cannot reach ``_private`` attributes or mutate its data, and
runs within a budget of time, repetition and size (:class:`Limits`), so a
hostile or careless template fails with a one-line message naming its line
instead of hanging the app or filling its memory.

The package: ``store`` (kinds, built-in and user templates), ``sandbox`` (the environment
and its budget), ``rendering`` (compile, render, validate), ``placeholders``.
"""

from __future__ import annotations

from csdesk.templates.placeholders import PLACEHOLDERS
from csdesk.templates.rendering import (
    TemplateRenderError,
    check_syntax,
    compiled,
    jinja_message,
    render,
    validate,
)
from csdesk.templates.sandbox import (
    LIMITS,
    MAX_OUTPUT_CHARS,
    BudgetExceeded,
    Limits,
    environment,
    format_size,
    printf_size,
    text_size,
)
from csdesk.templates.store import (
    BUILTIN_NAME,
    KIND_LABELS,
    KINDS,
    TemplateInfo,
    builtin_path,
    builtin_template,
    delete_template,
    duplicate_template,
    find_template,
    list_templates,
    save_template,
)

__all__ = [
    "BUILTIN_NAME",
    "KINDS",
    "KIND_LABELS",
    "LIMITS",
    "MAX_OUTPUT_CHARS",
    "PLACEHOLDERS",
    "BudgetExceeded",
    "Limits",
    "TemplateInfo",
    "TemplateRenderError",
    "builtin_path",
    "builtin_template",
    "check_syntax",
    "compiled",
    "delete_template",
    "duplicate_template",
    "environment",
    "find_template",
    "format_size",
    "jinja_message",
    "list_templates",
    "printf_size",
    "render",
    "save_template",
    "text_size",
    "validate",
]
