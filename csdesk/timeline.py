"""The account timeline: dated touchpoints and facts (domain §6).

Writes return what undo needs: ``add_event`` the new event, ``update_event``
the version before the change, ``delete_event`` the deleted event (which
``restore_event`` puts back with the same id). Every write keeps
``Account.last_touch_at`` right: the newest touch (``vocab.TOUCH_KINDS``)
that has already happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, delete, func, select, type_coerce, update
from sqlalchemy.orm import Session

from csdesk import clock, timeline_titles, vocab
from csdesk.accounts import FieldError, ValidationError
from csdesk.errors import UserError
from csdesk.i18n import LANGUAGES, label, tr
from csdesk.rules.names import fold
from db import Database, encoding
from db import search as db_search
from db.models import Account, ImportRun, TimelineEvent

TITLE_MAX = 300
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class EventData:
    """One timeline event as the UI and the CLI see it."""

    account_id: int
    kind: str
    title: str
    occurred_at: datetime
    id: int | None = None
    subkind: str | None = None
    body: str | None = None
    channel: str | None = None
    severity: str | None = None
    source: str = "manual"
    contact_id: int | None = None
    # Who logged it (the CSM's name, set by the database from the writer's; an imported
    # event's is its import's). Kept as it was when an event is edited or restored.
    author: str | None = None
    # Extra facts (imports keep source fields here). None = not read: lists skip it for
    # speed, and saving an event whose data is None leaves the stored data as it is.
    data: dict[str, Any] | None = field(default_factory=dict)

    @property
    def is_touch(self) -> bool:
        return self.kind in vocab.TOUCH_KINDS


@dataclass(frozen=True)
class SearchHit:
    event: EventData
    account_name: str


_COLUMNS = [f.name for f in fields(EventData)]
_WRITABLE = [name for name in _COLUMNS if name not in ("id", "author")]
# An event an import wrote names no author of its own: its import's is shown.
_AUTHOR = func.coalesce(
    TimelineEvent.author,
    select(ImportRun.author).where(ImportRun.id == TimelineEvent.import_run_id).scalar_subquery(),
).label("author")
_SELECT = [_AUTHOR if name == "author" else getattr(TimelineEvent, name) for name in _COLUMNS]
# For long lists: no JSON data, and the moment as the driver gives it (SQLite: seconds since
# 1970, converted all at once by db.encoding; PostgreSQL: a datetime already).
_LIST_COLUMNS = [n for n in _COLUMNS if n != "data"]
_LIST_SELECT = [
    type_coerce(TimelineEvent.occurred_at, Integer)
    if n == "occurred_at"
    else _AUTHOR
    if n == "author"
    else getattr(TimelineEvent, n)
    for n in _LIST_COLUMNS
]
_OCCURRED = _LIST_COLUMNS.index("occurred_at")
assert _COLUMNS[-1] == "data" and _LIST_COLUMNS == _COLUMNS[:-1]


def now() -> datetime:
    """The current moment as stored: local time, whole seconds."""
    return clock.now()


def _list_rows(rows: Sequence[Sequence[Any]]) -> list[EventData]:
    moments = encoding.decode_epoch_seconds_many([row[_OCCURRED] for row in rows])
    events = []
    for row, moment in zip(rows, moments, strict=True):
        values = list(row)
        values[_OCCURRED] = moment
        events.append(EventData(*values, None))  # _LIST_COLUMNS is the field order without the last, data
    return events


def _row(row: Sequence[Any]) -> EventData:
    values = dict(zip(_COLUMNS, row, strict=True))
    if values["data"] is None:
        values["data"] = {}
    if not values["title"]:
        values["title"] = timeline_titles.render(
            values["kind"], values["subkind"], values["title"], values["data"]
        )
    return EventData(**values)


def _event(orm: TimelineEvent) -> EventData:
    return _row([getattr(orm, name) for name in _COLUMNS])


def words(text: str) -> list[str]:
    """Folded words of a search text: 'Reunião  QBR' -> ['reuniao', 'qbr']."""
    return _WORD.findall(fold(text or ""))


def match_spans(text: str, wanted: Sequence[str]) -> list[tuple[int, int]]:
    """Where ``text`` matches a search: (start, end) of each word start that a wanted word
    begins (the rule of :func:`matches`), in ``text``'s own characters, accents and all."""
    if not wanted or not text:
        return []
    spans = []
    for word in _WORD.finditer(text):
        folded = fold(word.group())
        best = max((w for w in wanted if folded.startswith(w)), key=len, default=None)
        if best is None:
            continue
        # Grow the original prefix until it folds to the wanted word ('Reuni' for 'reuni' in 'Reunião').
        length = next(
            (n for n in range(1, len(word.group()) + 1) if len(fold(word.group()[:n])) >= len(best)),
            len(word.group()),
        )
        spans.append((word.start(), word.start() + length))
    return spans


def searchable_text(event: EventData) -> str:
    """What a search looks in: title and body; a composed title in every shipped language."""
    text = f"{event.title} {event.body or ''}"
    if event.data and timeline_titles.composed(event.kind, event.subkind, event.data):
        text += " " + " ".join(timeline_titles.all_languages(event.kind, event.subkind, event.data))
    return text


def matches(event: EventData, wanted: Sequence[str]) -> bool:
    """True when every wanted word starts a word of the event's title or body (a composed
    title's words in any shipped language)."""
    if not wanted:
        return True
    tokens = _WORD.findall(fold(searchable_text(event)))
    return all(any(t.startswith(w) for t in tokens) for w in wanted)


# Validation -------------------------------------------------------------------


def validate_event(data: EventData) -> list[FieldError]:
    errors: list[FieldError] = []
    if data.kind not in vocab.EVENT_KINDS:
        errors.append(FieldError("kind", tr("Unknown event kind.")))
    if not (data.title or "").strip():
        errors.append(FieldError("title", tr("Give the event a title.")))
    elif len(data.title.strip()) > TITLE_MAX:
        errors.append(FieldError("title", tr("The title is too long (at most {n} characters).", n=TITLE_MAX)))
    if not isinstance(data.occurred_at, datetime):
        errors.append(FieldError("occurred_at", tr("Give the event a date.")))
    if data.kind == "meeting" and data.subkind and data.subkind not in vocab.MEETING_TYPES:
        errors.append(FieldError("subkind", tr("Unknown meeting type.")))
    if data.channel and data.channel not in vocab.CHANNELS:
        errors.append(FieldError("channel", tr("Unknown channel.")))
    if data.severity and data.severity not in vocab.TICKET_SEVERITIES:
        errors.append(FieldError("severity", tr("Unknown ticket severity.")))
    if data.kind == "pulse" and data.data is not None and pulse_score(data) is None:
        errors.append(FieldError("score", tr("Give the pulse a score from 1 to 5.")))
    if data.source not in vocab.EVENT_SOURCES:
        errors.append(FieldError("source", tr("Unknown event source.")))
    return errors


def pulse_score(event: EventData) -> int | None:
    """The 1-5 score of a pulse event (None when it has none, or a wrong one)."""
    score = (event.data or {}).get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or score != int(score):
        return None
    return int(score) if int(score) in vocab.PULSE_SCORES else None


def kind_text(event: EventData, language: str | None = None) -> str:
    """The kind as the timeline shows it: 'Meeting · QBR', 'Support ticket · Critical', 'CSM pulse · 4/5'."""
    text = label(vocab.EVENT_KIND_LABELS, event.kind, language)
    if event.kind == "meeting" and event.subkind:
        text = f"{text} · {label(vocab.MEETING_TYPE_LABELS, event.subkind, language)}"
    if event.severity:
        text = f"{text} · {label(vocab.TICKET_SEVERITY_LABELS, event.severity, language)}"
    if event.kind == "pulse" and pulse_score(event) is not None:
        text = f"{text} · {pulse_score(event)}/5"
    return text


def problems(data: EventData) -> list[FieldError]:
    """What is wrong with ``data`` as it would be saved (after trimming); [] when fine."""
    return validate_event(_clean(data))


def _clean(data: EventData) -> EventData:
    body = (data.body or "").strip("\n") or None
    occurred = data.occurred_at
    if isinstance(occurred, date) and not isinstance(occurred, datetime):
        occurred = datetime.combine(occurred, time(9, 0))
    if isinstance(occurred, datetime):
        occurred = occurred.replace(microsecond=0, tzinfo=None)
    return replace(data, title=(data.title or "").strip(), body=body, occurred_at=occurred)


def _check(data: EventData) -> EventData:
    data = _clean(data)
    errors = validate_event(data)
    if errors:
        raise ValidationError(errors)
    return data


# Last touch ----------------------------------------------------------------------


def _refresh_last_touch(session: Session, account_ids: Iterable[int]) -> None:
    moment = now()
    for account_id in set(account_ids):
        newest = session.scalar(
            select(func.max(TimelineEvent.occurred_at)).where(
                TimelineEvent.account_id == account_id,
                TimelineEvent.kind.in_(vocab.TOUCH_KINDS),
                TimelineEvent.occurred_at <= moment,
            )
        )
        session.execute(update(Account).where(Account.id == account_id).values(last_touch_at=newest))


def refresh_last_touch(session: Session, account_ids: Iterable[int]) -> None:
    """Re-derive ``Account.last_touch_at`` inside a writer's own transaction (mail import)."""
    _refresh_last_touch(session, account_ids)


def recompute_last_touch(db: Database, account_ids: Iterable[int] | None = None) -> None:
    """Re-derive ``Account.last_touch_at`` (all accounts when ``account_ids`` is None).

    For bulk writers (imports, the demo) that insert events without this service.
    """
    with db.transaction() as session:
        if account_ids is not None:
            _refresh_last_touch(session, account_ids)
            return
        # Read and written back as date-times, only where it changed: the events' moments are
        # stored in another form than the account's (db.models.EpochSeconds), so no SQL copies one
        # into the other.
        newest = (
            select(func.max(TimelineEvent.occurred_at))
            .where(
                TimelineEvent.account_id == Account.id,
                TimelineEvent.kind.in_(vocab.TOUCH_KINDS),
                TimelineEvent.occurred_at <= now(),
            )
            .scalar_subquery()
        )
        stale = [
            {"id": account_id, "last_touch_at": latest}
            for account_id, current, latest in session.execute(
                select(Account.id, Account.last_touch_at, newest)
            )
            if current != latest
        ]
        if stale:
            session.execute(update(Account), stale)


# Writes ----------------------------------------------------------------------


def _require_account(session: Session, account_id: int) -> None:
    if session.get(Account, account_id) is None:
        raise UserError(tr("Account {id} does not exist.", id=account_id))


def add_event(
    db: Database,
    account_id: int,
    *,
    kind: str,
    title: str,
    occurred_at: datetime | date | None = None,
    subkind: str | None = None,
    body: str | None = None,
    channel: str | None = None,
    severity: str | None = None,
    source: str = "manual",
    contact_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> EventData:
    """Record one event (date defaults to now) and return it with its id."""
    event = EventData(
        account_id=account_id,
        kind=kind,
        title=title,
        occurred_at=occurred_at or now(),  # type: ignore[arg-type]
        subkind=subkind,
        body=body,
        channel=channel,
        severity=severity,
        source=source,
        contact_id=contact_id,
        data=dict(data or {}),
    )
    return save_event(db, event)


def _stored_title(kind: str, subkind: str | None, title: str, data: dict[str, Any] | None) -> str:
    """The title to store: none when it is the composed one (in any language), else as typed."""
    if title and timeline_titles.composed(kind, subkind, data):
        if title in timeline_titles.all_languages(kind, subkind, data):
            return ""
    return title


def save_event(db: Database, data: EventData) -> EventData:
    """Insert ``data`` (its id, when given, is kept: that is how undo restores)."""
    data = _check(data)
    with db.transaction() as session:
        _require_account(session, data.account_id)
        orm = TimelineEvent(**{name: getattr(data, name) for name in _WRITABLE})
        if orm.data is None:
            orm.data = {}
        orm.title = _stored_title(data.kind, data.subkind, data.title, orm.data)
        if data.id is not None:
            orm.id = data.id
        if data.author is not None:  # an undo puts the event back as its author logged it
            orm.author = data.author
        session.add(orm)
        session.flush()
        if data.is_touch:
            _refresh_last_touch(session, [data.account_id])
        return _event(orm)


restore_event = save_event


def get_event(db: Database, event_id: int) -> EventData:
    with db.session() as session:
        orm = session.get(TimelineEvent, event_id)
        if orm is None:
            raise UserError(tr("Event {id} no longer exists.", id=event_id))
        return _event(orm)


def update_event(db: Database, data: EventData) -> EventData:
    """Save an edited event; return the version before the edit (for undo)."""
    if data.id is None:
        raise ValueError("update_event needs an id")
    data = _check(data)
    with db.transaction() as session:
        orm = session.get(TimelineEvent, data.id)
        if orm is None:
            raise UserError(tr("Event {id} no longer exists.", id=data.id))
        before = _event(orm)
        for name in _WRITABLE:
            if name == "data" and data.data is None:
                continue  # an event read from a list: its data was not loaded, keep it
            setattr(orm, name, getattr(data, name))
        orm.title = _stored_title(orm.kind, orm.subkind, orm.title, orm.data)
        session.flush()
        if before.is_touch or data.is_touch:
            _refresh_last_touch(session, {before.account_id, data.account_id})
        return before


def delete_event(db: Database, event_id: int) -> EventData:
    """Delete one event; return it (``restore_event`` puts it back)."""
    with db.transaction() as session:
        orm = session.get(TimelineEvent, event_id)
        if orm is None:
            raise UserError(tr("Event {id} no longer exists.", id=event_id))
        before = _event(orm)
        session.execute(delete(TimelineEvent).where(TimelineEvent.id == event_id))
        if before.is_touch:
            _refresh_last_touch(session, [before.account_id])
        return before


# Reads -------------------------------------------------------------------------


def list_events(
    db: Database,
    account_id: int,
    *,
    kinds: Iterable[str] | None = None,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    text: str | None = None,
    limit: int | None = None,
) -> list[EventData]:
    """An account's events, newest first; ``end`` is inclusive (a date means the whole day)."""
    query = select(*_LIST_SELECT).where(TimelineEvent.account_id == account_id)
    kinds = list(kinds or [])
    if kinds:
        query = query.where(TimelineEvent.kind.in_(kinds))
    if start is not None:
        if not isinstance(start, datetime):
            start = datetime.combine(start, time.min)
        query = query.where(TimelineEvent.occurred_at >= start)
    if end is not None:
        if not isinstance(end, datetime):
            end = datetime.combine(end + timedelta(days=1), time.min)
            query = query.where(TimelineEvent.occurred_at < end)
        else:
            query = query.where(TimelineEvent.occurred_at <= end)
    query = query.order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc())
    wanted = words(text or "")
    if limit is not None and not wanted:
        query = query.limit(limit)
    with db.session() as session:
        events = _list_rows(session.execute(query).all())
    events = _with_data(db, events)
    if wanted:
        events = [e for e in events if matches(e, wanted)]
        if limit is not None:
            events = events[:limit]
    return events


def _needs_data(event: EventData) -> bool:
    return event.kind == "pulse" or not event.title


def _with_data(db: Database, events: list[EventData]) -> list[EventData]:
    """Lists skip the events' data for speed; a pulse's score is in it, and a composed
    title is rendered from it, so those events get theirs."""
    ids = [e.id for e in events if _needs_data(e)]
    if not ids:
        return events
    stored: dict[int, Any] = {}
    with db.session() as session:
        for start in range(0, len(ids), 900):
            stored.update(
                session.execute(
                    select(TimelineEvent.id, TimelineEvent.data).where(
                        TimelineEvent.id.in_(ids[start : start + 900])
                    )
                ).all()
            )
    out = []
    for e in events:
        if _needs_data(e):
            data = stored.get(e.id) or {}
            title = e.title or timeline_titles.render(e.kind, e.subkind, e.title, data)
            e = replace(e, data=data, title=title)
        out.append(e)
    return out


def search(
    db: Database,
    text: str,
    *,
    limit: int = 200,
    account_id: int | None = None,
    kinds: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[SearchHit]:
    """Events of every account (or one) whose title or body holds all words of ``text``.

    Case and accents are ignored; each word matches a word prefix. Newest first.
    ``kinds`` keeps only those event kinds; ``start``/``end`` the days between, both included.
    """
    wanted = words(text)
    if not wanted:
        return []
    where = db_search.EventFilter(
        kinds=None if kinds is None else tuple(kinds),
        start=datetime.combine(start, time.min) if start else None,
        end=datetime.combine(end + timedelta(days=1), time.min) if end else None,
    )
    with db.session() as session:
        conn = session.connection()
        ids = db_search.search_event_ids(
            conn, wanted, account_id=account_id, limit=limit, fold=fold, where=where
        )
        composed = _composed_hits(session, wanted, account_id=account_id, limit=limit, where=where)
        ids = list(dict.fromkeys([*ids, *(event_id for _at, event_id in composed)]))
        if not ids:
            return []
        rows = []
        for start in range(0, len(ids), 900):
            rows += session.execute(
                select(*_SELECT, Account.name)
                .join(Account, Account.id == TimelineEvent.account_id)
                .where(TimelineEvent.id.in_(ids[start : start + 900]))
            ).all()
    hits = [SearchHit(_row(row[:-1]), row[-1]) for row in rows]
    hits.sort(key=lambda hit: (hit.event.occurred_at, hit.event.id or 0), reverse=True)
    return hits[:limit]


def _composed_hits(
    session: Session,
    wanted: Sequence[str],
    *,
    account_id: int | None,
    limit: int,
    where: db_search.EventFilter,
) -> list[tuple[datetime, int]]:
    """Events stored without a title (composed from their data) whose title, in any shipped
    language, holds every wanted word: (time, id), newest first, at most ``limit``.

    The words that are not numbers must be words of a subkind's title (in one language): only those
    subkinds are read; words that are all labels match every event of the subkind without reading it."""
    numeric = [w for w in wanted if any(c.isdigit() for c in w)]
    labels = [w for w in wanted if w not in numeric]
    found: list[tuple[datetime, int]] = []
    for kind, subkinds in timeline_titles.composed_subkinds().items():
        if where.kinds is not None and kind not in where.kinds:
            continue
        candidates = []
        for subkind in subkinds:
            for language in LANGUAGES:
                template = timeline_titles.template_words(kind, subkind, language)
                if all(any(t.startswith(w) for t in template) for w in labels):
                    candidates.append(subkind)
                    break
        if not candidates:
            continue
        query = (
            select(TimelineEvent.occurred_at, TimelineEvent.id, TimelineEvent.subkind, TimelineEvent.data)
            .where(TimelineEvent.kind == kind)
            .where((TimelineEvent.title == "") | TimelineEvent.title.is_(None))
            .order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc())
        )
        if None not in candidates:  # None: the title does not depend on the subkind
            query = query.where(TimelineEvent.subkind.in_(candidates))
        if account_id is not None:
            query = query.where(TimelineEvent.account_id == account_id)
        if where.start is not None:
            query = query.where(TimelineEvent.occurred_at >= where.start)
        if where.end is not None:
            query = query.where(TimelineEvent.occurred_at < where.end)
        if not numeric:
            query = query.limit(limit)
        result = session.execute(query.execution_options(yield_per=2000))
        taken = 0
        for at, event_id, subkind, data in result:
            if numeric:
                tokens = _WORD.findall(fold(" ".join(timeline_titles.all_languages(kind, subkind, data))))
                if not all(any(t.startswith(w) for t in tokens) for w in wanted):
                    continue
            found.append((at, event_id))
            taken += 1
            if taken >= limit:
                break
        result.close()
    found.sort(reverse=True)
    return found[:limit]
