"""Recompute and snapshot storage: score the accounts' history and write it, in full or from a day on."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.health.alerts import _alert_candidates, _Drop, _latest, _raise_alerts
from csdesk.health.breakdowns import Breakdowns, pack_breakdowns, unpack_breakdowns
from csdesk.health.inputs import _day_number, load_inputs
from csdesk.health.model import CHUNK, HISTORY_WEEKS, Model, get_alert_settings, list_models
from csdesk.health.scoring import (
    COMPARE_SLACK_DAYS,
    RED_CROSSING_DAYS,
    TREND_DAYS,
    ScoreGrid,
    history_days,
    score_grid,
)
from csdesk.i18n import tr
from csdesk.progress import SILENT, Progress, write_waiting
from db import Database, bulk
from db.bulk import insert_rows
from db.models import (
    POINTS_MISSING,
    Account,
    HealthBreakdown,
    HealthLayout,
    HealthSnapshot,
    Measure,
    SurveyResponse,
    TimelineEvent,
)

# ---------------------------------------------------------------------------
# Writing snapshots


def _layout_ids(session: Session, layouts: Sequence[list[dict[str, Any]]]) -> list[int]:
    """The ``HealthLayout`` row of each layout ([{key, measure, weight}]), created when new."""
    existing = {
        json.dumps(row.components, sort_keys=True): row.id for row in session.scalars(select(HealthLayout))
    }
    out = []
    for layout in layouts:
        text = json.dumps(layout, sort_keys=True)
        if text not in existing:
            row = HealthLayout(components=layout)
            session.add(row)
            session.flush()
            existing[text] = row.id
        out.append(existing[text])
    return out


def _model_layout_ids(session: Session, models: Sequence[Model]) -> dict[int, int]:
    """The ``HealthLayout`` row of each model's components, by model index."""
    layouts = [
        [{"key": c.key, "measure": c.measure, "weight": c.weight} for c in m.components] for m in models
    ]
    return dict(enumerate(_layout_ids(session, layouts)))


def _cells(grid: ScoreGrid, ai: np.ndarray, di: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's component points (uint16 hundredths) and input values (float32): components × cells.

    A model with fewer components than the widest leaves the rest missing.
    """
    k_max = grid.points.shape[0]
    points = np.full((k_max, len(ai)), POINTS_MISSING, dtype="<u2")
    values = np.full((k_max, len(ai)), np.nan, dtype="<f4")
    for mi, model in enumerate(grid.models):
        sel = np.flatnonzero(grid.model_index[ai] == mi)
        if len(sel) == 0:
            continue
        k = len(model.components)
        a, d = ai[sel], di[sel]
        raw = grid.points[:k, a, d]
        points[:k, sel] = np.where(np.isnan(raw), POINTS_MISSING, np.rint(raw * 100))
        values[:k, sel] = np.where(np.isnan(raw), np.nan, grid.values[:k, a, d])
    return points, values


def _breakdown_rows(
    grid: ScoreGrid, ai: np.ndarray, di: np.ndarray, layout_ids: dict[int, int], kept: dict[int, Breakdowns]
) -> list[dict[str, Any]]:
    """The ``HealthBreakdown`` rows of the grid's accounts: ``kept`` (their days before the
    grid's, unchanged) followed by the grid's valid cells (``ai``, ``di``: account-major)."""
    points, values = _cells(grid, ai, di)
    layouts = np.array([layout_ids[i] for i in range(len(grid.models))], dtype=np.int64)[grid.model_index[ai]]
    days = grid.days[di].astype(np.int64)
    cuts = np.searchsorted(ai, np.arange(len(grid.ids) + 1))
    rows = []
    for i, account_id in enumerate(grid.ids.tolist()):
        lo, hi = cuts[i], cuts[i + 1]
        b = Breakdowns(days[lo:hi], layouts[lo:hi], points[:, lo:hi], values[:, lo:hi])
        old = kept.get(account_id)
        if old is not None:
            b = _concat(old, b)
        if len(b.days):
            rows.append({"account_id": account_id, "first_day": int(b.days[0]), "data": pack_breakdowns(b)})
    return rows


def _concat(old: Breakdowns, new: Breakdowns) -> Breakdowns:
    k = max(old.points.shape[0], new.points.shape[0])

    def wide(a: np.ndarray, fill: float) -> np.ndarray:
        return np.vstack([a, np.full((k - a.shape[0], a.shape[1]), fill, dtype=a.dtype)])

    return Breakdowns(
        np.concatenate([old.days, new.days]),
        np.concatenate([old.layouts, new.layouts]),
        np.hstack([wide(old.points, POINTS_MISSING), wide(new.points, POINTS_MISSING)]),
        np.hstack([wide(old.values, np.nan), wide(new.values, np.nan)]),
    )


def _kept_breakdowns(session: Session, ids: list[int], first: int) -> dict[int, Breakdowns]:
    """The stored breakdowns of days before ``first`` of these accounts (the rest is rewritten);
    their rows are deleted."""
    table = HealthBreakdown.__table__
    kept = {}
    for lo in range(0, len(ids), 5000):
        part = ids[lo : lo + 5000]
        older = session.execute(
            select(table.c.account_id, table.c.data).where(
                table.c.account_id.in_(part), table.c.first_day < first
            )
        ).all()
        for account_id, data in older:
            b = unpack_breakdowns(data)
            j = int(np.searchsorted(b.days, first))
            kept[account_id] = Breakdowns(b.days[:j], b.layouts[:j], b.points[:, :j], b.values[:, :j])
        session.execute(delete(table).where(table.c.account_id.in_(part)))
    return kept


@dataclass(frozen=True)
class GivenSnapshot:
    """A score given with its breakdown in the long form: [{key, measure, weight, points, value}]
    (``points`` None: the component is missing)."""

    as_of: date
    score: float
    band: str
    components: Sequence[dict[str, Any]] = ()
    complete: bool = True
    model_id: int | None = None


def store_history(session: Session, account_id: int, snapshots: Sequence[GivenSnapshot]) -> None:
    """Store an account's history as given (a one-off writer's or a test's; a recompute scores
    its own): its snapshots, and its breakdowns packed as a recompute keeps them. Replaces
    what the account had on those days and its stored breakdowns."""
    snapshots = sorted(snapshots, key=lambda s: s.as_of)
    days = [s.as_of for s in snapshots]
    session.execute(
        delete(HealthSnapshot).where(HealthSnapshot.account_id == account_id, HealthSnapshot.as_of.in_(days))
    )
    session.execute(delete(HealthBreakdown).where(HealthBreakdown.account_id == account_id))
    session.add_all(
        HealthSnapshot(
            account_id=account_id,
            as_of=s.as_of,
            score=s.score,
            band=s.band,
            complete=s.complete,
            model_id=s.model_id,
        )
        for s in snapshots
    )
    if not snapshots:
        return
    layouts = _layout_ids(
        session,
        [
            [{"key": c["key"], "measure": c.get("measure", ""), "weight": c["weight"]} for c in s.components]
            for s in snapshots
        ],
    )
    k = max(len(s.components) for s in snapshots)
    points = np.full((k, len(snapshots)), POINTS_MISSING, dtype="<u2")
    values = np.full((k, len(snapshots)), np.nan, dtype="<f4")
    for j, s in enumerate(snapshots):
        for i, c in enumerate(s.components):
            if c.get("points") is not None and not c.get("missing"):
                points[i, j] = round(float(c["points"]) * 100)
                values[i, j] = np.nan if c.get("value") is None else float(c["value"])
    day_numbers = np.array([_day_number(d) for d in days], dtype=np.int64)
    b = Breakdowns(day_numbers, np.array(layouts, dtype=np.int64), points, values)
    session.add(
        HealthBreakdown(account_id=account_id, first_day=int(day_numbers[0]), data=pack_breakdowns(b))
    )


def stored_breakdowns(db: Database, account_id: int) -> Breakdowns | None:
    with db.session() as session:
        data = session.scalar(select(HealthBreakdown.data).where(HealthBreakdown.account_id == account_id))
    return None if data is None else unpack_breakdowns(data)


@dataclass(frozen=True)
class RecomputeResult:
    accounts: int
    snapshots: int
    alerts: int
    seconds: float


def recompute(
    db: Database,
    account_ids: Iterable[int] | None = None,
    *,
    today: date | None = None,
    weeks: int = HISTORY_WEEKS,
    progress: Progress = SILENT,
    alerts: bool = True,
    since: date | None = None,
) -> RecomputeResult:
    """Recompute the weekly history (``weeks`` back, plus today) of some or all accounts.

    Replaces their snapshots in that range, refreshes ``Account.health_*`` and
    raises alerts (as tasks) for the latest scores. One transaction: all or nothing.

    ``since``: the earliest day whose inputs changed (an import's rows): the scores
    before it are unchanged, so only the days from it on are scored and rewritten
    (and the few weeks the trends and alerts compare with), by the same scoring.
    """
    started = time.perf_counter()
    today = today or clock.today()
    alert_settings = get_alert_settings(db)
    # The alert's window is a comparison day of its own, so "in 7 days" is 7 days.
    compare = (*TREND_DAYS, int(alert_settings["drop_days"]))
    days = history_days(today, weeks, compare)
    if since is not None:
        days = [d for d in days if d >= min(since, rescore_start(today, compare))]
    progress.step(0, 1, tr("Loading health inputs…"), force=True)
    models = list_models(db)
    inputs = load_inputs(db, days[0], account_ids)
    n = len(inputs.ids)
    written = 0
    latest_rows: list[dict[str, Any]] = []
    drops: list[_Drop] = []
    reds: list[tuple[int, date | None, str | None]] = []
    with db.transaction(write_waiting(progress)) as session:
        stmt = delete(HealthSnapshot).where(HealthSnapshot.as_of >= days[0])
        if account_ids is not None:
            stmt = stmt.where(HealthSnapshot.account_id.in_([int(i) for i in inputs.ids]))
        session.execute(stmt)
        model_ids = {i: m.id for i, m in enumerate(models)}
        layout_ids = _model_layout_ids(session, models)
        conn = session.connection()
        # A big page cache while millions of rows go in; the by-day index rebuilt once at the
        # end when the rows written outnumber those kept (a full recompute), not row by row.
        with (
            bulk.bigger_page_cache(conn),
            bulk.deferred_indexes(conn, HealthSnapshot.__tablename__, n * len(days)),
        ):
            for lo in range(0, max(n, 1), CHUNK):
                if n == 0:
                    break
                progress.step(lo, n, tr("Computing health scores…"))
                grid = score_grid(inputs, models, days, today, slice(lo, min(n, lo + CHUNK)))
                written += _write_grid(session, grid, model_ids, layout_ids, _day_number(days[0]))
                latest_rows.extend(_latest(grid, today))
                if alerts:
                    d, r = _alert_candidates(grid, alert_settings, partial=since is not None)
                    drops.extend(d)
                    reds.extend(r)
            progress.step(n, n, tr("Saving health scores…"), force=True)
        if latest_rows:
            session.execute(update(Account), latest_rows)
        created = _raise_alerts(session, drops, reds, today, alert_settings) if alerts else 0
    return RecomputeResult(n, written, created, time.perf_counter() - started)


# The dated inputs an import writes, by table: their day bounds the scores the import changed.
_DATED_INPUTS = {
    "measures": Measure.as_of,
    "survey_responses": SurveyResponse.answered_at,
    "timeline_events": TimelineEvent.occurred_at,
}
# Tables an import writes that no score reads.
_NOT_INPUTS = frozenset({"contacts", "tasks", "revenue_changes"})
# Account columns an import refreshes along with dated rows: today's figures (licences and
# active users as of the latest usage row, the last NPS, the last touch). Rescoring from
# the dated rows' first day covers them; history before it keeps the figures of its time.
_DATED_WITH_ROWS = frozenset({"licensed_users", "active_users", "last_nps", "last_touch_at", "updated_at"})


def rescore_since(db: Database, run_id: int) -> date | None:
    """The earliest day whose scores an import may have changed; None = the whole history.

    A weekly usage file changes the last week: its accounts are rescored from that week
    on (``recompute(since=...)``), not over two years. An import that created accounts,
    changed what an account is (segment, dates, status) or was undone changes everything.
    """
    from db.models import ImportChange, ImportRun

    with db.session() as session:
        status = session.scalar(select(ImportRun.status).where(ImportRun.id == run_id))
        if status != "done":
            return None
        tables = session.scalars(
            select(ImportChange.table_name).where(ImportChange.run_id == run_id).distinct()
        ).all()
        if any(t not in _DATED_INPUTS and t not in _NOT_INPUTS and t != "accounts" for t in tables):
            return None
        if "accounts" in tables:
            for action, before in session.execute(
                select(ImportChange.action, ImportChange.before).where(
                    ImportChange.run_id == run_id, ImportChange.table_name == "accounts"
                )
            ):
                if action != "updated" or not set(before or {}) <= _DATED_WITH_ROWS:
                    return None
        days = []
        for table, column in _DATED_INPUTS.items():
            # The rows it created carry its run id; the rows it updated are in its changes.
            queries = [select(func.min(column)).where(column.table.c.import_run_id == run_id)]
            if table in tables and "id" not in column.table.c:
                # A keyed table's rows (importing.write.KEYS) are named by their key, the day among it,
                # in ISO form (which sorts as the days do).
                first = session.scalar(
                    select(func.min(ImportChange.before[column.key].as_string())).where(
                        ImportChange.run_id == run_id, ImportChange.table_name == table
                    )
                )
                if first is not None:
                    days.append(date.fromisoformat(first))
            elif table in tables:
                rows = select(ImportChange.row_id).where(
                    ImportChange.run_id == run_id, ImportChange.table_name == table
                )
                queries.append(select(func.min(column)).where(column.table.c.id.in_(rows)))
            for query in queries:
                first = session.scalar(query)
                if first is not None:
                    days.append(first.date() if isinstance(first, datetime) else first)
    return min(days) if days else None


def rescore_start(today: date, compare: Sequence[int] = TREND_DAYS) -> date:
    """The first day a partial recompute scores, however recent its change: the trends and
    alerts of today compare with scores up to this far back (and a red run's start)."""
    return today - timedelta(days=max(max(compare) + COMPARE_SLACK_DAYS, RED_CROSSING_DAYS + 7))


def _write_grid(
    session: Session,
    grid: ScoreGrid,
    model_ids: dict[int, int | None],
    layout_ids: dict[int, int],
    first: int,
) -> int:
    ai, di = np.nonzero(grid.valid)
    kept = _kept_breakdowns(session, grid.ids.tolist(), first)
    breakdowns = _breakdown_rows(grid, ai, di, layout_ids, kept)
    if breakdowns:
        session.execute(insert(HealthBreakdown.__table__), breakdowns)
    if len(ai) == 0:
        return 0
    model_index = grid.model_index[ai].tolist()
    # In their stored form (db.models: day numbers, tenths of a point, band positions); the
    # breakdowns go to HealthBreakdown, one row per account.
    columns = {
        "account_id": grid.ids[ai].tolist(),
        "as_of": grid.days[di].tolist(),
        "score": np.rint(grid.score[ai, di] * 10).astype(np.int64).tolist(),
        "band": grid.band[ai, di].astype(np.int64).tolist(),
        "complete": grid.complete[ai, di].tolist(),
        "model_id": [model_ids[i] for i in model_index],
    }
    insert_rows(session, HealthSnapshot.__table__, columns)
    return len(ai)
