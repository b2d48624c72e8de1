"""Health models: measures, scales, components and weights, their storage, and the alert settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from csdesk import formatting, vocab
from csdesk.errors import UserError
from csdesk.i18n import label, tr
from db import Database
from db.models import (
    HealthModel,
    Setting,
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
