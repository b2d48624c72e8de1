"""The revenue ledger (domain §3): every change of an account's MRR or status is one dated movement.

Every path that changes MRR or status goes through this module: import
snapshots, MRR history files, won deals, the account dialog, ``csdesk update``,
and undo. Its rules, written once:

- :func:`classify` decides the movement between two states: new / reactivation
  (activation, "reactivation" when the account was ever a customer), expansion
  / contraction, churn. An MRR of 0 for a paying customer is a churn, and a
  churn always carries the last known MRR above zero.
- :func:`first_kind`: an account first seen without any known start is an
  *opening balance* (kind ``opening``), not a new logo; the metrics take an
  opening balance as the account's state before its date too, and say from
  which date the history is complete.
- :func:`merge_history`: dated history wins over undated snapshots. An account's
  first movement is re-dated to its earliest known date; a point re-states the
  MRR at its date.
- :func:`account_state`: the account row (status, MRR, churn date) follows the
  ledger: a churned account keeps the MRR it had when it left.

The import's bulk path writes the same movements column-wise through
:func:`first_movement_sql` (SQLite) and :func:`insert_movements`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from csdesk.errors import UserError
from csdesk.i18n import tr
from db import bulk, encoding
from db.models import Account, RevenueChange, TimelineEvent

FIRST_KINDS = ("new", "opening")
ACTIVATING = ("new", "opening", "reactivation")


# The rule ------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """An account's revenue state: customer or not, MRR, the last MRR above zero, ever a customer."""

    active: bool = False
    mrr: int = 0
    last_positive: int = 0
    ever_active: bool = False


NEVER = State()


def classify(
    state: State, active: bool, mrr: int, *, start_known: bool = True
) -> tuple[str, int, int] | None:
    """The movement (kind, MRR before, MRR after) from ``state`` to (active, mrr); None: no movement.

    A paying customer whose MRR becomes 0 has churned. A churn carries the last
    known MRR above zero, whatever the source says the MRR is when it leaves.
    """
    if active and mrr == 0 and state.active and state.mrr > 0:
        active = False
    if state.active and not active:
        return ("churn", state.mrr or state.last_positive, 0)
    if not state.active and active:
        if state.ever_active:
            return ("reactivation", 0, mrr)
        return (first_kind(start_known), 0, mrr)
    if active and mrr != state.mrr:
        return ("expansion" if mrr > state.mrr else "contraction", state.mrr, mrr)
    return None


def first_kind(start_known: bool) -> str:
    """An account's first movement: a new logo when its start is known, else an opening balance."""
    return "new" if start_known else "opening"


def first_movement(start: date | None, churn_date: date | None, as_of: date) -> tuple[str, date]:
    """An account's first movement when a snapshot creates it: (kind, day).

    Dated at its contract start when known and not after the snapshot's date, else at
    the snapshot's date; never after the account's churn date.
    """
    day = start if start is not None and start <= as_of else as_of
    if churn_date is not None and churn_date < day:
        day = churn_date
    return first_kind(start is not None), day


def after(state: State, kind: str, before: int, mrr_after: int) -> State:
    """The state a movement leaves."""
    if kind == "churn":
        return State(False, 0, before or state.last_positive, True)
    return State(True, mrr_after, mrr_after or state.last_positive, True)


@dataclass(frozen=True)
class Movement:
    id: int
    account_id: int
    day: date
    kind: str
    before: int
    after: int


def state_before(moves: Sequence[Movement], fallback: State = NEVER) -> State:
    """The state before an account's first movement."""
    if not moves:
        return fallback
    first = moves[0]
    if first.kind in ACTIVATING:
        return NEVER if first.kind != "reactivation" else State(False, 0, 0, True)
    return State(True, first.before, first.before, True)


def replay(moves: Sequence[Movement], fallback: State = NEVER, upto: date | None = None) -> State:
    """The state after the movements (those on or before ``upto``), in order."""
    state = state_before(moves, fallback)
    for move in moves:
        if upto is not None and move.day > upto:
            break
        state = after(state, move.kind, move.before, move.after)
    return state


def row_state(status: str | None, mrr: int | None) -> State:
    """The state an account row shows (a churned account keeps the MRR it had)."""
    mrr = mrr or 0
    if status == "churned":
        return State(False, 0, mrr, True)
    return State(True, mrr, mrr, True)


def account_values(state: State, on: date, reason: str | None = None) -> dict[str, Any]:
    """The account row's columns that follow the ledger's state (a churned account keeps its last MRR)."""
    if state.active:
        return {"status": "active", "mrr_cents": state.mrr, "churn_date": None, "churn_reason": None}
    return {"status": "churned", "mrr_cents": state.last_positive, "churn_date": on, "churn_reason": reason}


# Reading -------------------------------------------------------------------------------


def movements_of(session: Session, account_ids: Iterable[int] | None = None) -> dict[int, list[Movement]]:
    """Each account's movements, in ledger order (date, then id)."""
    query = select(
        RevenueChange.id,
        RevenueChange.account_id,
        RevenueChange.effective_date,
        RevenueChange.kind,
        RevenueChange.mrr_before_cents,
        RevenueChange.mrr_after_cents,
    ).order_by(RevenueChange.account_id, RevenueChange.effective_date, RevenueChange.id)
    result: dict[int, list[Movement]] = {}
    ids = None if account_ids is None else sorted(set(account_ids))
    if ids is not None and not ids:
        return result
    chunks = [None] if ids is None else [ids[i : i + 900] for i in range(0, len(ids), 900)]
    for chunk in chunks:
        q = query if chunk is None else query.where(RevenueChange.account_id.in_(chunk))
        for row in session.execute(q):
            result.setdefault(row[1], []).append(Movement(*row))
    return result


def last_days(session: Session) -> dict[int, date]:
    """Each account's latest movement date."""
    return dict(
        session.execute(
            select(RevenueChange.account_id, func.max(RevenueChange.effective_date)).group_by(
                RevenueChange.account_id
            )
        ).all()
    )


# History -------------------------------------------------------------------------------


@dataclass
class HistoryPlan:
    """What an MRR history does to one account's ledger."""

    inserts: list[tuple[str, int, int, date]] = field(default_factory=list)  # kind, before, after, day
    updates: list[tuple[Movement, dict[str, Any]]] = field(default_factory=list)  # movement, new values
    unchanged: int = 0
    final: State = NEVER
    final_day: date | None = None  # the day of the last movement (None: none)
    latest_is_history: bool = True


def merge_history(
    moves: Sequence[Movement],
    points: Sequence[tuple[date, int]],
    *,
    fallback: State = NEVER,
    start_known: bool = False,
) -> HistoryPlan:
    """Merge dated MRR points (sorted by date) into an account's movements.

    Dated history wins: the first movement (new or opening) dated after the
    first point is re-dated to it; the snapshot it came from is kept as a later
    observation when it is newer than the whole history. Stored movements stay,
    their "before" re-chained to the merged sequence.
    """
    plan = HistoryPlan()
    moves = list(moves)
    observations: list[tuple[date, int, Any]] = []  # (day, order, payload)
    if moves and points and moves[0].kind in FIRST_KINDS and moves[0].day > points[0][0] and points[0][1] > 0:
        first = moves.pop(0)
        day0, mrr0 = points[0]
        plan.updates.append((first, {"effective_date": day0, "mrr_after_cents": mrr0}))
        state = after(NEVER, first.kind, 0, mrr0)
        plan.unchanged += 1
        points = list(points[1:])
        if first.day > (points[-1][0] if points else day0) and first.after != mrr0:
            observations.append((first.day, 1, ("point", first.after)))
    else:
        state = state_before(moves, fallback)
    for move in moves:
        observations.append((move.day, 0, ("move", move)))
    for day, mrr in points:
        observations.append((day, 1, ("point", mrr)))
    observations.sort(key=lambda o: (o[0], o[1]))
    last_day = None
    for day, _order, (what, payload) in observations:
        if what == "move":
            move = payload
            want_before = state.mrr if move.kind != "churn" else (state.mrr or state.last_positive)
            if move.kind not in ACTIVATING and move.before != want_before and state.active:
                plan.updates.append((move, {"mrr_before_cents": want_before}))
            state = after(state, move.kind, want_before if move.kind == "churn" else move.before, move.after)
            plan.latest_is_history = False
            last_day = day
            continue
        result = classify(state, payload > 0, payload, start_known=start_known)
        plan.latest_is_history = True
        if result is None:
            plan.unchanged += 1
            continue
        kind, before, mrr_after = result
        plan.inserts.append((kind, before, mrr_after, day))
        state = after(state, kind, before, mrr_after)
        last_day = day
    plan.final = state
    plan.final_day = last_day
    return plan


# Writing -------------------------------------------------------------------------------


def movement_rows(
    account_id: Any,
    kind: str,
    before: int,
    mrr_after: int,
    on: date,
    *,
    reason: str | None = None,
    source: str = "import",
    key: str | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A movement and its timeline event, as rows to insert (``insert_movements`` writes them).

    The event stores no title: ``csdesk.timeline_titles`` renders it from its data when shown."""
    change = {
        "account_id": account_id,
        "effective_date": on,
        "kind": kind,
        "mrr_before_cents": before,
        "mrr_after_cents": mrr_after,
        "reason": (reason or None) and reason[:300],
        "source": source,
        "import_key": key,
    }
    data = {"mrr_before_cents": before, "mrr_after_cents": mrr_after, **(extra or {})}
    event = {
        "account_id": account_id,
        "occurred_at": datetime.combine(on, time.min),
        "kind": "revenue_change",
        "subkind": kind,
        "title": "",
        "body": reason,
        "channel": None,
        "severity": None,
        "source": source,
        "contact_id": None,
        "data": data,
        "import_key": key,
    }
    return change, event


def insert_movements(conn, rows: list[dict[str, Any]], writer: Callable | None = None) -> None:
    """INSERT movement rows (from ``movement_rows``): the one place rows enter the ledger.

    ``writer`` is a bulk writer of the caller's (the importer's column-wise one).
    """
    if not rows:
        return
    if writer is not None:
        writer(conn, RevenueChange.__table__, rows)
    else:
        conn.execute(insert(RevenueChange.__table__), rows)


def first_movement_sql(kind: str, run_id: int) -> dict[str, tuple[str, Callable[[int], str]]]:
    """INSERTs (SQLite) writing an account's first movement (new / opening) and its timeline event
    from (account id, day, MRR): JSON data and dates made by SQLite, as ``movement_rows`` would
    (no title: it is rendered from the data when shown).

    A 100k-account file creates 100k of each; building and binding every column of every
    row in Python was a third of the import.
    """
    if kind not in FIRST_KINDS:
        raise ValueError(kind)
    run = int(run_id)

    def change(before: int) -> str:
        account, day, mrr = (f"?{before + n}" for n in (1, 2, 3))
        return f"({account}, {day}, '{kind}', 0, {mrr}, NULL, 'import', {run}, NULL)"

    # The event's kind and source in their stored form (codes).
    event_kind = bulk.stored_literal(TimelineEvent.kind, "revenue_change")
    event_source = bulk.stored_literal(TimelineEvent.source, "import")

    def event(before: int) -> str:
        account, day, mrr = (f"?{before + n}" for n in (1, 2, 3))
        data = f"'{{\"mrr_before_cents\": 0, \"mrr_after_cents\": ' || {mrr} || '}}'"
        return (
            f"({account}, {encoding.sql_day_start(day)}, {event_kind}, '{kind}', '', NULL, NULL, NULL, "
            f"{event_source}, NULL, {run}, {data}, NULL)"
        )

    return {
        "revenue_changes": (
            "INSERT INTO revenue_changes (account_id, effective_date, kind, mrr_before_cents, "
            "mrr_after_cents, reason, source, import_run_id, import_key)",
            change,
        ),
        "timeline_events": (
            "INSERT INTO timeline_events (account_id, occurred_at, kind, subkind, title, body, channel, "
            "severity, source, contact_id, import_run_id, data, import_key)",
            event,
        ),
    }


def redate_first(
    session: Session, moves: Sequence[Movement], start: date
) -> list[tuple[str, int, dict[str, Any], dict[str, Any]]]:
    """A known contract start before an account's first movement (new or opening): that movement,
    and its timeline event, re-dated to the start as a new logo. (table, id, values, before) updates."""
    if not moves or moves[0].kind not in FIRST_KINDS or start >= moves[0].day:
        return []
    first = moves[0]
    updates: list[tuple[str, int, dict[str, Any], dict[str, Any]]] = [
        (
            "revenue_changes",
            first.id,
            {"effective_date": start, "kind": "new"},
            {"effective_date": first.day, "kind": first.kind},
        )
    ]
    event = event_of(session, first)
    if event is not None:
        event_id, _title, occurred, _data = event
        updates.append(
            (
                "timeline_events",
                event_id,
                {"occurred_at": datetime.combine(start, time.min), "subkind": "new"},
                {"occurred_at": occurred, "subkind": first.kind},
            )
        )
    return updates


def event_of(session: Session, move: Movement) -> tuple[int, str, datetime, dict[str, Any] | None] | None:
    """A movement's timeline event (same account, kind and day): id, stored title, time, data."""
    row = session.execute(
        select(TimelineEvent.id, TimelineEvent.title, TimelineEvent.occurred_at, TimelineEvent.data)
        .where(
            TimelineEvent.account_id == move.account_id,
            TimelineEvent.kind == "revenue_change",
            TimelineEvent.subkind == move.kind,
            TimelineEvent.occurred_at == datetime.combine(move.day, time.min),
        )
        .order_by(TimelineEvent.id)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


# The service of edits by hand and of the CLI ---------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """A movement written by :func:`record`; its ids undo it."""

    change_id: int
    event_id: int
    kind: str
    before: int
    after: int
    on: date


def record(
    session: Session,
    account: Account,
    *,
    on: date,
    mrr: int | None = None,
    status: str | None = None,
    reason: str | None = None,
    reason_detail: str | None = None,
    source: str = "manual",
    state: State | None = None,
) -> Recorded | None:
    """Record the change of ``account``'s MRR and/or status on ``on``, and update its row to match.

    Returns the movement (None when nothing changes). A date before the account's
    latest movement is refused: the ledger is kept in date order. ``state`` is the
    state to start from when the ledger does not know the account yet (a new account).
    """
    moves = movements_of(session, [account.id]).get(account.id, [])
    if state is None:
        fallback = row_state(account.status, account.mrr_cents)
        state = replay(moves, fallback) if moves else fallback
    active = (status or account.status) == "active"
    target_mrr = (state.mrr if state.active else state.last_positive) if mrr is None else mrr
    if not active:
        target_mrr = 0
    result = classify(state, active, target_mrr, start_known=account.contract_start is not None)
    if result is None:
        return None
    if moves and on < moves[-1].day:
        raise UserError(
            tr(
                "The date {date} is before the account's last revenue change ({last}); use a later date.",
                date=on.isoformat(),
                last=moves[-1].day.isoformat(),
            )
        )
    kind, before, mrr_after = result
    change_row, event_row = movement_rows(
        account.id, kind, before, mrr_after, on, reason=reason_detail, source=source
    )
    change = RevenueChange(**change_row)
    session.add(change)
    session.flush()
    event_row["data"] = {**event_row["data"], "revenue_change_id": change.id}
    event = TimelineEvent(**event_row)
    session.add(event)
    session.flush()
    new_state = after(state, kind, before, mrr_after)
    values = account_values(new_state, on, reason if kind == "churn" else None)
    for name, value in values.items():
        setattr(account, name, value)
    if kind == "churn":
        account.stage = "churned"
    elif account.stage == "churned":
        account.stage = "ongoing_adoption"
    account.mrr_as_of = on
    return Recorded(change.id, event.id, kind, before, mrr_after, on)


def remove(session: Session, change_id: int, event_id: int | None = None) -> None:
    """Undo one movement: delete it and its timeline event; the account row follows the ledger."""
    change = session.get(RevenueChange, change_id)
    if change is None:
        return
    account_id = change.account_id
    session.execute(delete(RevenueChange).where(RevenueChange.id == change_id))
    if event_id is not None:
        session.execute(delete(TimelineEvent).where(TimelineEvent.id == event_id))
    session.flush()
    moves = movements_of(session, [account_id]).get(account_id, [])
    account = session.get(Account, account_id)
    if account is None or not moves:
        return
    state = replay(moves)
    last = moves[-1]
    values = account_values(state, last.day, account.churn_reason)
    for name, value in values.items():
        setattr(account, name, value)


def remove_hand_movements_since(session: Session, run_id: int, account_ids: Sequence[int]) -> set[int]:
    """Delete the movements made by hand (or by later runs already undone) on ``account_ids`` since
    import ``run_id``, with their timeline events; returns the accounts."""
    first = session.scalar(select(func.min(RevenueChange.id)).where(RevenueChange.import_run_id == run_id))
    if first is None or not account_ids:
        return set()
    later = session.execute(
        select(
            RevenueChange.id, RevenueChange.account_id, RevenueChange.effective_date, RevenueChange.kind
        ).where(
            RevenueChange.account_id.in_(list(account_ids)),
            RevenueChange.import_run_id.is_(None),
            RevenueChange.id > first,
        )
    ).all()
    for change_id, account_id, day, kind in later:
        event = event_of(session, Movement(change_id, account_id, day, kind, 0, 0))
        session.execute(delete(RevenueChange).where(RevenueChange.id == change_id))
        if event is not None:
            session.execute(delete(TimelineEvent).where(TimelineEvent.id == event[0]))
    return {account_id for _id, account_id, _day, _kind in later}


def remove_run(session: Session, run_id: int) -> set[int]:
    """Delete the movements an import wrote; returns their accounts."""
    accounts = set(
        session.scalars(select(RevenueChange.account_id).where(RevenueChange.import_run_id == run_id))
    )
    session.execute(delete(RevenueChange).where(RevenueChange.import_run_id == run_id))
    return accounts
