"""Reading health: history, explanations ("why it moved"), trends, coverage, portfolio series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk import clock, formatting
from csdesk.health.breakdowns import unpack_breakdowns
from csdesk.health.inputs import _day_number, load_inputs
from csdesk.health.model import Component, Model, list_models, measure_short_label
from csdesk.health.scoring import BAND_KEYS, COMPARE_SLACK_DAYS, TREND_DAYS, score_grid
from csdesk.i18n import tr
from db import Database
from db.models import (
    Account,
    HealthBreakdown,
    HealthLayout,
    HealthSnapshot,
    breakdown_components,
)

# ---------------------------------------------------------------------------
# Reading: history, explanation


@dataclass(frozen=True)
class ComponentScore:
    key: str
    measure: str
    points: float | None  # 0-10
    weight: float  # percent, as in the model
    effective_weight: float  # fraction actually used (weights of missing inputs redistributed)
    value: float | None
    missing: bool

    @property
    def contribution(self) -> float:
        """Points this component adds to the 0-100 score."""
        return 0.0 if self.points is None else self.points * self.effective_weight * 10.0


@dataclass(frozen=True)
class Snapshot:
    account_id: int
    as_of: date
    score: float
    band: str
    complete: bool
    components: tuple[ComponentScore, ...]
    model_id: int | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.components if c.missing)


def _snapshot(row: HealthSnapshot, stored: _Stored) -> Snapshot:
    """A stored score with its breakdown (the account's ``HealthBreakdown``)."""
    components = stored.components(row.as_of)
    comps = tuple(
        ComponentScore(
            key=c.get("key", ""),
            measure=c.get("measure", ""),
            points=c.get("points"),
            weight=float(c.get("weight") or 0),
            effective_weight=float(c.get("effective_weight") or 0),
            value=c.get("value"),
            missing=bool(c.get("missing")),
        )
        for c in components
    )
    return Snapshot(row.account_id, row.as_of, row.score, row.band, row.complete, comps, row.model_id)


class _Stored:
    """One account's stored breakdowns, read once for all its snapshots."""

    def __init__(self, session: Session, account_id: int):
        self.session = session
        data = session.scalar(select(HealthBreakdown.data).where(HealthBreakdown.account_id == account_id))
        self.breakdowns = None if data is None else unpack_breakdowns(data)
        self.layouts: dict[int, list] = {}

    def components(self, day: date) -> list[dict]:
        cell = None if self.breakdowns is None else self.breakdowns.cell(_day_number(day))
        if cell is None:
            return []
        layout_id, points, values = cell
        if layout_id not in self.layouts:
            self.layouts[layout_id] = (
                self.session.scalar(select(HealthLayout.components).where(HealthLayout.id == layout_id)) or []
            )
        layout = self.layouts[layout_id]
        return breakdown_components(layout, points[: 2 * len(layout)], values[: 4 * len(layout)])


def history(
    db: Database, account_id: int, start: date | None = None, end: date | None = None
) -> list[Snapshot]:
    """An account's snapshots, oldest first."""
    with db.session() as session:
        q = select(HealthSnapshot).where(HealthSnapshot.account_id == account_id)
        if start:
            q = q.where(HealthSnapshot.as_of >= start)
        if end:
            q = q.where(HealthSnapshot.as_of <= end)
        rows = session.scalars(q.order_by(HealthSnapshot.as_of)).all()
        stored = _Stored(session, account_id)
        return [_snapshot(r, stored) for r in rows]


def score_series(db: Database, account_id: int) -> tuple[list[date], list[float], list[str]]:
    """(days, scores, bands) of an account's history, light enough for charts."""
    with db.session() as session:
        rows = session.execute(
            select(HealthSnapshot.as_of, HealthSnapshot.score, HealthSnapshot.band)
            .where(HealthSnapshot.account_id == account_id)
            .order_by(HealthSnapshot.as_of)
        ).all()
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


@dataclass(frozen=True)
class Move:
    key: str
    measure: str
    delta: float  # change of the component's contribution, in score points
    before: float | None  # points 0-10
    after: float | None


@dataclass(frozen=True)
class Explanation:
    account_id: int
    current: Snapshot | None
    previous: Snapshot | None
    moves: tuple[Move, ...]  # biggest first
    model: Model | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return round(self.current.score - self.previous.score, 1)

    def label_of(self, key: str, measure: str, language: str | None = None) -> str:
        comp = self.model.component(key) if self.model else None
        return comp.display_label(language) if comp else measure_short_label(measure, language)

    def missing_labels(self, language: str | None = None) -> list[str]:
        if self.current is None:
            return []
        return [self.label_of(c.key, c.measure, language) for c in self.current.components if c.missing]

    def change_text(self, language: str | None = None, limit: int = 3) -> str:
        return change_text(self.moves, self.model, language, limit)


def _moves(previous: Snapshot, current: Snapshot) -> tuple[Move, ...]:
    """What each component did to the score, biggest first; they add up to the change.

    The components are changed one at a time, from the previous state to the current
    one, and each gets the score change its own step caused. A component whose points
    and weight stayed put gets 0, even though the weight shared out among the present
    inputs moved its contribution: when data arrives, the new data moved the score,
    not the component that was already there.
    """
    state = {c.key: (c.weight, c.points) for c in previous.components if c.points is not None}
    measures = {c.key: c.measure for c in (*previous.components, *current.components)}
    before_points = {c.key: c.points for c in previous.components}
    after = {c.key: (c.weight, c.points) for c in current.components if c.points is not None}

    def score(entries: dict[str, tuple[float, float]]) -> float:
        total = sum(w for w, _p in entries.values())
        return sum(w * p for w, p in entries.values()) / total * 10.0 if total > 0 else 0.0

    moves = []
    for key in [c.key for c in current.components] + [k for k in before_points if k not in after]:
        if state.get(key) == after.get(key):
            delta = 0.0
        else:
            was = score(state)
            if key in after:
                state[key] = after[key]
            else:
                state.pop(key, None)
            delta = score(state) - was if state else 0.0
        moves.append(
            Move(key, measures[key], round(delta, 2), before_points.get(key), after.get(key, (0, None))[1])
        )
    return tuple(sorted(moves, key=lambda m: -abs(m.delta)))


def signed(value: float, language: str | None = None, digits: int = 1) -> str:
    """+1,5 / −3,0 (a real minus sign)."""
    text = formatting.number(abs(value), digits, language)
    return ("−" if value < 0 else "+") + text


def change_text(
    moves: Sequence[Move], model: Model | None = None, language: str | None = None, limit: int = 3
) -> str:
    """'Usage −3.0 pts, NPS −1.5 pts': the components that moved, biggest first."""
    parts = []
    for m in moves:
        if abs(m.delta) < 0.05 or len(parts) >= limit:
            continue
        comp = model.component(m.key) if model else None
        name = comp.display_label(language) if comp else measure_short_label(m.measure, language)
        parts.append(tr("{name} {delta} pts", language, name=name, delta=signed(m.delta, language)))
    return ", ".join(parts)


def explain(db: Database, account_id: int, as_of: date | None = None, compare_days: int = 7) -> Explanation:
    """The breakdown of the latest score (on or before ``as_of``) and what moved since ``compare_days`` ago."""
    with db.session() as session:
        q = select(HealthSnapshot).where(HealthSnapshot.account_id == account_id)
        if as_of:
            q = q.where(HealthSnapshot.as_of <= as_of)
        current_row = session.scalars(q.order_by(HealthSnapshot.as_of.desc()).limit(1)).first()
        segment, score_now_stored = session.execute(
            select(Account.segment, Account.health_score).where(Account.id == account_id)
        ).one_or_none() or (None, None)
        if as_of is None and score_now_stored is None:
            current_row = None  # no score today (no data, or churned): an old one is not the current one
        previous_row = None
        if current_row is not None:
            target = current_row.as_of - timedelta(days=compare_days)
            previous_row = session.scalars(
                select(HealthSnapshot)
                .where(
                    HealthSnapshot.account_id == account_id,
                    HealthSnapshot.as_of <= target,
                    HealthSnapshot.as_of >= target - timedelta(days=COMPARE_SLACK_DAYS),
                )
                .order_by(HealthSnapshot.as_of.desc())
                .limit(1)
            ).first()
        stored = _Stored(session, account_id)
        current = _snapshot(current_row, stored) if current_row is not None else None
        previous = _snapshot(previous_row, stored) if previous_row is not None else None
    model = None
    models = list_models(db)
    if current_row is not None and current_row.model_id is not None:
        model = next((m for m in models if m.id == current_row.model_id), None)
    if model is None:
        model = next((m for m in models if m.segment == segment), None) or models[0]
    moves = _moves(previous, current) if current and previous else ()
    return Explanation(account_id, current, previous, moves, model)


@dataclass(frozen=True)
class Change:
    """A score change over ``days`` days, compared with the score of ``since``."""

    points: float
    days: int  # asked for
    since: date  # the snapshot compared with: the nearest on or before ``days`` back

    @property
    def exact(self) -> bool:
        return self.actual_days == self.days

    @property
    def actual_days(self) -> int:
        return (self.as_of - self.since).days

    as_of: date = date.min  # the latest score's day


def trend(db: Database, account_id: int, days: Sequence[int] = TREND_DAYS) -> dict[int, Change | None]:
    """Score change over each number of days: the latest score against the nearest
    scored snapshot on or before that many days back (at most a week earlier; never
    a missing score). None when there is no current score or nothing to compare with."""
    series_days, scores, _bands = score_series(db, account_id)
    with db.session() as session:
        stored = session.scalar(select(Account.health_score).where(Account.id == account_id))
    if not series_days or stored is None:
        return dict.fromkeys(days)
    last_day, last = series_days[-1], scores[-1]
    out: dict[int, Change | None] = {}
    for n in days:
        target = last_day - timedelta(days=n)
        earlier = [
            (d, s)
            for d, s in zip(series_days, scores, strict=True)
            if target - timedelta(days=COMPARE_SLACK_DAYS) <= d <= target
        ]
        out[n] = Change(round(last - earlier[-1][1], 1), n, earlier[-1][0], last_day) if earlier else None
    return out


def changes(db: Database, account_id: int, days: Sequence[int] = TREND_DAYS) -> dict[int, float | None]:
    """Score change over each number of days (see ``trend``), in points."""
    return {n: (c.points if c else None) for n, c in trend(db, account_id, days).items()}


def score_now(db: Database, account_id: int, today: date | None = None) -> Snapshot | None:
    """Today's score of one account, computed without storing it."""
    today = today or clock.today()
    inputs = load_inputs(db, today, [account_id])
    if len(inputs.ids) == 0:
        return None
    grid = score_grid(inputs, list_models(db), [today], today)
    if not grid.valid[0, 0]:
        return None
    model = grid.models[grid.model_index[0]]
    comps = tuple(
        ComponentScore(
            c.key,
            c.measure,
            None if np.isnan(grid.points[k, 0, 0]) else float(grid.points[k, 0, 0]),
            c.weight,
            float(grid.eff_weight[k, 0, 0]),
            None if np.isnan(grid.values[k, 0, 0]) else float(grid.values[k, 0, 0]),
            bool(np.isnan(grid.points[k, 0, 0])),
        )
        for k, c in enumerate(model.components)
    )
    return Snapshot(
        account_id,
        today,
        float(grid.score[0, 0]),
        BAND_KEYS[grid.band[0, 0]],
        bool(grid.complete[0, 0]),
        comps,
        model.id,
    )


@dataclass(frozen=True)
class Coverage:
    """How much of its model's weight an account's inputs carry today (percent)."""

    present: float
    required: float
    present_labels: tuple[str, ...]
    missing_labels: tuple[str, ...]

    @property
    def enough(self) -> bool:
        return self.present >= self.required - 1e-6


def coverage(
    db: Database, account_id: int, today: date | None = None, language: str | None = None
) -> Coverage | None:
    """Which of the model's inputs an account has today: why it has a score, or No data."""
    today = today or clock.today()
    inputs = load_inputs(db, today, [account_id])
    if len(inputs.ids) == 0:
        return None
    grid = score_grid(inputs, list_models(db), [today], today)
    model = grid.models[grid.model_index[0]]
    present = [not np.isnan(grid.points[k, 0, 0]) for k in range(len(model.components))]
    return Coverage(
        present=round(sum(c.weight for c, p in zip(model.components, present, strict=True) if p), 1),
        required=model.min_weight,
        present_labels=tuple(
            c.display_label(language) for c, p in zip(model.components, present, strict=True) if p
        ),
        missing_labels=tuple(
            c.display_label(language) for c, p in zip(model.components, present, strict=True) if not p
        ),
    )


# ---------------------------------------------------------------------------
# Portfolio series


def average_series(
    db: Database, start: date | None = None, end: date | None = None, segment: str | None = None
) -> list[tuple[date, float, int]]:
    """(day, average score, accounts scored) for each snapshot day (weekly)."""
    with db.session() as session:
        # The average of the stored tenths, read back as points like the column itself.
        average = func.avg(HealthSnapshot.score, type_=HealthSnapshot.score.type)
        q = select(HealthSnapshot.as_of, average, func.count()).group_by(HealthSnapshot.as_of)
        if start:
            q = q.where(HealthSnapshot.as_of >= start)
        if end:
            q = q.where(HealthSnapshot.as_of <= end)
        if segment:
            q = q.where(HealthSnapshot.account_id.in_(select(Account.id).where(Account.segment == segment)))
        rows = session.execute(q.order_by(HealthSnapshot.as_of)).all()
    # The weekly grid (Mondays) plus the very last day: the comparison days (7 and 30 days
    # before a recompute) hold only the accounts recomputed that day.
    last = rows[-1][0] if rows else None
    return [(r[0], float(r[1]), int(r[2])) for r in rows if r[0].weekday() == 0 or r[0] == last]


@dataclass(frozen=True)
class BandSplit:
    band: str | None
    accounts: int
    mrr_cents: int


def band_split(db: Database, segment: str | None = None, today: date | None = None) -> list[BandSplit]:
    """Active accounts by current band (green, yellow, red, unscored): count and MRR.

    MRR is in the base currency at ``today``'s rates; accounts of a currency without
    a rate count as accounts but add no MRR (csdesk.currency: never US$ as R$). Each
    currency's sum is converted once (a chart's figure: at most a cent per account apart
    from converting account by account).
    """
    from csdesk import currency

    rates = currency.load_rates(db)
    today = today or clock.today()
    with db.session() as session:
        q = select(
            Account.health_band, Account.currency, func.count(), func.coalesce(func.sum(Account.mrr_cents), 0)
        ).where(Account.status == "active")
        if segment:
            q = q.where(Account.segment == segment)
        rows: dict[str | None, tuple[int, int]] = {}
        for band, code, count, cents in session.execute(q.group_by(Account.health_band, Account.currency)):
            accounts, mrr = rows.get(band, (0, 0))
            rows[band] = (accounts + int(count), mrr + (rates.to_base(int(cents), code, today) or 0))
    return [BandSplit(b, *rows.get(b, (0, 0))) for b in (*BAND_KEYS, None)]


def with_model_component(model: Model, index: int, component: Component) -> Model:
    comps = list(model.components)
    comps[index] = component
    return replace(model, components=tuple(comps))


@dataclass(frozen=True)
class AccountHealth:
    """One account's health for the CLI and lists."""

    account_id: int
    name: str
    score: float | None
    band: str | None
    complete: bool | None
    components: tuple[ComponentScore, ...] = field(default=())
    change_7: float | None = None
    change_30: float | None = None
