"""Document templates: built-in ones per language, user copies in the database, sandboxed rendering.

A template is Jinja2 text that renders to CSDesk's small Markdown dialect
(see :mod:`csdesk.documents.markup`). Rendering happens in Jinja2's
``ImmutableSandboxedEnvironment`` with no loader: a template sees only the
plain data it is handed (dicts, lists, strings, numbers), cannot include or
import anything, cannot reach ``_private`` attributes or mutate its data, and
is capped in loop size, arithmetic size and output length, so a hostile or
careless template fails with a message instead of hanging the app.
"""

from __future__ import annotations

import contextvars
import operator
import re
import traceback
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from sqlalchemy import select

from csdesk import formatting, i18n
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.paths import resources_dir
from db import Database
from db.models import Template

KINDS = ("qbr", "kickoff", "success_plan", "get_well", "follow_up_email")
KIND_LABELS = {
    "qbr": "QBR / Success review",
    "kickoff": "Kickoff",
    "success_plan": "Success plan",
    "get_well": "Get-well plan",
    "follow_up_email": "Follow-up email",
}
BUILTIN_NAME = "CSDesk"

MAX_OUTPUT_CHARS = 500_000
MAX_RANGE_ITEMS = 200_000  # summed over every range() of one render
MAX_SEQUENCE = 100_000  # "x" * n, [..] * n
MAX_POWER_BITS = 4096
MAX_WIDTH = 1_000  # center(), indent(), format widths


class TemplateRenderError(UserError):
    """A template that cannot render: the message names the line and what is wrong."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        self.detail = message
        text = tr("Line {line}: {message}", line=line, message=message) if line else message
        super().__init__(text)


@dataclass(frozen=True)
class TemplateInfo:
    kind: str
    language: str
    name: str
    body: str
    builtin: bool = False
    id: int | None = None
    based_on: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.language}/{self.name}"


# Built-in templates -----------------------------------------------------------------


def builtin_path(kind: str, language: str):
    return resources_dir() / "templates" / language / f"{kind}.md.j2"


@cache
def _builtin_body(kind: str, language: str) -> str:
    return builtin_path(kind, language).read_text(encoding="utf-8")


def builtin_template(kind: str, language: str) -> TemplateInfo:
    if kind not in KINDS:
        raise UserError(tr("Unknown template kind {kind}.", kind=kind))
    return TemplateInfo(kind, language, BUILTIN_NAME, _builtin_body(kind, language), builtin=True)


# User templates -------------------------------------------------------------------


def _info(row: Template) -> TemplateInfo:
    return TemplateInfo(row.kind, row.language, row.name, row.body, False, row.id, row.based_on)


def list_templates(db: Database, kind: str | None = None, language: str | None = None) -> list[TemplateInfo]:
    """Built-in templates first, then the user's, by kind and name."""
    kinds = [kind] if kind else list(KINDS)
    languages = [language] if language else list(i18n.LANGUAGES)
    found = [builtin_template(k, lang) for k in kinds for lang in languages]
    with db.session() as session:
        query = select(Template).where(Template.kind.in_(kinds), Template.language.in_(languages))
        rows = session.scalars(query.order_by(Template.kind, Template.language, Template.name))
        found += [_info(r) for r in rows]
    return found


def find_template(db: Database, kind: str, language: str, name: str | None = None) -> TemplateInfo:
    """The named user template, or the built-in one when ``name`` is empty or "CSDesk"."""
    if not name or name == BUILTIN_NAME:
        return builtin_template(kind, language)
    with db.session() as session:
        rows = session.scalars(select(Template).where(Template.kind == kind, Template.name == name)).all()
    for row in sorted(rows, key=lambda r: r.language != language):
        return _info(row)
    raise UserError(tr('No {kind} template is called "{name}".', kind=kind, name=name))


def save_template(db: Database, info: TemplateInfo) -> TemplateInfo:
    """Create (id None) or update a user template; its body must compile."""
    name = info.name.strip()
    if not name:
        raise UserError(tr("Give the template a name."))
    if name == BUILTIN_NAME:
        raise UserError(tr('"{name}" is reserved for the built-in templates.', name=name))
    if info.kind not in KINDS or info.language not in i18n.LANGUAGES:
        raise UserError(tr("Unknown template kind {kind}.", kind=info.kind))
    check_syntax(info.body)
    with db.transaction() as session:
        clash = session.scalars(
            select(Template).where(
                Template.kind == info.kind, Template.language == info.language, Template.name == name
            )
        ).first()
        if clash is not None and clash.id != info.id:
            raise UserError(tr('A template called "{name}" already exists.', name=name))
        row = session.get(Template, info.id) if info.id else None
        if row is None:
            row = Template(kind=info.kind, language=info.language)
            session.add(row)
        row.name, row.body, row.based_on = name, info.body, info.based_on
        session.flush()
        return _info(row)


def duplicate_template(db: Database, source: TemplateInfo, name: str | None = None) -> TemplateInfo:
    """A user copy of any template, under a free name ("… (copy)", "… (copy 2)")."""
    taken = {t.name for t in list_templates(db, source.kind, source.language)}
    base = name or tr("{name} (copy)", source.language, name=source.name)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base} {n}", n + 1
    return save_template(
        db, TemplateInfo(source.kind, source.language, candidate, source.body, based_on=source.name)
    )


def delete_template(db: Database, template_id: int) -> None:
    with db.transaction() as session:
        row = session.get(Template, template_id)
        if row is not None:
            session.delete(row)


# Sandboxed rendering ----------------------------------------------------------------

_range_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("range_budget")


def _limited_range(*args: int) -> range:
    items = range(*args)
    budget = _range_budget.get(None)
    if budget is not None:
        budget[0] -= len(items)
        if budget[0] < 0:
            raise SecurityError(tr("the template loops too many times"))
    if len(items) > MAX_RANGE_ITEMS:
        raise SecurityError(tr("the template loops too many times"))
    return items


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 0


_WIDTH_RE = re.compile(r"%[-+ #0]*(\d+)|\{[^}]*?(\d{4,})[^}]*\}")


def _check_width(width: Any) -> int:
    if not isinstance(width, int) or width > MAX_WIDTH:
        raise SecurityError(tr("a width above {max} is not allowed", max=MAX_WIDTH))
    return width


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox plus caps on the few operations that can exhaust memory or time."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, (int, float)) and isinstance(left, (int, float)):
                base_bits = abs(left).bit_length() if isinstance(left, int) else 64
                bits = abs(float(right)) * max(1, base_bits)
                if bits > MAX_POWER_BITS:
                    raise SecurityError(tr("the number is too large"))
            return operator.pow(left, right)
        if operator_name == "*":
            for seq, count in ((left, right), (right, left)):
                if _size(seq) and isinstance(count, int) and _size(seq) * count > MAX_SEQUENCE:
                    raise SecurityError(tr("the text or list is too long"))
            return operator.mul(left, right)
        result = operator.add(left, right)
        if _size(result) > MAX_OUTPUT_CHARS:
            raise SecurityError(tr("the text or list is too long"))
        return result


def _money_filter(language: str):
    def money(cents: Any, currency: str = "BRL") -> str:
        if cents is None or cents == "":
            return ""
        return formatting.money(int(cents), currency, language)

    return money


def _day_filter(language: str):
    def day(value: Any) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        if isinstance(value, datetime):
            value = value.date()
        return formatting.day(value, language)

    return day


@cache
def environment(language: str) -> _Sandbox:
    env = _Sandbox(
        loader=None,
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["range"] = _limited_range
    env.globals.pop("lipsum", None)
    env.filters["money"] = _money_filter(language)
    env.filters["day"] = _day_filter(language)
    env.filters["percent"] = lambda v, digits=0: formatting.percent(v, digits, language)
    env.filters["number"] = lambda v, digits=0: formatting.number(v, digits, language)
    env.filters["label"] = lambda key, labels: i18n.label(labels, key, language)
    env.filters["tr"] = lambda text: i18n.tr(text, language)
    base_center, base_indent, base_format = (
        env.filters["center"],
        env.filters["indent"],
        env.filters["format"],
    )
    env.filters["center"] = lambda s, width=80: base_center(s, _check_width(width))
    env.filters["indent"] = lambda s, width=4, *a, **k: base_indent(
        s, _check_width(width) if isinstance(width, int) else width[:MAX_WIDTH], *a, **k
    )

    def safe_format(value: str, *args: Any, **kwargs: Any) -> str:
        for match in _WIDTH_RE.finditer(str(value)):
            _check_width(int(next(g for g in match.groups() if g)))
        return base_format(value, *args, **kwargs)

    env.filters["format"] = safe_format
    return env


def _error_line(exc: BaseException) -> int | None:
    if isinstance(exc, TemplateSyntaxError):
        return exc.lineno
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == "<template>":
            line = lineno
    return line


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SecurityError):
        return tr("not allowed in a template ({detail})", detail=str(exc))
    if isinstance(exc, TypeError) and "no loader" in str(exc):
        return tr("templates cannot include or import other files")
    if isinstance(exc, TemplateError):
        return exc.message or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


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


def render(body: str, data: dict[str, Any], language: str | None = None) -> str:
    """Render ``body`` against plain ``data`` in the sandbox; errors say the line."""
    language = i18n.normalize_language(language or i18n.current_language())
    token = _range_budget.set([MAX_RANGE_ITEMS])
    try:
        template = compiled(language, body)
        chunks: list[str] = []
        size = 0
        for chunk in template.generate(**data):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateRenderError(
                    tr("the document is longer than {max} characters", max=MAX_OUTPUT_CHARS)
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
        _range_budget.reset(token)


# The placeholder picker: (expression to insert, English description) -----------------

PLACEHOLDERS: list[tuple[str, str]] = [
    ("{{ account.name }}", "Account name"),
    ("{{ account.mrr_cents|money }}", "MRR"),
    ("{{ account.arr_cents|money }}", "ARR"),
    ("{{ account.segment_label }}", "Segment (touch model)"),
    ("{{ account.stage_label }}", "Lifecycle stage"),
    ("{{ account.renewal_date|day }}", "Renewal date"),
    ("{{ account.days_to_renewal }}", "Days to renewal"),
    ("{{ account.owner }}", "Owner CSM"),
    ("{{ account.adoption|percent }}", "Adoption (active ÷ licensed users)"),
    ("{{ health.score|number }}", "Health score"),
    ("{{ health.band_label }}", "Health band"),
    ("{{ health.trend|number }}", "Health trend (points in 30 days)"),
    (
        "{% for c in health.components %}- {{ c.label }}: {{ c.points|number(1) }}\n{% endfor %}",
        "Health components (loop)",
    ),
    ("{{ metrics.nps.score|number }}", "NPS in the period"),
    ("{{ metrics.tickets.total }}", "Support tickets in the period"),
    ("{{ metrics.usage.logins.last|number }}", "Logins (latest)"),
    (
        "{% for m in plan.milestones %}- {{ m.title }} ({{ m.due_date|day }})\n{% endfor %}",
        "Milestones (loop)",
    ),
    ("{% for o in plan.outcomes %}- {{ o.required_outcome }}\n{% endfor %}", "Desired outcomes (loop)"),
    ("{% for c in contacts %}- {{ c.name }}, {{ c.role_label }}\n{% endfor %}", "Contacts (loop)"),
    ("{{ champion.name }}", "Champion"),
    ("{{ decision_maker.name }}", "Decision maker"),
    ("{{ period.label }}", "Period (e.g. 2026-T4)"),
    ("{% if health.band == 'red' %}\n…\n{% endif %}", "Only for red accounts (condition)"),
    ("{{ today|day }}", "Today"),
    ("!chart health_trend", "Chart: health trend"),
    ("!chart health_components", "Chart: health components"),
    ("!chart usage", "Chart: usage"),
    ("!kpi MRR | {{ account.mrr_cents|money }}", "KPI card"),
]
