"""One call from account to file: gather data, render the template, draw charts, write."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from csdesk import clock, i18n, templates, timeline
from csdesk.document_kinds import DOCUMENT_KINDS
from csdesk.documents import context, document_charts, template_markup
from csdesk.documents.model import Document
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.progress import SILENT, Progress
from csdesk.rules.names import fold
from db import Database

# Read from the one list of document kinds (csdesk.document_kinds).
DOC_KINDS = {k.name: k.key for k in DOCUMENT_KINDS}  # CLI / UI name -> template kind
FORMATS = {k.key: k.formats for k in DOCUMENT_KINDS}
FILE_PREFIX = {k.key: k.file_prefix for k in DOCUMENT_KINDS}


@dataclass(frozen=True)
class GeneratedDocument:
    path: Path
    title: str
    event_id: int | None = None


def _kind(kind: str) -> str:
    if kind in DOC_KINDS:
        return DOC_KINDS[kind]
    if kind in DOC_KINDS.values():
        return kind
    raise UserError(
        tr("Unknown document {kind}; use one of: {kinds}.", kind=kind, kinds=", ".join(DOC_KINDS))
    )


def check_format(kind: str, suffix: str) -> str:
    """The output format from a file suffix, or a UserError naming the ones that work."""
    kind = _kind(kind)
    fmt = suffix.lower().lstrip(".")
    if fmt not in FORMATS[kind]:
        allowed = ", ".join("." + f for f in FORMATS[kind])
        raise UserError(
            tr(
                "A {kind} document cannot be written as .{fmt}; use {allowed}.",
                kind=tr(templates.KIND_LABELS[kind]),
                fmt=fmt or "?",
                allowed=allowed,
            )
        )
    return fmt


def chart_png(
    name: str,
    data: context.AccountDocumentData,
    db: Database | None = None,
    account_id: int | None = None,
    period: context.Period | None = None,
) -> bytes | None:
    """A named chart as PNG bytes (None for a name no builder knows).

    The health charts are the health service's own (the same as on screen);
    the usage chart is drawn here.
    """
    lang = data.language
    size = (6.4, 3.5)
    if name in ("health_trend", "health_components"):
        if db is None or account_id is None:
            return None
        from csdesk import charts as health_charts

        if name == "health_trend":
            start = period.end - timedelta(days=365) if period else None
            end = period.end - timedelta(days=1) if period else None
            fig = health_charts.account_health_figure(
                replace(health_charts.account_health_data(db, account_id, start, end), name=""),
                lang,
                size=size,
            )
        else:
            fig = health_charts.component_breakdown_figure(
                replace(health_charts.breakdown_data(db, account_id, lang), name=""), lang, size=size
            )
        return health_charts.render(fig, "png", dpi=document_charts.DPI)
    if name == "usage":
        labels = {m: tr(context.MEASURE_LABELS.get(m, m), lang) for m in data.usage}
        fig = document_charts.usage_figure(data.usage, labels, lang)
    else:
        return None
    return document_charts.png(fig)


def build_document(
    db: Database,
    kind: str,
    account_id: int,
    language: str | None = None,
    period: context.Period | None = None,
    template_name: str | None = None,
    today: date | None = None,
    progress: Progress = SILENT,
    *,
    with_charts: bool = True,
    show_health: bool = False,
) -> Document:
    kind = _kind(kind)
    language = i18n.normalize_language(language or i18n.current_language())
    if kind == "postmortem":
        # A post-mortem looks at the year up to the churn, whatever the review period asked.
        from csdesk import churn

        last = churn.last_day(db, account_id, today)
        period = context.Period(last - timedelta(days=churn.LOOKBACK_DAYS), last + timedelta(days=1))
    progress.step(0, 4, tr("Reading the account", language), force=True)
    data = context.build(db, account_id, language, period, today, show_health=show_health)
    data_period = period or context.Period.quarter_to(today or clock.today())
    template = templates.find_template(db, kind, language, template_name)
    progress.step(1, 4, tr("Filling in the template", language), force=True)
    text = templates.render(template.body, data.data, language, progress=progress)
    doc = template_markup.parse(text, language)
    if with_charts:
        progress.step(2, 4, tr("Drawing the charts", language), force=True)
        for image in doc.images():
            image.png = chart_png(image.name, data, db, account_id, data_period)
    return doc


def write(doc: Document, path: Path, fmt: str) -> Path:
    if fmt == "pptx":
        from csdesk.documents.pptx_writer import write_pptx

        return write_pptx(doc, path)
    if fmt == "docx":
        from csdesk.documents.docx_writer import write_docx

        return write_docx(doc, path)
    if fmt == "pdf":
        from csdesk.documents.pdf_writer import write_pdf

        return write_pdf(doc, path)
    from csdesk.documents.markdown_writer import write_markdown

    return write_markdown(doc, path)


def generate(
    db: Database,
    kind: str,
    account_id: int,
    out: str | Path,
    language: str | None = None,
    period: context.Period | None = None,
    template_name: str | None = None,
    progress: Progress = SILENT,
    *,
    record_event: bool = True,
    today: date | None = None,
    show_health: bool = False,
) -> GeneratedDocument:
    """Write one document for one account; a QBR deck also goes on the timeline, as a document.

    The health score, the CSM's internal reading, is in it only with ``show_health``.
    """
    kind = _kind(kind)
    path = Path(out)
    fmt = check_format(kind, path.suffix)
    if not path.parent.is_dir():
        raise UserError(tr("The folder {folder} does not exist.", folder=str(path.parent)))
    if kind == "follow_up_email":
        path.write_text(
            follow_up_email(db, account_id, language, template_name, today=today, show_health=show_health),
            encoding="utf-8",
        )
        return GeneratedDocument(path, path.stem)
    doc = build_document(
        db, kind, account_id, language, period, template_name, today, progress, show_health=show_health
    )
    progress.step(3, 4, tr("Writing {file}", doc.language, file=path.name), force=True)
    try:
        write(doc, path, fmt)
    except PermissionError as exc:
        raise UserError(
            tr("Cannot write {file}: {reason}", file=str(path), reason=exc.strerror or str(exc))
        ) from exc
    event_id = None
    if record_event and kind == "qbr":
        # A document, not a meeting: preparing the deck neither holds the QBR nor touches the customer.
        event_id = _record_event(
            db,
            account_id,
            "document",
            "qbr",
            tr("QBR deck generated", doc.language),
            tr("File: {file}", doc.language, file=path.name),
            when=datetime.combine(today, clock.now().time()) if today else None,
        )
    progress.step(4, 4, "", force=True)
    return GeneratedDocument(path, doc.title, event_id)


def follow_up_email(
    db: Database,
    account_id: int,
    language: str | None = None,
    template_name: str | None = None,
    today: date | None = None,
    show_health: bool = False,
) -> str:
    """The follow-up email after a meeting, as plain text (subject on the first line)."""
    language = i18n.normalize_language(language or i18n.current_language())
    data = context.build(db, account_id, language, today=today, show_health=show_health)
    template = templates.find_template(db, "follow_up_email", language, template_name)
    return templates.render(template.body, data.data, language).strip() + "\n"


def _record_event(
    db: Database,
    account_id: int,
    kind: str,
    subkind: str,
    title: str,
    body: str | None = None,
    when: datetime | None = None,
) -> int:
    """An automatic event on the timeline: a meeting held, or a document generated (subkind: its kind)."""
    event = timeline.add_event(
        db,
        account_id,
        kind=kind,
        subkind=subkind,
        title=title,
        body=body,
        occurred_at=when or clock.now(),
        source="auto",
    )
    return event.id


def record_kickoff_held(
    db: Database, account_id: int, when: datetime | None = None, language: str | None = None
) -> int:
    """The kickoff meeting took place: it goes on the timeline."""
    return _record_event(
        db, account_id, "meeting", "kickoff", tr("Kickoff meeting held", language), when=when
    )


def default_file_name(
    kind: str, account_name: str, period: context.Period | None, language: str, fmt: str
) -> str:
    """E.g. ``QBR - Padaria Pitanga - 2026-T4.pptx``; safe on every file system."""
    kind = _kind(kind)
    prefix = tr(FILE_PREFIX[kind], language)
    safe = "".join(ch if ch.isalnum() or ch in " .,-_&()" else " " for ch in account_name).strip()
    safe = " ".join(safe.split())[:80] or fold(account_name)[:80] or "account"
    suffix = period.label(language) if (kind == "qbr" and period) else clock.today().isoformat()
    return f"{prefix} - {safe} - {suffix}.{fmt}"
