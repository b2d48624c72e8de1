"""Health scores (domain §4): configurable models, weekly history, explanations, alerts.

A model has 3 to 7 components. Each turns one measure of the account (usage,
adoption, NPS, tickets, days since the last touch...) into 0-10 points through
bands ("from 5 up: 10 points") or a linear scale, and carries a weight; the
weights sum to 100 %. Score = Σ weight × points × 10, 0-100.

A missing input never counts as zero: the score is computed on the inputs
present with their weights scaled back up to 100 %, and the snapshot is marked
incomplete with the missing components named. No data, no score: below the
model's minimum share of the weight present (50 % by default) there is no score
at all (*Sem dados*), no band, no history point and nothing to alert on.

Scores are stored as dated ``HealthSnapshot`` rows: one per week (Mondays) for
two years plus today and the days the trends compare with (7 and 30 days and the
alert's window before today), each with its component breakdown. The recompute is
vectorised: every input is looked up for all (account, week) cells at once
with ``searchsorted`` over rows sorted by (account, day).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, String, case, delete, func, literal, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from csdesk import clock, formatting, vocab
from csdesk.errors import UserError
from csdesk.i18n import label, tr
from csdesk.progress import SILENT, Progress, write_waiting
from db import Database, bulk
from db.bulk import day_number, fetch_numeric, insert_rows
from db.models import (
    HEALTH_BANDS,
    POINTS_MISSING,
    Account,
    HealthLayout,
    HealthModel,
    HealthSnapshot,
    Measure,
    Setting,
    SurveyResponse,
    Task,
    TimelineEvent,
)

# ---------------------------------------------------------------------------
# Which timeline events are QBR meetings


def deck_logged_as_meeting() -> ColumnElement[bool]:
    """SQL test: a QBR deck generated before decks became *document* events.

    Those were stored as automatic QBR meetings (kind meeting, subkind qbr, source
    auto), and no other path writes automatic QBR meetings: they are documents.
    """
    return (
        (TimelineEvent.kind == "meeting")
        & (func.coalesce(TimelineEvent.subkind, "") == "qbr")
        & (TimelineEvent.source == "auto")
    )


def qbr_meeting() -> ColumnElement[bool]:
    """SQL test: a QBR meeting that took place (closes the QBR reminder, counts as attendance)."""
    return (
        (TimelineEvent.kind == "meeting")
        & (func.coalesce(TimelineEvent.subkind, "") == "qbr")
        & (TimelineEvent.source != "auto")
    )


# ---------------------------------------------------------------------------
# Measures a component can use

MEASURES = (
    "logins",
    "adoption",
    "key_feature_use",
    "nps",
    "csat",
    "tickets",
    "days_since_touch",
    "payment_delay",
    "renewal_proximity",
    "csm_pulse",
    "qbr_attendance",
)
MEASURE_LABELS = {
    "logins": "Usage (weekly logins per licence)",
    "adoption": "Adoption (active users ÷ licences, %)",
    "key_feature_use": "Key-feature adoption (%)",
    "nps": "Average NPS answer (0-10, last 12 months)",
    "csat": "CSAT (average answer, 1-5, last 6 months)",
    "tickets": "Support tickets (imported count, or the last 30 days' tickets weighted by severity)",
    "days_since_touch": "Days since the last touch",
    "payment_delay": "Payment delay (days)",
    "renewal_proximity": "Days to renewal",
    "csm_pulse": "CSM pulse (logged on the timeline or imported, 1-5)",
    "qbr_attendance": "QBRs held (last 6 months)",
}
# Short names for breakdowns and charts.
MEASURE_SHORT_LABELS = {
    "logins": "Usage",
    "adoption": "Adoption",
    "key_feature_use": "Key features",
    # The mean of the 0-10 answers, not an NPS (% promoters − % detractors): named for what it is.
    "nps": "Average NPS answer",
    "csat": "CSAT",
    "tickets": "Support",
    "days_since_touch": "Engagement",
    "payment_delay": "Billing",
    "renewal_proximity": "Renewal",
    "csm_pulse": "CSM pulse",
    "qbr_attendance": "QBRs",
}
# How far back a dated value still counts (days). Touch-light accounts are
# measured every few weeks, so usage looks back two months.
LOOKBACK = {
    "logins": 63,
    "active_users": 63,
    "licensed_users": 400,
    "key_feature_use": 63,
    "payment_delay_days": 120,
    "csm_pulse": 120,
    "nps": 365,
    "csat": 182,
    "tickets": 30,
    # Imported ticket counts (a usage file's ticket columns) are read like the other usage figures.
    "ticket_counts": 63,
    # Ticket events within a year say the account's tickets are tracked: then a quiet month counts as 0.
    "ticket_source": 365,
    "qbr_attendance": 182,
}
TICKET_WEIGHTS = {"low": 1.0, "medium": 1.0, "high": 2.0, "critical": 3.0}
_MEASURE_METRICS = (
    "logins",
    "active_users",
    "licensed_users",
    "key_feature_use",
    "payment_delay_days",
    "csm_pulse",
    "qbr_attendance",
    "tickets",
    "critical_tickets",
)

# How far back each stored measure is read: the look-back ``measure_values`` applies to it.
_MEASURE_LOOKBACK = {
    "logins": LOOKBACK["logins"],
    "active_users": LOOKBACK["active_users"],
    "licensed_users": LOOKBACK["licensed_users"],
    "key_feature_use": LOOKBACK["key_feature_use"],
    "payment_delay_days": LOOKBACK["payment_delay_days"],
    "csm_pulse": LOOKBACK["csm_pulse"],
    "qbr_attendance": LOOKBACK["qbr_attendance"],
    "tickets": LOOKBACK["ticket_counts"],
    "critical_tickets": LOOKBACK["ticket_counts"],
}
assert set(_MEASURE_LOOKBACK) == set(_MEASURE_METRICS)

MIN_COMPONENTS = 3
MAX_COMPONENTS = 7
HISTORY_WEEKS = 104
DEFAULT_THRESHOLDS = {"green": 80.0, "yellow": 60.0}
# No data, no score: below this share of the model's weight present (percent) an account has no score.
DEFAULT_MIN_WEIGHT = 50.0
ALERTS_KEY = "health.alerts"
DEFAULT_ALERTS = {"drop_points": 15.0, "drop_days": 7, "red": True}
CHUNK = 8192
# Up to this many accounts, a recompute reads their inputs by account in SQL.
SCOPED_LOAD_MAX = 5000


# ---------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class Scale:
    """Bands: ((from value, points), ...) — a value gets the points of the highest band it reaches
    (0 below the lowest). Linear: ``low`` gives 0 points, ``high`` 10, clipped (low > high: lower is better).
    """

    kind: str = "bands"  # bands | linear
    bands: tuple[tuple[float, float], ...] = ()
    low: float = 0.0
    high: float = 10.0

    def points(self, values: np.ndarray) -> np.ndarray:
        """0-10 points for each value; NaN stays NaN (missing)."""
        values = np.asarray(values, dtype=np.float64)
        if self.kind == "linear":
            span = self.high - self.low
            pts = np.clip((values - self.low) / span * 10.0, 0.0, 10.0)
            return pts
        ordered = sorted(self.bands)
        lows = np.array([b[0] for b in ordered], dtype=np.float64)
        pts = np.array([0.0] + [b[1] for b in ordered], dtype=np.float64)
        idx = np.searchsorted(lows, values, side="right")
        out = pts[idx]
        out[np.isnan(values)] = np.nan
        return out

    def to_json(self) -> dict[str, Any]:
        if self.kind == "linear":
            return {"type": "linear", "low": self.low, "high": self.high}
        return {"type": "bands", "bands": [[a, b] for a, b in self.bands]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scale:
        if data.get("type") == "linear":
            return cls("linear", (), float(data.get("low", 0)), float(data.get("high", 10)))
        bands = tuple((float(a), float(b)) for a, b in data.get("bands", ()))
        return cls("bands", tuple(sorted(bands, reverse=True)))


@dataclass(frozen=True)
class Component:
    key: str
    measure: str
    weight: float  # percent
    scale: Scale
    label: str | None = None  # the user's name; None = the measure's short label

    def display_label(self, language: str | None = None) -> str:
        return self.label or measure_short_label(self.measure, language)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "measure": self.measure,
            "weight": self.weight,
            "label": self.label,
            "scale": self.scale.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Component:
        return cls(
            key=str(data["key"]),
            measure=str(data["measure"]),
            weight=float(data["weight"]),
            scale=Scale.from_json(data.get("scale", {})),
            label=data.get("label") or None,
        )


@dataclass(frozen=True)
class Model:
    name: str
    components: tuple[Component, ...]
    segment: str | None = None  # None = the default model
    green: float = DEFAULT_THRESHOLDS["green"]
    yellow: float = DEFAULT_THRESHOLDS["yellow"]
    id: int | None = None
    min_weight: float = DEFAULT_MIN_WEIGHT  # percent of the weight that must be present for a score

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.components)

    def band(self, score: float | None) -> str | None:
        if score is None:
            return None
        return "green" if score >= self.green else "yellow" if score >= self.yellow else "red"

    def component(self, key: str) -> Component | None:
        return next((c for c in self.components if c.key == key), None)


def measure_label(measure: str, language: str | None = None) -> str:
    return label(MEASURE_LABELS, measure, language)


def measure_short_label(measure: str, language: str | None = None) -> str:
    return label(MEASURE_SHORT_LABELS, measure, language)


def band_label(band: str | None, language: str | None = None) -> str:
    return label(vocab.HEALTH_BAND_LABELS, band, language) if band else no_data_label(language)


def no_data_label(language: str | None = None) -> str:
    """What an account without a score shows wherever a band would be (book, splits, filters, decks)."""
    return tr(vocab.HEALTH_NO_DATA, language)


def default_model() -> Model:
    """The model that ships: usage, adoption, key features, NPS, support, engagement."""

    def bands(*pairs: tuple[float, float]) -> Scale:
        return Scale("bands", tuple(sorted(pairs, reverse=True)))

    return Model(
        name="Standard",
        components=(
            Component("usage", "logins", 25, bands((3, 10), (2, 7), (1, 3), (0, 0))),
            Component("adoption", "adoption", 20, Scale("linear", (), 20, 80)),
            Component("key_features", "key_feature_use", 15, Scale("linear", (), 10, 70)),
            Component("nps", "nps", 15, bands((9, 10), (7, 7), (5, 3), (0, 0))),
            # Zero tickets can mean disengagement: a few tickets score best.
            Component("support", "tickets", 10, bands((0, 8), (1, 10), (3, 6), (5, 3), (8, 0))),
            Component("engagement", "days_since_touch", 15, bands((0, 10), (15, 7), (31, 4), (61, 0))),
        ),
    )


def validate_model(model: Model) -> list[str]:
    """Everything wrong with a model, in words for the user; empty when it can be saved."""
    errors: list[str] = []
    n = len(model.components)
    if not MIN_COMPONENTS <= n <= MAX_COMPONENTS:
        errors.append(
            tr(
                "A model needs {low} to {high} components; this one has {n}.",
                low=MIN_COMPONENTS,
                high=MAX_COMPONENTS,
                n=n,
            )
        )
    total = model.total_weight
    if abs(total - 100) > 0.01:
        errors.append(
            tr("The weights add up to {total}%; they must add up to 100%.", total=formatting.number(total, 1))
        )
    keys = [c.key for c in model.components]
    if len(set(keys)) != len(keys):
        errors.append(tr("Two components have the same name."))
    for c in model.components:
        name = c.display_label()
        if c.measure not in MEASURES:
            errors.append(tr("{name}: unknown measure.", name=name))
        if c.weight <= 0:
            errors.append(tr("{name}: the weight must be above 0%.", name=name))
        if c.scale.kind == "linear":
            if c.scale.low == c.scale.high:
                errors.append(tr("{name}: the values for 0 and 10 points must differ.", name=name))
        elif not c.scale.bands:
            errors.append(tr("{name}: add at least one band.", name=name))
        elif any(not 0 <= p <= 10 for _v, p in c.scale.bands):
            errors.append(tr("{name}: band points go from 0 to 10.", name=name))
        elif len({v for v, _p in c.scale.bands}) != len(c.scale.bands):
            errors.append(tr("{name}: two bands start at the same value.", name=name))
    if not 0 < model.yellow < model.green <= 100:
        errors.append(tr("Thresholds: 0 < yellow < green ≤ 100."))
    if not 0 < model.min_weight <= 100:
        errors.append(tr("The minimum weight present for a score goes from 1% to 100%."))
    return errors


def _model_from_row(row: HealthModel) -> Model:
    thresholds = row.thresholds or {}
    return Model(
        id=row.id,
        name=row.name,
        segment=row.segment,
        components=tuple(Component.from_json(c) for c in row.components or ()),
        green=float(thresholds.get("green", DEFAULT_THRESHOLDS["green"])),
        yellow=float(thresholds.get("yellow", DEFAULT_THRESHOLDS["yellow"])),
        min_weight=float(thresholds.get("min_weight", DEFAULT_MIN_WEIGHT)),
    )


def _thresholds_json(model: Model) -> dict[str, float]:
    return {"green": model.green, "yellow": model.yellow, "min_weight": model.min_weight}


def _ensure_default(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(HealthModel).where(HealthModel.segment.is_(None))):
        return
    model = default_model()
    session.add(
        HealthModel(
            name=model.name,
            segment=None,
            components=[c.to_json() for c in model.components],
            thresholds=_thresholds_json(model),
        )
    )
    session.flush()


def list_models(db: Database) -> list[Model]:
    """The default model first, then one per segment; creates the default on first use."""
    with db.session() as session:  # reading never waits for another writer
        models = [_model_from_row(r) for r in session.scalars(select(HealthModel))]
    if not any(m.segment is None for m in models):
        with db.transaction() as session:
            _ensure_default(session)
            models = [_model_from_row(r) for r in session.scalars(select(HealthModel))]
    order = {None: -1} | {s: i for i, s in enumerate(vocab.SEGMENTS)}
    return sorted(models, key=lambda m: order.get(m.segment, 99))


def model_for(db: Database, segment: str | None) -> Model:
    models = {m.segment: m for m in list_models(db)}
    return models.get(segment) or models[None]


def save_model(db: Database, model: Model) -> Model:
    """Validate and store a model (one per segment); raises UserError listing what is wrong."""
    errors = validate_model(model)
    if errors:
        raise UserError(" ".join(errors))
    if model.segment is not None and model.segment not in vocab.SEGMENTS:
        raise UserError(tr("Unknown segment."))
    with db.transaction() as session:
        _ensure_default(session)
        row = session.get(HealthModel, model.id) if model.id else None
        if row is None:
            row = session.scalar(
                select(HealthModel).where(
                    HealthModel.segment.is_(None)
                    if model.segment is None
                    else HealthModel.segment == model.segment
                )
            )
        if row is None:
            row = HealthModel()
            session.add(row)
        row.name = model.name
        row.segment = model.segment
        row.components = [c.to_json() for c in model.components]
        row.thresholds = _thresholds_json(model)
        session.flush()
        return _model_from_row(row)


def delete_model(db: Database, model_id: int) -> None:
    """Remove a segment's model (its accounts fall back to the default one)."""
    with db.transaction() as session:
        row = session.get(HealthModel, model_id)
        if row is None:
            return
        if row.segment is None:
            raise UserError(tr("The default model cannot be deleted."))
        session.delete(row)


def get_alert_settings(db: Database) -> dict[str, Any]:
    with db.session() as session:
        row = session.get(Setting, ALERTS_KEY)
        stored = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    return DEFAULT_ALERTS | {k: v for k, v in stored.items() if k in DEFAULT_ALERTS}


def set_alert_settings(db: Database, settings: dict[str, Any]) -> None:
    value = get_alert_settings(db) | settings
    if float(value["drop_points"]) <= 0 or int(value["drop_days"]) < 1:
        raise UserError(tr("An alert needs a drop above 0 points over at least 1 day."))
    with db.transaction() as session:
        row = session.get(Setting, ALERTS_KEY)
        if row is None:
            session.add(Setting(key=ALERTS_KEY, value=value))
        else:
            row.value = value


# ---------------------------------------------------------------------------
# Inputs: rows sorted by (account position, day), looked up for whole grids

_STRIDE = 1 << 20  # day numbers (days since 1970) stay far below this


def _day_numbers(values: Sequence[Any]) -> np.ndarray:
    """ISO dates / datetimes (strings or objects) -> int64 days since 1970."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    first = values[0]
    if isinstance(first, str):
        text = np.array([v[:10] for v in values], dtype="datetime64[D]")
    else:
        text = np.array([v.isoformat()[:10] for v in values], dtype="datetime64[D]")
    return text.astype(np.int64)


def _day_number(day: date) -> int:
    return int(np.datetime64(day, "D").astype(np.int64))


class _Rows:
    """One input's dated rows, sorted by (account position, day), for vectorised look-ups."""

    def __init__(self, pos: np.ndarray, day: np.ndarray, value: np.ndarray):
        order = np.lexsort((day, pos))
        self.pos = pos[order]
        self.day = day[order]
        self.value = value[order].astype(np.float64)
        self.key = self.pos * _STRIDE + self.day
        self.csum = np.concatenate(([0.0], np.cumsum(self.value)))

    @classmethod
    def empty(cls) -> _Rows:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, np.zeros(0))

    def latest(self, qpos: np.ndarray, qday: np.ndarray, lookback: int) -> tuple[np.ndarray, np.ndarray]:
        """The latest value on or before each query day within ``lookback`` days (NaN if none)."""
        if len(self.key) == 0:
            return np.full(qpos.shape, np.nan), np.zeros(qpos.shape, dtype=np.int64)
        i = np.searchsorted(self.key, qpos * _STRIDE + qday, side="right") - 1
        ic = np.maximum(i, 0)
        day = self.day[ic]
        ok = (i >= 0) & (self.pos[ic] == qpos) & (qday - day <= lookback)
        return np.where(ok, self.value[ic], np.nan), day

    def window(self, qpos: np.ndarray, qday: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
        """Sum and count of the values dated in (day − days, day]."""
        base = qpos * _STRIDE
        hi = np.searchsorted(self.key, base + qday, side="right")
        lo = np.searchsorted(self.key, base + qday - days, side="right")
        return self.csum[hi] - self.csum[lo], (hi - lo).astype(np.float64)


@dataclass
class _Inputs:
    """Everything the scores need, for a set of accounts (positions 0..n-1)."""

    ids: np.ndarray
    segment: np.ndarray  # object
    start: np.ndarray  # first day (day number) a score may exist
    end: np.ndarray  # last day (churn) or a far future
    status_active: np.ndarray
    renewal: np.ndarray  # day number or -1
    licensed_now: np.ndarray  # float, NaN when unknown
    active_now: np.ndarray
    measures: dict[str, _Rows]
    nps: _Rows
    csat: _Rows
    tickets: _Rows
    touches: _Rows
    qbrs: _Rows


def _positions(ids: np.ndarray, account_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pos = np.searchsorted(ids, account_ids)
    pos = np.minimum(pos, max(len(ids) - 1, 0))
    ok = ids[pos] == account_ids if len(ids) else np.zeros(len(account_ids), dtype=bool)
    return pos, ok


def load_inputs(db: Database, since: date, account_ids: Iterable[int] | None = None) -> _Inputs:
    """Load the dated inputs from ``since`` (minus the look-backs) for some or all accounts."""
    wanted = None if account_ids is None else sorted(set(account_ids))
    earliest = since - timedelta(days=max(LOOKBACK.values()) + 1)
    far = _day_number(date(9999, 12, 31))
    with db.session() as session:
        q = select(
            Account.id,
            Account.segment,
            Account.status,
            type_coerce(Account.contract_start, String),
            type_coerce(Account.churn_date, String),
            type_coerce(Account.renewal_date, String),
            Account.licensed_users,
            Account.active_users,
        ).order_by(Account.id)
        if wanted is not None:
            q = q.where(Account.id.in_(wanted))
        acc = session.execute(q).all()

        # The accounts' rows are read through their (account, day) indexes, so rescoring the
        # 1,000 accounts an import touched reads their rows only (a whole-table read of a
        # 50,000-account book takes ~15 s); very long lists read the whole table instead.
        in_sql = wanted is not None and len(wanted) <= SCOPED_LOAD_MAX

        def scoped(query, column):
            return query.where(column.in_(wanted)) if in_sql else query

        # By account, the events are found through (account, time): the kind is tested as an
        # expression (kind || ''), or SQLite would walk every event of that kind in the book.
        kind = TimelineEvent.kind + "" if in_sql else TimelineEvent.kind

        measure_rows = fetch_numeric(
            session,
            scoped(
                select(
                    Measure.account_id,
                    case(*((Measure.metric == m, i) for i, m in enumerate(_MEASURE_METRICS)), else_=-1),
                    day_number(Measure.as_of),
                    Measure.value,
                ).where(
                    # Each measure only as far back as its reader looks (a usage figure two
                    # months, licences a year): older rows could never be picked.
                    or_(
                        *(
                            (Measure.metric == metric) & (Measure.as_of >= since - timedelta(days=back + 1))
                            for metric, back in _MEASURE_LOOKBACK.items()
                        )
                    )
                ),
                Measure.account_id,
            ),
            4,
        )
        # The CSM's pulse logged on the timeline (a pulse event, 1-5) is a csm_pulse value too.
        pulse = TimelineEvent.data["score"].as_float()
        pulse_rows = fetch_numeric(
            session,
            scoped(
                select(
                    TimelineEvent.account_id,
                    literal(_MEASURE_METRICS.index("csm_pulse")),
                    day_number(TimelineEvent.occurred_at),
                    pulse,
                ).where(
                    TimelineEvent.kind == "pulse",
                    TimelineEvent.occurred_at >= datetime.combine(earliest, datetime.min.time()),
                    pulse.is_not(None),
                ),
                TimelineEvent.account_id,
            ),
            4,
        )
        measure_rows = np.concatenate([measure_rows, pulse_rows])
        survey_rows = fetch_numeric(
            session,
            scoped(
                select(
                    SurveyResponse.account_id,
                    case((SurveyResponse.kind == "nps", 0), else_=1),
                    day_number(SurveyResponse.answered_at),
                    SurveyResponse.score,
                ).where(
                    SurveyResponse.answered_at >= datetime.combine(earliest, datetime.min.time()),
                    SurveyResponse.kind.in_(("nps", "csat")),
                ),
                SurveyResponse.account_id,
            ),
            4,
        )
        event_since = datetime.combine(earliest - timedelta(days=365), datetime.min.time())
        ticket_rows = fetch_numeric(
            session,
            scoped(
                select(
                    TimelineEvent.account_id,
                    day_number(TimelineEvent.occurred_at),
                    case(TICKET_WEIGHTS, value=TimelineEvent.severity, else_=1.0),
                ).where(kind == "ticket", TimelineEvent.occurred_at >= event_since),
                TimelineEvent.account_id,
            ),
            3,
        )
        touch_rows = fetch_numeric(
            session,
            scoped(
                select(
                    TimelineEvent.account_id,
                    day_number(TimelineEvent.occurred_at),
                    case((qbr_meeting(), 1), else_=0),
                ).where(
                    kind.in_(vocab.TOUCH_KINDS),
                    ~deck_logged_as_meeting(),
                    TimelineEvent.occurred_at >= event_since,
                ),
                TimelineEvent.account_id,
            ),
            3,
        )

    ids = np.array([r[0] for r in acc], dtype=np.int64)
    n = len(ids)

    def days_or(values, default):
        out = np.full(n, default, dtype=np.int64)
        present = [i for i, v in enumerate(values) if v]
        if present:
            out[present] = _day_numbers([values[i] for i in present])
        return out

    start = days_or([r[3] for r in acc], -(10**6))
    end = days_or([r[4] if r[2] == "churned" else None for r in acc], far)
    # A churned account without a churn date: no score after its last data.
    renewal = days_or([r[5] for r in acc], -1)
    licensed_now = np.array([np.nan if r[6] in (None, 0) else r[6] for r in acc], dtype=np.float64)
    active_now = np.array([np.nan if r[7] is None else r[7] for r in acc], dtype=np.float64)

    def rows(table: np.ndarray, day_col: int, value_col: int | None) -> _Rows:
        if len(table) == 0:
            return _Rows.empty()
        pos, ok = _positions(ids, table[:, 0].astype(np.int64))
        values = table[ok, value_col] if value_col is not None else np.ones(int(ok.sum()))
        return _Rows(pos[ok], table[ok, day_col].astype(np.int64), values)

    measures = {
        metric: rows(measure_rows[measure_rows[:, 1] == i], 2, 3) for i, metric in enumerate(_MEASURE_METRICS)
    }
    nps = rows(survey_rows[survey_rows[:, 1] == 0], 2, 3)
    csat = rows(survey_rows[survey_rows[:, 1] == 1], 2, 3)
    tickets = rows(ticket_rows, 1, 2)
    touches = rows(touch_rows, 1, None)
    qbrs = rows(touch_rows[touch_rows[:, 2] == 1] if len(touch_rows) else touch_rows, 1, None)
    return _Inputs(
        ids=ids,
        segment=np.array([r[1] for r in acc], dtype=object),
        start=start,
        end=end,
        status_active=np.array([r[2] == "active" for r in acc], dtype=bool),
        renewal=renewal,
        licensed_now=licensed_now,
        active_now=active_now,
        measures=measures,
        nps=nps,
        csat=csat,
        tickets=tickets,
        touches=touches,
        qbrs=qbrs,
    )


def measure_values(
    inputs: _Inputs, measure: str, qpos: np.ndarray, qday: np.ndarray, today: int
) -> np.ndarray:
    """The raw value of one measure for each (account position, day) query; NaN = missing."""
    ms = inputs.measures
    empty = _Rows.empty()
    if measure == "logins":
        logins, _ = ms.get("logins", empty).latest(qpos, qday, LOOKBACK["logins"])
        licensed = _licensed(inputs, qpos, qday)
        return logins / licensed
    if measure == "adoption":
        active, _ = ms.get("active_users", empty).latest(qpos, qday, LOOKBACK["active_users"])
        # Today's figure on the account stands in when no measure is recent enough.
        now = qday >= today
        active = np.where(now & np.isnan(active), inputs.active_now[qpos], active)
        return np.minimum(active / _licensed(inputs, qpos, qday), 1.0) * 100.0
    if measure == "key_feature_use":
        return ms.get("key_feature_use", empty).latest(qpos, qday, LOOKBACK["key_feature_use"])[0]
    if measure == "payment_delay":
        return ms.get("payment_delay_days", empty).latest(qpos, qday, LOOKBACK["payment_delay_days"])[0]
    if measure == "csm_pulse":
        return ms.get("csm_pulse", empty).latest(qpos, qday, LOOKBACK["csm_pulse"])[0]
    if measure in ("nps", "csat"):
        rows = inputs.nps if measure == "nps" else inputs.csat
        total, count = rows.window(qpos, qday, LOOKBACK[measure])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)
    if measure == "tickets":
        return _ticket_values(inputs, qpos, qday)
    if measure == "qbr_attendance":
        _total, count = inputs.qbrs.window(qpos, qday, LOOKBACK["qbr_attendance"])
        return count
    if measure == "days_since_touch":
        i = np.searchsorted(inputs.touches.key, qpos * _STRIDE + qday, side="right") - 1
        if len(inputs.touches.key) == 0:
            return np.full(qpos.shape, np.nan)
        ic = np.maximum(i, 0)
        ok = (i >= 0) & (inputs.touches.pos[ic] == qpos)
        return np.where(ok, (qday - inputs.touches.day[ic]).astype(np.float64), np.nan)
    if measure == "renewal_proximity":
        renewal = inputs.renewal[qpos]
        days = renewal - qday
        # Past a renewal date the contract renewed yearly: the next anniversary counts.
        days = np.where(days < 0, np.mod(days, 365), days).astype(np.float64)
        return np.where(renewal < 0, np.nan, days)
    raise ValueError(f"unknown measure {measure!r}")


def _ticket_values(inputs: _Inputs, qpos: np.ndarray, qday: np.ndarray) -> np.ndarray:
    """The Support measure: NaN (missing) unless a ticket source speaks for the account.

    "0 tickets" is data only where a source says so: an imported count of 0, or a
    month without ticket events for an account whose tickets are on its timeline.
    An imported count (a usage file's ticket columns, latest within the look-back)
    is the ticket system's own figure and wins over the events; each critical
    ticket counts 3, as a critical ticket event does (it is already one of the tickets).
    """
    empty = _Rows.empty()
    ms = inputs.measures
    counted, _ = ms.get("tickets", empty).latest(qpos, qday, LOOKBACK["ticket_counts"])
    critical, _ = ms.get("critical_tickets", empty).latest(qpos, qday, LOOKBACK["ticket_counts"])
    extra = TICKET_WEIGHTS["critical"] - 1.0
    imported = np.where(
        np.isnan(counted),
        critical * TICKET_WEIGHTS["critical"],
        counted + extra * np.nan_to_num(critical),
    )
    weighted, _n = inputs.tickets.window(qpos, qday, LOOKBACK["tickets"])
    _sum, tracked = inputs.tickets.window(qpos, qday, LOOKBACK["ticket_source"])
    from_events = np.where(tracked > 0, weighted, np.nan)
    return np.where(np.isnan(imported), from_events, imported)


def _licensed(inputs: _Inputs, qpos: np.ndarray, qday: np.ndarray) -> np.ndarray:
    licensed, _ = inputs.measures.get("licensed_users", _Rows.empty()).latest(
        qpos, qday, LOOKBACK["licensed_users"]
    )
    licensed = np.where(np.isnan(licensed), inputs.licensed_now[qpos], licensed)
    return np.where(licensed > 0, licensed, np.nan)


# ---------------------------------------------------------------------------
# Scoring grids


TREND_DAYS = (7, 30)


def history_days(today: date, weeks: int = HISTORY_WEEKS, compare: Sequence[int] = TREND_DAYS) -> list[date]:
    """Mondays of the last ``weeks`` weeks, today, and the days ``compare`` days before today.

    The comparison days make "in 7 days" mean 7 days: on a weekly grid alone the
    nearest earlier snapshot can be up to 13 days back.
    """
    monday = today - timedelta(days=today.weekday())
    days = {monday - timedelta(weeks=k) for k in range(weeks, -1, -1)}
    days.add(today)
    first = min(days)
    days.update(d for d in (today - timedelta(days=int(n)) for n in compare) if d >= first)
    return sorted(days)


@dataclass
class ScoreGrid:
    """Scores of accounts (rows) × days (columns); NaN where there is no score."""

    ids: np.ndarray
    days: np.ndarray  # day numbers
    score: np.ndarray  # float, rounded to 0.1
    valid: np.ndarray  # bool
    band: np.ndarray  # int8: 0 green, 1 yellow, 2 red, -1 none
    complete: np.ndarray  # bool
    points: np.ndarray  # components × accounts × days (NaN missing)
    values: np.ndarray  # components × accounts × days
    eff_weight: np.ndarray  # components × accounts × days (fractions)
    model_index: np.ndarray  # per account: index into models
    models: list[Model]
    customer: np.ndarray | None = None  # per account: still a customer (not churned)


BAND_KEYS = HEALTH_BANDS  # a grid's band codes 0-2, as stored


def score_grid(
    inputs: _Inputs, models: list[Model], days: Sequence[date], today: date, rows: slice | None = None
) -> ScoreGrid:
    """Score the accounts ``rows`` of ``inputs`` on each of ``days`` (vectorised)."""
    rows = rows or slice(0, len(inputs.ids))
    pos = np.arange(len(inputs.ids))[rows]
    day_numbers = np.array([_day_number(d) for d in days], dtype=np.int64)
    n, d = len(pos), len(day_numbers)
    qpos = np.repeat(pos, d).reshape(n, d)
    qday = np.broadcast_to(day_numbers, (n, d))
    today_n = _day_number(today)
    alive = (qday >= inputs.start[pos, None]) & (qday <= inputs.end[pos, None])
    customer = inputs.status_active[pos]
    # A churned account without a churn date: its history stays, but no score from today on.
    alive &= customer[:, None] | (qday < today_n)

    by_segment = {m.segment: i for i, m in enumerate(models)}
    default_index = by_segment.get(None, 0)
    model_index = np.array([by_segment.get(s, default_index) for s in inputs.segment[pos]], dtype=np.int64)
    k_max = max(len(m.components) for m in models)
    points = np.full((k_max, n, d), np.nan)
    values = np.full((k_max, n, d), np.nan)
    weights = np.zeros((k_max, n, 1))
    cache: dict[str, np.ndarray] = {}
    for mi, model in enumerate(models):
        sel = model_index == mi
        if not sel.any():
            continue
        for k, comp in enumerate(model.components):
            if comp.measure not in cache:
                cache[comp.measure] = measure_values(inputs, comp.measure, qpos, qday, today_n)
            raw = cache[comp.measure][sel]
            values[k, sel] = raw
            points[k, sel] = comp.scale.points(raw)
            weights[k, sel] = comp.weight / 100.0
    grid = _combine(inputs.ids[pos], day_numbers, points, values, weights, alive, model_index, models)
    grid.customer = customer
    return grid


def _combine(ids, day_numbers, points, values, weights, alive, model_index, models) -> ScoreGrid:
    present = ~np.isnan(points)
    w = np.where(present, weights, 0.0)
    wsum = w.sum(axis=0)
    # No data, no score: the inputs present must carry the model's minimum share of the weight.
    min_share = np.array([m.min_weight for m in models])[model_index][:, None] / 100.0
    valid = alive & (wsum > 0) & (wsum >= min_share - 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = np.where(valid, w / np.where(wsum > 0, wsum, 1.0), 0.0)
    score = (eff * np.nan_to_num(points)).sum(axis=0) * 10.0
    score = np.round(score, 1)
    score[~valid] = np.nan
    green = np.array([m.green for m in models])[model_index][:, None]
    yellow = np.array([m.yellow for m in models])[model_index][:, None]
    band = np.where(score >= green, 0, np.where(score >= yellow, 1, 2)).astype(np.int8)
    band[~valid] = -1
    # Components a model lacks (fewer than k_max) have weight 0: never "missing".
    complete = ((present | (weights == 0)).all(axis=0)) & valid
    return ScoreGrid(ids, day_numbers, score, valid, band, complete, points, values, eff, model_index, models)


# ---------------------------------------------------------------------------
# Writing snapshots


def _layout_ids(session: Session, models: Sequence[Model]) -> dict[int, int]:
    """The ``HealthLayout`` row of each model's components (by model index), created when new."""
    existing = {
        json.dumps(row.components, sort_keys=True): row.id for row in session.scalars(select(HealthLayout))
    }
    out = {}
    for mi, model in enumerate(models):
        layout = [{"key": c.key, "measure": c.measure, "weight": c.weight} for c in model.components]
        text = json.dumps(layout, sort_keys=True)
        if text not in existing:
            row = HealthLayout(components=layout)
            session.add(row)
            session.flush()
            existing[text] = row.id
        out[mi] = existing[text]
    return out


def _packed(grid: ScoreGrid, ai: np.ndarray, di: np.ndarray) -> tuple[list[bytes], list[bytes]]:
    """Each cell's component points (uint16 hundredths) and input values (float32) as bytes, in layout order.

    The stored form of ``db.models.pack_points`` / ``pack_floats``, built for all cells at once.
    """
    points = np.empty(len(ai), dtype=object)
    values = np.empty(len(ai), dtype=object)
    for mi, model in enumerate(grid.models):
        sel = np.flatnonzero(grid.model_index[ai] == mi)
        if len(sel) == 0:
            continue
        k = len(model.components)
        a, d = ai[sel], di[sel]
        raw = grid.points[:k, a, d].T
        pts = np.ascontiguousarray(np.where(np.isnan(raw), POINTS_MISSING, np.rint(raw * 100)), dtype="<u2")
        val = np.ascontiguousarray(
            np.where(np.isnan(grid.points[:k, a, d]), np.nan, grid.values[:k, a, d]).T, dtype="<f4"
        )
        points[sel] = [row.tobytes() for row in pts]
        values[sel] = [row.tobytes() for row in val]
    return points.tolist(), values.tolist()


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
        layout_ids = _layout_ids(session, models)
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
                written += _write_grid(session, grid, model_ids, layout_ids)
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
            if table in tables:
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
) -> int:
    ai, di = np.nonzero(grid.valid)
    if len(ai) == 0:
        return 0
    points, inputs = _packed(grid, ai, di)
    model_index = grid.model_index[ai].tolist()
    # In their stored form (db.models: day numbers, tenths of a point, band positions).
    columns = {
        "account_id": grid.ids[ai].tolist(),
        "as_of": grid.days[di].tolist(),
        "score": np.rint(grid.score[ai, di] * 10).astype(np.int64).tolist(),
        "band": grid.band[ai, di].astype(np.int64).tolist(),
        "complete": grid.complete[ai, di].tolist(),
        "model_id": [model_ids[i] for i in model_index],
        "layout_id": [layout_ids[i] for i in model_index],
        "points": points,
        "inputs": inputs,
    }
    insert_rows(session, HealthSnapshot.__table__, columns)
    return len(ai)


def _last_valid_upto(valid: np.ndarray) -> np.ndarray:
    """For each cell, the column of the latest valid cell at or before it (-1 if none)."""
    idx = np.where(valid, np.arange(valid.shape[1])[None, :], -1)
    return np.maximum.accumulate(idx, axis=1)


# A comparison may fall back to an earlier snapshot by at most this many days (the weekly grid).
COMPARE_SLACK_DAYS = 6
# A red alert is raised for an account that turned red within this many days.
RED_CROSSING_DAYS = 21


def _score_days_before(grid: ScoreGrid, last: np.ndarray, days_back: int) -> tuple[np.ndarray, np.ndarray]:
    """(score, column) of the nearest scored snapshot on or before (latest day − days_back).

    Never a missing score, nor one more than a week older than asked: NaN and -1 then.
    """
    upto = _last_valid_upto(grid.valid)
    target = grid.days[np.maximum(last, 0)] - days_back
    col = np.searchsorted(grid.days, target, side="right") - 1
    rows = np.arange(len(last))
    ok = (last >= 0) & (col >= 0)
    src = np.where(ok, upto[rows, np.maximum(col, 0)], -1)
    src = np.where((src >= 0) & (grid.days[np.maximum(src, 0)] >= target - COMPARE_SLACK_DAYS), src, -1)
    return np.where(src >= 0, grid.score[rows, np.maximum(src, 0)], np.nan), src


def _customers(grid: ScoreGrid) -> np.ndarray:
    return np.ones(len(grid.ids), dtype=bool) if grid.customer is None else grid.customer


def _latest(grid: ScoreGrid, today: date) -> list[dict[str, Any]]:
    last = _last_valid_upto(grid.valid)[:, -1]
    rows = np.arange(len(last))
    # Churned accounts keep their pre-churn history but no current score: the book,
    # its KPIs (average health, MRR at risk) and Today leave them out. Nor does an
    # account whose inputs have all aged out keep an old score: no data, no score.
    has = (last == grid.valid.shape[1] - 1) & _customers(grid)
    score = np.where(has, grid.score[rows, np.maximum(last, 0)], np.nan)
    band = np.where(has, grid.band[rows, np.maximum(last, 0)], -1)
    before, _col = _score_days_before(grid, last, 30)
    trend = np.round(score - before, 1)
    out = []
    for i, account_id in enumerate(grid.ids.tolist()):
        if not has[i]:
            out.append({"id": account_id, "health_score": None, "health_band": None, "health_trend": None})
            continue
        out.append(
            {
                "id": account_id,
                "health_score": float(score[i]),
                "health_band": BAND_KEYS[band[i]],
                "health_trend": None if np.isnan(trend[i]) else float(trend[i]),
            }
        )
    return out


def _alert_candidates(grid: ScoreGrid, settings: dict[str, Any], partial: bool = False):
    last = _last_valid_upto(grid.valid)[:, -1]
    rows = np.arange(len(last))
    # Only the current state of a customer raises alerts: the latest column must be scored.
    current = (last == grid.valid.shape[1] - 1) & _customers(grid)
    score = np.where(current, grid.score[rows, np.maximum(last, 0)], np.nan)
    before, before_col = _score_days_before(grid, last, int(settings["drop_days"]))
    drop = before - score  # NaN (no alert) when there was no score to compare with
    as_of = grid.days[-1]
    drops = [
        _Drop(
            int(grid.ids[i]),
            float(before[i]),
            float(score[i]),
            _date_of(as_of),
            _date_of(grid.days[before_col[i]]),
            change_text(_moves(_grid_snapshot(grid, i, before_col[i]), _grid_snapshot(grid, i, last[i])))
            or None,
        )
        for i in np.flatnonzero(current & (drop >= float(settings["drop_points"])))
    ]
    reds = []
    if settings.get("red", True):
        band = grid.band
        red_now = current & (band[rows, -1] == 2)
        for i in np.flatnonzero(red_now):
            # The last scored, non-red snapshot before this red run names the crossing (stable key).
            not_red = np.flatnonzero(grid.valid[i] & (band[i] != 2))
            if len(not_red) == 0:
                # Red since its first score; a partial grid scored red from its first day
                # shows only that the run began before it: long ago, no alert.
                if not (partial and grid.valid[i, 0]):
                    reds.append((int(grid.ids[i]), None, None))
                continue
            prev = not_red[-1]
            # Alert only on a recent crossing, not on accounts red for months.
            if grid.days[-1] - grid.days[prev] <= RED_CROSSING_DAYS:
                why = change_text(_moves(_grid_snapshot(grid, i, prev), _grid_snapshot(grid, i, last[i])))
                reds.append((int(grid.ids[i]), _date_of(grid.days[prev]), why or None))
    return drops, reds


@dataclass(frozen=True)
class _Drop:
    account_id: int
    before: float
    after: float
    as_of: date
    since: date  # the day of the score compared with
    why: str | None  # the components that moved


def _grid_snapshot(grid: ScoreGrid, i: int, col: int) -> Snapshot:
    """One cell of a grid as a snapshot (for explanations before anything is stored)."""
    model = grid.models[grid.model_index[i]]
    comps = tuple(
        ComponentScore(
            c.key,
            c.measure,
            None if np.isnan(grid.points[k, i, col]) else float(grid.points[k, i, col]),
            c.weight,
            float(grid.eff_weight[k, i, col]),
            None if np.isnan(grid.values[k, i, col]) else float(grid.values[k, i, col]),
            bool(np.isnan(grid.points[k, i, col])),
        )
        for k, c in enumerate(model.components)
    )
    band = int(grid.band[i, col])
    return Snapshot(
        int(grid.ids[i]),
        _date_of(grid.days[col]),
        float(grid.score[i, col]),
        BAND_KEYS[band] if band >= 0 else "",
        bool(grid.complete[i, col]),
        comps,
        model.id,
    )


def _date_of(day_number: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(day_number))


def _raise_alerts(session: Session, drops, reds, today: date, settings: dict[str, Any]) -> int:
    wanted: list[dict[str, Any]] = []
    for drop in drops:
        year, week, _ = drop.as_of.isocalendar()
        wanted.append(
            {
                "account_id": drop.account_id,
                "rule_key": f"health_drop:{year}-W{week:02d}",
                "title": tr(
                    "Health dropped {points} points in {days} days ({before} → {after})",
                    points=formatting.number(drop.before - drop.after, 1),
                    days=(drop.as_of - drop.since).days,
                    before=formatting.number(drop.before, 1),
                    after=formatting.number(drop.after, 1),
                ),
                "notes": drop.why,
            }
        )
    for account_id, previous, why in reds:
        wanted.append(
            {
                "account_id": account_id,
                "rule_key": f"health_red:{previous.isoformat() if previous else 'start'}",
                "title": tr("Health is critical (red band): plan a recovery"),
                "notes": why,
            }
        )
    if not wanted:
        return 0
    ids = sorted({w["account_id"] for w in wanted})
    existing = set()
    for lo in range(0, len(ids), 500):
        existing.update(
            session.execute(
                select(Task.account_id, Task.rule_key).where(
                    Task.account_id.in_(ids[lo : lo + 500]), Task.rule_key.like("health_%")
                )
            ).all()
        )
    new = [w for w in wanted if (w["account_id"], w["rule_key"]) not in existing]
    for w in new:
        session.add(
            Task(
                account_id=w["account_id"],
                title=w["title"],
                rule_key=w["rule_key"],
                origin="alert",
                kind="risk",
                priority="high",
                due_date=today,
                notes=w["notes"],
            )
        )
    return len(new)


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


def _snapshot(row: HealthSnapshot) -> Snapshot:
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
        for c in row.components or ()
    )
    return Snapshot(row.account_id, row.as_of, row.score, row.band, row.complete, comps, row.model_id)


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
        return [_snapshot(r) for r in session.scalars(q.order_by(HealthSnapshot.as_of))]


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
    model = None
    models = list_models(db)
    if current_row is not None and current_row.model_id is not None:
        model = next((m for m in models if m.id == current_row.model_id), None)
    if model is None:
        model = next((m for m in models if m.segment == segment), None) or models[0]
    current = _snapshot(current_row) if current_row is not None else None
    previous = _snapshot(previous_row) if previous_row is not None else None
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
