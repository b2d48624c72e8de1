"""Health and portfolio charts as matplotlib ``Figure`` objects: no Qt, no pyplot.

Loading (``*_data(db, ...)``) is separate from drawing (``*_figure(data, language)``):
the GUI loads in the background and draws on the GUI thread, the CLI and the
QBR deck render to PNG/SVG with :func:`render`. Matplotlib is imported
lazily so importing this module costs nothing at start-up.

Every label, number, money value and date is written in the chart's language.

The package: ``base`` (shared style and rendering), ``account``, ``portfolio``,
``analysis`` (cohorts, the health check); :func:`build` draws a chart by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from csdesk import clock
from csdesk.charts.account import (
    AccountHealthData,
    BreakdownData,
    ChartEvent,
    ComponentBar,
    account_health_data,
    account_health_figure,
    breakdown_data,
    component_breakdown_figure,
)
from csdesk.charts.analysis import cohorts_figure, health_check_figure
from csdesk.charts.base import BAND_COLORS, BAND_FILLS, CHART_NAMES, EN_MONTHS, PT_MONTHS, month_label, render
from csdesk.charts.portfolio import (
    average_health_figure,
    band_distribution_figure,
    mrr_bridge_figure,
    nps_figure,
    nrr_grr_figure,
    renewals_figure,
)
from csdesk.i18n import tr

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from db import Database

__all__ = [
    "BAND_COLORS",
    "BAND_FILLS",
    "CHART_NAMES",
    "EN_MONTHS",
    "PT_MONTHS",
    "AccountHealthData",
    "BreakdownData",
    "ChartEvent",
    "ChartRequest",
    "ComponentBar",
    "account_health_data",
    "account_health_figure",
    "average_health_figure",
    "band_distribution_figure",
    "breakdown_data",
    "build",
    "cohorts_figure",
    "component_breakdown_figure",
    "health_check_figure",
    "month_label",
    "mrr_bridge_figure",
    "nps_figure",
    "nrr_grr_figure",
    "render",
    "renewals_figure",
]


@dataclass
class ChartRequest:
    name: str
    account_id: int | None = None
    start: date | None = None
    end: date | None = None
    segment: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def build(db: Database, request: ChartRequest, language: str | None = None) -> Figure:
    """Load the data of a named chart and draw it."""
    from csdesk import health, metrics
    from csdesk.errors import UserError

    name = request.name
    if name not in CHART_NAMES:
        raise UserError(
            tr("Unknown chart {name}; choose one of: {names}.", name=name, names=", ".join(CHART_NAMES))
        )
    default_start, default_end = metrics.default_period()
    start = request.start or default_start
    end = request.end or default_end
    if name in ("account-health", "components"):
        if request.account_id is None:
            raise UserError(tr("The chart {name} needs --account.", name=name))
        if name == "account-health":
            data = account_health_data(db, request.account_id, request.start, request.end)
            return account_health_figure(data, language)
        return component_breakdown_figure(breakdown_data(db, request.account_id, language), language)
    if name == "bands":
        return band_distribution_figure(health.band_split(db, request.segment), language)
    if name == "average-health":
        model = health.model_for(db, request.segment)
        series = health.average_series(db, request.start, request.end, request.segment)
        return average_health_figure(series, language, model.green, model.yellow)
    if name == "mrr-bridge":
        return mrr_bridge_figure(metrics.compute(db, start, end, request.segment), language)
    if name == "nrr-grr":
        return nrr_grr_figure(metrics.monthly(db, start, end, request.segment), language)
    if name == "nps":
        return nps_figure(metrics.monthly(db, start, end, request.segment), language)
    if name == "cohorts":
        from csdesk import cohorts

        table = cohorts.cohorts(db, request.start, request.end, request.segment)
        return cohorts_figure(table, request.extra.get("by", "logos"), language)
    if name == "health-check":
        from csdesk import health_check

        check = health_check.health_check(
            db, request.extra.get("as_of"), request.extra.get("horizon_days", 90), request.segment
        )
        return health_check_figure(check, language)
    return renewals_figure(
        metrics.renewals_by_month(db, request.start or clock.today(), 12, request.segment), language
    )
