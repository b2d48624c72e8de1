"""Health and portfolio charts as matplotlib ``Figure`` objects: no Qt, no pyplot.

Loading (``*_data(db, ...)``) is separate from drawing (``*_figure(data, language)``):
the GUI loads in the background and draws on the GUI thread, the CLI and the
QBR deck render to PNG/SVG with :func:`render`. Matplotlib is imported
lazily so importing this module costs nothing at start-up.

Every label, number, money value and date is written in the chart's language.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from csdesk import clock, formatting, palette, vocab
from csdesk.i18n import label, plural, tr
from csdesk.rules.calendar import add_months

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from csdesk.cohorts import CohortTable
    from csdesk.health import BandSplit
    from csdesk.health_check import HealthCheck
    from csdesk.metrics import PortfolioMetrics, RenewalMonth
    from db import Database

BAND_COLORS = {**palette.BAND, None: palette.NO_BAND}
BAND_FILLS = palette.BAND_FILL
INK, MUTED, ACCENT, GRID = palette.INK, palette.MUTED, palette.ACCENT, palette.GRID

PT_MONTHS = ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

CHART_NAMES = (
    "account-health",
    "components",
    "bands",
    "average-health",
    "mrr-bridge",
    "nrr-grr",
    "nps",
    "renewals",
    "cohorts",
    "health-check",
)


# ---------------------------------------------------------------------------
# Formatting helpers


def month_label(day: date, language: str | None = None, year: bool = True) -> str:
    """'nov/26' in pt-BR, 'Nov 26' in English."""
    from csdesk.i18n import current_language

    language = language or current_language()
    if language == "pt_BR":
        return f"{PT_MONTHS[day.month - 1]}/{day.year % 100:02d}" if year else PT_MONTHS[day.month - 1]
    return f"{EN_MONTHS[day.month - 1]} {day.year % 100:02d}" if year else EN_MONTHS[day.month - 1]


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    fig.set_facecolor("white")
    return fig


def _style(ax, grid_axis: str = "y") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#C5CCD6")
    ax.tick_params(colors=MUTED, labelsize=9)
    ax.yaxis.label.set_color(MUTED)
    ax.xaxis.label.set_color(MUTED)
    if grid_axis:
        ax.grid(axis=grid_axis, color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)


def _title(ax, text: str, subtitle: str | None = None) -> None:
    ax.set_title(text, loc="left", fontsize=12, fontweight="bold", color=INK, pad=14 if subtitle else 8)
    if subtitle:
        ax.text(0, 1.01, subtitle, transform=ax.transAxes, fontsize=9, color=MUTED, va="bottom")


def _axes(size: tuple[float, float], title: str, subtitle: str | None = None) -> tuple[Figure, Any]:
    """A figure with one styled, titled set of axes: how every single-plot chart starts."""
    fig = _figure(*size)
    ax = fig.add_subplot()
    _style(ax)
    _title(ax, title, subtitle)
    return fig, ax


def _money_yaxis(ax, language: str | None) -> None:
    """Y tick labels as compact money (R$ 12 mil)."""
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: formatting.axis_money(v, "BRL", language)))


def _empty(ax, language: str | None, hint: str | None = None) -> None:
    """No axes, no R$ 0 ticks: what is missing and what to do about it."""
    ax.text(
        0.5,
        0.5,
        hint or tr("No data for this period", language),
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=MUTED,
        fontsize=10.5,
        wrap=True,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_ylabel("")
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _date_axis(ax, days: Sequence[date], language: str | None) -> None:
    """Monthly (or quarterly, for long spans) ticks labelled like 'nov/26'."""
    from matplotlib.ticker import FixedLocator, FuncFormatter

    if not days:
        return
    first, last = min(days), max(days)
    span_months = (last.year - first.year) * 12 + last.month - first.month
    step = 1 if span_months <= 8 else 2 if span_months <= 14 else 3
    ticks = []
    cursor = date(first.year, first.month, 1)
    if cursor < first:
        cursor = add_months(cursor, 1)
    while cursor <= last:
        if (cursor.month - 1) % step == 0:
            ticks.append(cursor)
        cursor = add_months(cursor, 1)
    nums = [_num(d) for d in ticks]
    ax.xaxis.set_major_locator(FixedLocator(nums))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: month_label(_from_num(x), language)))


def _month_ticks(ax, xs: Sequence[int], labels: Sequence[str]) -> None:
    """Month labels that never overlap: slanted when there are many."""
    many = len(xs) > 8
    ax.set_xticks(
        list(xs),
        list(labels),
        fontsize=8.5,
        rotation=40 if many else 0,
        ha="right" if many else "center",
        rotation_mode="anchor" if many else "default",
    )


def _num(day: date | datetime) -> float:
    from matplotlib.dates import date2num

    return float(date2num(day))


def _from_num(x: float) -> date:
    from matplotlib.dates import num2date

    return num2date(x).date()


def render(
    fig: Figure, target: str | os.PathLike[str] | io.IOBase, fmt: str | None = None, dpi: int = 200
) -> bytes | None:
    """Write ``fig`` as PNG or SVG: to a path (format from its suffix), a file object, or
    return the bytes when ``target`` is just the format name ("png" / "svg")."""
    from matplotlib.backend_bases import FigureCanvasBase
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if type(fig.canvas) is FigureCanvasBase:  # a figure shown in Qt keeps its own canvas
        FigureCanvasAgg(fig)
    if isinstance(target, str) and target.lower() in ("png", "svg"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=target.lower(), dpi=dpi, facecolor="white")
        return buffer.getvalue()
    if isinstance(target, io.IOBase):
        fig.savefig(target, format=fmt or "png", dpi=dpi, facecolor="white")
        return None
    path = os.fspath(target)
    suffix = (fmt or os.path.splitext(path)[1].lstrip(".")).lower()
    if suffix not in ("png", "svg"):
        raise ValueError(tr("Charts are saved as .png or .svg, not {suffix}.", suffix=suffix or "?"))
    fig.savefig(path, format=suffix, dpi=dpi, facecolor="white")
    return None


# ---------------------------------------------------------------------------
# Account: health over time


@dataclass(frozen=True)
class ChartEvent:
    day: date
    kind: str  # qbr | ticket | critical_ticket | revenue_up | revenue_down | churn
    title: str = ""


@dataclass(frozen=True)
class AccountHealthData:
    name: str
    days: tuple[date, ...]
    scores: tuple[float, ...]
    bands: tuple[str, ...]
    green: float = 80.0
    yellow: float = 60.0
    events: tuple[ChartEvent, ...] = ()


def account_health_data(
    db: Database, account_id: int, start: date | None = None, end: date | None = None
) -> AccountHealthData:
    """An account's score history and the events worth marking on it."""
    from sqlalchemy import select

    from csdesk import health
    from db.models import Account, RevenueChange, TimelineEvent

    days, scores, bands = health.score_series(db, account_id)
    pairs = [
        (d, s, b)
        for d, s, b in zip(days, scores, bands, strict=True)
        if (start is None or d >= start) and (end is None or d <= end)
    ]
    first = pairs[0][0] if pairs else (start or clock.today() - timedelta(days=365))
    last = pairs[-1][0] if pairs else (end or clock.today())
    with db.session() as session:
        account = session.get(Account, account_id)
        name = account.name if account else ""
        segment = account.segment if account else None
        rows = session.execute(
            select(
                TimelineEvent.occurred_at,
                TimelineEvent.kind,
                TimelineEvent.subkind,
                TimelineEvent.severity,
                TimelineEvent.title,
            ).where(
                TimelineEvent.account_id == account_id,
                TimelineEvent.occurred_at >= datetime.combine(first, datetime.min.time()),
                TimelineEvent.occurred_at < datetime.combine(last + timedelta(days=1), datetime.min.time()),
                health.qbr_meeting() | (TimelineEvent.kind == "ticket"),
            )
        ).all()
        revenue = session.execute(
            select(
                RevenueChange.effective_date,
                RevenueChange.kind,
                RevenueChange.mrr_before_cents,
                RevenueChange.mrr_after_cents,
            ).where(
                RevenueChange.account_id == account_id,
                RevenueChange.effective_date >= first,
                RevenueChange.effective_date <= last,
            )
        ).all()
    events = []
    for at, kind, subkind, severity, title in rows:
        if kind == "ticket":
            events.append(
                ChartEvent(
                    at.date(), "critical_ticket" if severity in ("high", "critical") else "ticket", title
                )
            )
        elif subkind == "qbr":
            events.append(ChartEvent(at.date(), "qbr", title))
    for day, kind, before, after in revenue:
        if kind in ("new", "opening"):  # an account's first movement is no event on its chart
            continue
        tag = "churn" if kind == "churn" else "revenue_up" if after > before else "revenue_down"
        events.append(ChartEvent(day, tag, formatting.money(after - before)))
    model = health.model_for(db, segment)
    return AccountHealthData(
        name=name,
        days=tuple(p[0] for p in pairs),
        scores=tuple(p[1] for p in pairs),
        bands=tuple(p[2] for p in pairs),
        green=model.green,
        yellow=model.yellow,
        events=tuple(sorted(events, key=lambda e: e.day)),
    )


def _band_background(ax, green: float, yellow: float, language: str | None, labels: bool = True) -> None:
    ax.axhspan(0, yellow, color=BAND_FILLS["red"], zorder=0, linewidth=0)
    ax.axhspan(yellow, green, color=BAND_FILLS["yellow"], zorder=0, linewidth=0)
    ax.axhspan(green, 100, color=BAND_FILLS["green"], zorder=0, linewidth=0)
    if labels:
        for band, y in (("green", (green + 100) / 2), ("yellow", (green + yellow) / 2), ("red", yellow / 2)):
            ax.text(
                1.005,
                y,
                label(vocab.HEALTH_BAND_LABELS, band, language),
                transform=ax.get_yaxis_transform(),
                fontsize=8,
                color=BAND_COLORS[band],
                va="center",
                ha="left",
                fontweight="bold",
            )


def account_health_figure(
    data: AccountHealthData, language: str | None = None, size: tuple[float, float] = (10, 4.2)
) -> Figure:
    """Score over time on the green / yellow / red bands, with QBRs, tickets and revenue changes."""
    from matplotlib.lines import Line2D

    fig = _figure(*size)
    ax = fig.add_subplot()
    _style(ax)
    ax.set_ylim(0, 100)
    subtitle = None
    if data.scores:
        subtitle = tr(
            "Latest: {score} ({band}) on {day}",
            language,
            score=formatting.number(data.scores[-1], 1, language),
            band=label(vocab.HEALTH_BAND_LABELS, data.bands[-1], language),
            day=formatting.day(data.days[-1], language),
        )
    _title(ax, tr("Health Score over time", language) + (f" — {data.name}" if data.name else ""), subtitle)
    if not data.days:
        _empty(ax, language)
        return fig
    _band_background(ax, data.green, data.yellow, language)
    xs = [_num(d) for d in data.days]
    ax.plot(xs, data.scores, color=INK, linewidth=2.0, zorder=3)
    ax.scatter(
        xs[-1:],
        data.scores[-1:],
        color=BAND_COLORS[data.bands[-1]],
        s=50,
        zorder=4,
        edgecolor="white",
        linewidth=1.2,
    )
    ax.set_xlim(xs[0] - 3, xs[-1] + 3)
    legend: list[Any] = [Line2D([], [], color=INK, linewidth=2, label=tr("Health Score", language))]
    qbrs = [e for e in data.events if e.kind == "qbr"]
    for e in qbrs:
        ax.axvline(_num(e.day), color=ACCENT, linestyle="--", linewidth=1, alpha=0.8, zorder=2)
        ax.text(_num(e.day), 98, "QBR", rotation=90, fontsize=7, color=ACCENT, ha="right", va="top")
    if qbrs:
        legend.append(Line2D([], [], color=ACCENT, linestyle="--", label=tr("QBR", language)))
    tickets = [e for e in data.events if e.kind in ("ticket", "critical_ticket")]
    if tickets:
        normal = [_num(e.day) for e in tickets if e.kind == "ticket"]
        severe = [_num(e.day) for e in tickets if e.kind == "critical_ticket"]
        ax.scatter(normal, [3] * len(normal), marker="|", s=60, color=MUTED, zorder=3, linewidths=1.2)
        ax.scatter(
            severe, [3] * len(severe), marker="|", s=110, color=BAND_COLORS["red"], zorder=3, linewidths=1.8
        )
        legend.append(
            Line2D([], [], color=MUTED, marker="|", linestyle="", markersize=9, label=tr("Ticket", language))
        )
        if severe:
            legend.append(
                Line2D(
                    [],
                    [],
                    color=BAND_COLORS["red"],
                    marker="|",
                    linestyle="",
                    markersize=11,
                    markeredgewidth=1.8,
                    label=tr("High / critical ticket", language),
                )
            )
    ups = [_num(e.day) for e in data.events if e.kind == "revenue_up"]
    downs = [_num(e.day) for e in data.events if e.kind in ("revenue_down", "churn")]
    if ups:
        ax.scatter(
            ups, [92] * len(ups), marker="^", s=55, color=BAND_COLORS["green"], zorder=4, edgecolor="white"
        )
        legend.append(
            Line2D(
                [], [], marker="^", linestyle="", color=BAND_COLORS["green"], label=tr("Expansion", language)
            )
        )
    if downs:
        ax.scatter(
            downs, [92] * len(downs), marker="v", s=55, color=BAND_COLORS["red"], zorder=4, edgecolor="white"
        )
        legend.append(
            Line2D(
                [],
                [],
                marker="v",
                linestyle="",
                color=BAND_COLORS["red"],
                label=tr("Contraction / churn", language),
            )
        )
    _date_axis(ax, data.days, language)
    ax.set_ylabel(tr("Health Score (0-100)", language))
    ax.legend(
        handles=legend,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncol=len(legend),
        frameon=False,
        fontsize=8,
        labelcolor=INK,
    )
    return fig


# ---------------------------------------------------------------------------
# Account: component breakdown


@dataclass(frozen=True)
class ComponentBar:
    label: str
    points: float | None  # 0-10, None = missing
    weight: float  # percent in the model
    effective_weight: float  # fraction
    value_text: str = ""


@dataclass(frozen=True)
class BreakdownData:
    name: str
    score: float | None
    band: str | None
    as_of: date | None
    complete: bool
    components: tuple[ComponentBar, ...] = ()


def breakdown_data(db: Database, account_id: int, language: str | None = None) -> BreakdownData:
    from csdesk import health
    from db.models import Account

    explanation = health.explain(db, account_id)
    with db.session() as session:
        account = session.get(Account, account_id)
        name = account.name if account else ""
    snap = explanation.current
    if snap is None:
        return BreakdownData(name, None, None, None, True)
    bars = tuple(
        ComponentBar(
            explanation.label_of(c.key, c.measure, language),
            c.points,
            c.weight,
            c.effective_weight,
            "" if c.value is None else formatting.number(c.value, 1, language),
        )
        for c in snap.components
    )
    return BreakdownData(name, snap.score, snap.band, snap.as_of, snap.complete, bars)


def _points_color(points: float) -> str:
    return palette.points_colour(points)


def component_breakdown_figure(
    data: BreakdownData, language: str | None = None, size: tuple[float, float] = (10, 4.2)
) -> Figure:
    """Each component's points (0-10) with its weight; missing inputs shown as such."""
    fig = _figure(*size)
    ax = fig.add_subplot()
    _style(ax, grid_axis="x")
    title = tr("Health Score breakdown", language)
    subtitle = None
    if data.score is not None:
        subtitle = tr(
            "{score} ({band}) on {day}",
            language,
            score=formatting.number(data.score, 1, language),
            band=label(vocab.HEALTH_BAND_LABELS, data.band, language),
            day=formatting.day(data.as_of, language),
        )
        if not data.complete:
            subtitle += " · " + tr("incomplete: weights of missing inputs redistributed", language)
    _title(ax, title + (f" — {data.name}" if data.name else ""), subtitle)
    if not data.components:
        _empty(ax, language)
        return fig
    comps = list(reversed(data.components))
    ys = range(len(comps))
    ax.barh(ys, [10] * len(comps), color="#F1F3F6", height=0.62, zorder=1)
    for y, c in zip(ys, comps, strict=True):
        if c.points is None:
            ax.barh(y, 10, color="white", edgecolor="#B8C0CA", hatch="///", height=0.62, zorder=2)
            ax.text(
                5,
                y,
                tr("no data — not counted", language),
                ha="center",
                va="center",
                fontsize=9,
                color=MUTED,
                zorder=3,
            )
            continue
        ax.barh(y, c.points, color=_points_color(c.points), height=0.62, zorder=2)
        inside = c.points >= 2.2
        ax.text(
            c.points - 0.15 if inside else c.points + 0.15,
            y,
            formatting.number(c.points, 1, language),
            ha="right" if inside else "left",
            va="center",
            fontsize=9,
            color="white" if inside else INK,
            fontweight="bold",
            zorder=3,
        )
    names = []
    for c in comps:
        weight = formatting.number(c.weight, 0, language) + "%"
        if c.points is not None and abs(c.effective_weight * 100 - c.weight) > 0.05:
            weight += " → " + formatting.number(c.effective_weight * 100, 1, language) + "%"
        names.append(f"{c.label}\n{tr('weight', language)} {weight}")
    ax.set_yticks(list(ys), names, fontsize=9, color=INK)
    ax.set_xlim(0, 10)
    ax.set_xticks(range(0, 11, 2))
    ax.set_xlabel(tr("Points (0-10)", language))
    for side in ("left",):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return fig


# ---------------------------------------------------------------------------
# Portfolio


def band_distribution_figure(
    splits: Sequence[BandSplit], language: str | None = None, size: tuple[float, float] = (10, 3.6)
) -> Figure:
    """Green / yellow / red (and unscored) split by number of accounts and by MRR."""
    fig = _figure(*size)
    if not any(s.accounts for s in splits):
        fig, ax = _axes(size, tr("Accounts by band", language))
        _empty(
            ax,
            language,
            tr("No accounts yet: import a CRM export or add an account to see them by health band", language),
        )
        return fig
    axes = fig.subplots(1, 2)
    total_n = sum(s.accounts for s in splits) or 1
    total_m = sum(s.mrr_cents for s in splits) or 1
    for ax, what in zip(axes, ("accounts", "mrr"), strict=True):
        _style(ax, grid_axis="x")
        shown = [s for s in splits if s.band is not None or s.accounts]
        labels = [
            label(vocab.HEALTH_BAND_LABELS, s.band, language)
            if s.band
            else tr(vocab.HEALTH_NO_DATA, language)
            for s in shown
        ]
        values = [s.accounts if what == "accounts" else s.mrr_cents for s in shown]
        total = total_n if what == "accounts" else total_m
        ys = list(range(len(shown)))[::-1]
        ax.barh(ys, values, color=[BAND_COLORS[s.band] for s in shown], height=0.6)
        for y, v in zip(ys, values, strict=True):
            text = (
                formatting.number(v, 0, language)
                if what == "accounts"
                else formatting.axis_money(v, "BRL", language)
            )
            text += f"  ({formatting.percent(v / total, 0, language)})"
            ax.text(v, y, "  " + text, va="center", fontsize=9, color=INK)
        ax.set_yticks(ys, labels, fontsize=9, color=INK)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlim(0, max(values + [1]) * 1.45)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        _title(ax, tr("Accounts by band", language) if what == "accounts" else tr("MRR by band", language))
    return fig


def average_health_figure(
    series: Sequence[tuple[date, float, int]],
    language: str | None = None,
    green: float = 80.0,
    yellow: float = 60.0,
    size: tuple[float, float] = (10, 3.8),
) -> Figure:
    """The portfolio's average Health Score week by week."""
    fig, ax = _axes(size, tr("Average Health Score", language))
    if not series:
        _empty(
            ax,
            language,
            tr(
                "No health scores in this period: import usage, NPS or tickets to score the accounts",
                language,
            ),
        )
        return fig
    _band_background(ax, green, yellow, language)
    days = [s[0] for s in series]
    xs = [_num(d) for d in days]
    values = [s[1] for s in series]
    ax.plot(xs, values, color=INK, linewidth=2)
    ax.annotate(
        formatting.number(values[-1], 1, language),
        (xs[-1], values[-1]),
        textcoords="offset points",
        xytext=(-4, 8),
        ha="right",
        fontsize=9,
        color=INK,
        fontweight="bold",
    )
    low = max(0, min(values) - 15)
    ax.set_ylim(low, 100)
    # A band label below the visible scores ("Crítico" at 30 when the axis starts at 55) would
    # make the layout keep an empty strip for it under the chart.
    for text in list(ax.texts):
        if text.get_transform() == ax.get_yaxis_transform() and text.get_position()[1] < low:
            text.remove()
    ax.set_xlim(xs[0], xs[-1] + 2)
    _date_axis(ax, days, language)
    ax.set_ylabel(tr("Average score", language))
    return fig


def mrr_bridge_figure(
    m: PortfolioMetrics, language: str | None = None, size: tuple[float, float] = (10, 4.0)
) -> Figure:
    """Waterfall: MRR at start, + new, + reactivation, + expansion, − contraction, − churn, MRR at end.

    The steps add up: start + movements = end (PortfolioMetrics.bridge_steps)."""
    fig, ax = _axes(
        size,
        tr("MRR bridge", language),
        f"{formatting.day(m.start, language)} – {formatting.day(m.end, language)}",
    )
    if not (m.mrr_start or m.mrr_end or any(value for _kind, value in m.bridge_steps())):
        _empty(ax, language, tr("Import the MRR history to see the MRR bridge", language))
        return fig
    names = {
        "new": tr("New MRR", language),
        "reactivation": tr("Reactivation", language),
        "expansion": tr("Expansion", language),
        "contraction": tr("Contraction", language),
        "churn": tr("Churn", language),
    }
    steps = [
        (tr("MRR at start", language), m.mrr_start, "total"),
        *(
            (
                names[kind],
                value,
                "up" if value >= 0 and kind in ("new", "reactivation", "expansion") else "down",
            )
            for kind, value in m.bridge_steps()
        ),
        (tr("MRR at end", language), m.mrr_end, "total"),
    ]
    level = 0
    peak = max(m.mrr_start, m.mrr_end, 1)
    for i, (_name, value, kind) in enumerate(steps):
        if kind == "total":
            bottom, height, color = 0, value, ACCENT
            level = value
        else:
            bottom = level + min(value, 0)
            height = abs(value)
            color = BAND_COLORS["green"] if kind == "up" else BAND_COLORS["red"]
            level += value
        peak = max(peak, bottom + height)
        ax.bar(i, height, bottom=bottom, color=color, width=0.6)
        sign = "" if kind == "total" else ("+" if kind == "up" else "−")
        # Losses are labelled under their bar, so neighbouring labels never collide.
        below = kind == "down"
        ax.annotate(
            sign + formatting.axis_money(abs(value), m.base_currency, language),
            (i, bottom if below else bottom + height),
            textcoords="offset points",
            xytext=(0, -3 if below else 3),
            ha="center",
            va="top" if below else "bottom",
            fontsize=8.5,
            color=INK,
            fontweight="bold",
        )
        if i < len(steps) - 1:
            ax.plot([i + 0.3, i + 0.7], [level, level], color="#9AA5B1", linewidth=0.8, linestyle=":")
    # Two-word names ("Novo MRR") on two lines, so neighbouring names never collide.
    ax.set_xticks(range(len(steps)), [s[0].replace(" ", "\n", 1) for s in steps], fontsize=9, color=INK)
    # Movements are small next to the totals: start the axis near the lowest level, as bridges do.
    levels = [m.mrr_start, m.mrr_end, m.mrr_start + sum(v for _k, v in m.bridge_steps()[:4])]
    floor = min(levels)
    spread = max(peak - floor, 1)
    bottom_limit = max(0, floor - spread * 1.5)
    ax.set_ylim(bottom_limit, peak + spread * 0.25)
    if bottom_limit > 0:
        ax.text(
            0.995,
            0.0,
            tr("axis does not start at zero", language),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=7.5,
            color=MUTED,
        )
    _money_yaxis(ax, language)
    ax.set_ylabel(tr("MRR", language))
    return fig


def nrr_grr_figure(
    months: Sequence[PortfolioMetrics], language: str | None = None, size: tuple[float, float] = (10, 3.8)
) -> Figure:
    """NRR and GRR of each month, against the 100 % line."""
    fig, ax = _axes(size, tr("NRR and GRR by month", language))
    pts = [(m.start, m.nrr, m.grr) for m in months if m.nrr is not None]
    if not pts:
        _empty(
            ax,
            language,
            tr("NRR and GRR need MRR at the start of a month: import the MRR history to see them", language),
        )
        return fig
    labels = [month_label(p[0], language) for p in pts]
    xs = list(range(len(pts)))
    nrr = [p[1] * 100 for p in pts]
    grr = [p[2] * 100 for p in pts]
    ax.axhline(100, color="#9AA5B1", linewidth=1, linestyle="--")
    ax.plot(xs, nrr, color=BAND_COLORS["green"], marker="o", linewidth=2, label="NRR")
    ax.plot(xs, grr, color=ACCENT, marker="o", linewidth=2, label="GRR")
    for x, a, b in zip(xs, nrr, grr, strict=True):
        ax.annotate(
            formatting.number(a, 1, language),
            (x, a),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=7.5,
            color=BAND_COLORS["green"],
        )
        ax.annotate(
            formatting.number(b, 1, language),
            (x, b),
            textcoords="offset points",
            xytext=(0, -12),
            ha="center",
            fontsize=7.5,
            color=ACCENT,
        )
    _month_ticks(ax, xs, labels)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: formatting.number(v, 0, language) + "%"))
    lo, hi = min(grr + nrr), max(grr + nrr)
    ax.set_ylim(min(lo - 3, 95), max(hi + 3, 103))
    ax.legend(loc="upper left", frameon=False, fontsize=9, ncol=2)
    return fig


def nps_figure(
    months: Sequence[PortfolioMetrics], language: str | None = None, size: tuple[float, float] = (10, 3.8)
) -> Figure:
    """NPS of each month, with promoters / passives / detractors as stacked shares."""
    rows = [m for m in months if m.nps_responses]
    answers = sum(m.nps_responses for m in rows)
    fig, ax = _axes(
        size,
        tr("NPS by month", language),
        tr(
            "line: NPS · bars: % of answers ({answers})",
            language,
            answers=plural(
                answers, "{n} answer", "{n} answers", language, n=formatting.number(answers, 0, language)
            ),
        )
        if rows
        else None,
    )
    if not rows:
        _empty(
            ax,
            language,
            tr(
                "No NPS answers in this period: import survey answers or record an NPS on a timeline",
                language,
            ),
        )
        return fig
    xs = list(range(len(rows)))
    pro = [m.promoters / m.nps_responses * 100 for m in rows]
    pas = [m.passives / m.nps_responses * 100 for m in rows]
    det = [m.detractors / m.nps_responses * 100 for m in rows]
    ax.bar(xs, det, color=palette.NPS_FILL["detractor"], width=0.6, label=tr("Detractors", language))
    ax.bar(xs, pas, bottom=det, color=palette.NPS_FILL["passive"], width=0.6, label=tr("Passives", language))
    ax.bar(
        xs,
        pro,
        bottom=[a + b for a, b in zip(det, pas, strict=True)],
        color=palette.NPS_FILL["promoter"],
        width=0.6,
        label=tr("Promoters", language),
    )
    ax.set_ylim(0, 100)
    ax.set_ylabel(tr("% of answers", language))
    ax2 = ax.twinx()
    nps = [m.nps for m in rows]
    ax2.plot(xs, nps, color=INK, marker="o", linewidth=2, label="NPS", zorder=3)
    # One short number per point, on a white chip: neighbours never overlap, bars stay readable.
    # The answers behind each month are in the x labels' place only when there is room.
    for i, (x, v) in enumerate(zip(xs, nps, strict=True)):
        prev_v = nps[i - 1] if i else v
        above = v >= prev_v or i == 0
        ax2.annotate(
            formatting.number(v, 0, language),
            (x, v),
            textcoords="offset points",
            xytext=(0, 8 if above else -9),
            ha="center",
            va="bottom" if above else "top",
            fontsize=7.5,
            color=INK,
            zorder=4,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
    ax2.set_ylim(-110, 125)
    ax2.set_ylabel("NPS", color=MUTED)
    ax2.tick_params(colors=MUTED, labelsize=9)
    for side in ("top",):
        ax2.spines[side].set_visible(False)
    ax2.spines["right"].set_color("#C5CCD6")
    _month_ticks(ax, xs, [month_label(m.start, language) for m in rows])
    handles, names = ax.get_legend_handles_labels()
    h2, n2 = ax2.get_legend_handles_labels()
    fig.legend(
        handles[::-1] + h2,
        names[::-1] + n2,
        loc="outside lower center",
        ncol=4,
        frameon=False,
        fontsize=8,
    )
    return fig


def renewals_figure(
    months: Sequence[RenewalMonth], language: str | None = None, size: tuple[float, float] = (10, 3.8)
) -> Figure:
    """MRR up for renewal each month, split by health band: the yellow and red parts are the risk."""
    empty = not months or not any(m.accounts for m in months)
    fig, ax = _axes(
        size,
        tr("Renewals by month", language),
        None if empty else tr("MRR renewing (accounts on top), by health band", language),
    )
    if empty:
        _empty(
            ax,
            language,
            tr(
                "No renewals in the next 12 months: add renewal dates to the accounts (or import them)",
                language,
            ),
        )
        return fig
    xs = list(range(len(months)))
    red = [m.critical_mrr_cents for m in months]
    yellow = [m.at_risk_mrr_cents - m.critical_mrr_cents for m in months]
    safe = [m.mrr_cents - m.at_risk_mrr_cents for m in months]
    ax.bar(xs, safe, color=ACCENT, width=0.6, label=tr("Healthy or unscored", language))
    ax.bar(
        xs,
        yellow,
        bottom=safe,
        color=BAND_COLORS["yellow"],
        width=0.6,
        label=label(vocab.HEALTH_BAND_LABELS, "yellow", language),
    )
    ax.bar(
        xs,
        red,
        bottom=[a + b for a, b in zip(safe, yellow, strict=True)],
        color=BAND_COLORS["red"],
        width=0.6,
        label=label(vocab.HEALTH_BAND_LABELS, "red", language),
    )
    for x, m in zip(xs, months, strict=True):
        if m.accounts:
            ax.text(
                x,
                m.mrr_cents,
                f"{formatting.axis_money(m.mrr_cents, 'BRL', language)}\n{m.accounts}",
                ha="center",
                va="bottom",
                fontsize=7.5,
                color=INK,
            )
    _money_yaxis(ax, language)
    ax.set_ylim(0, max(m.mrr_cents for m in months) * 1.3)
    _month_ticks(ax, xs, [month_label(m.month, language) for m in months])
    ax.set_ylabel(tr("MRR", language))
    # Below the months, not over the bars' figures.
    fig.legend(loc="outside lower center", frameon=False, fontsize=8, ncol=3)
    return fig


# ---------------------------------------------------------------------------
# Cohorts and the health score's check


def cohorts_figure(
    table: CohortTable,
    by: str = "logos",
    language: str | None = None,
    size: tuple[float, float] | None = None,
) -> Figure:
    """Heat-map: start months (rows) × months since start (columns), retention in each cell,
    with the cohort's size and its early churn (≤ 90 / ≤ 180 days) beside it."""
    from matplotlib.colors import LinearSegmentedColormap

    from csdesk.metrics import EARLY_CHURN_DAYS

    title = (
        tr("Logo retention by cohort", language)
        if by == "logos"
        else tr("Revenue retention by cohort", language)
    )
    rows = len(table.cohorts)
    months = table.months
    size = size or (max(8.0, 2.6 + 0.42 * months), max(3.0, 1.3 + 0.3 * rows))
    fig, ax = _axes(
        size,
        title,
        tr(
            "by contract-start month; months since the start; early churn in the first 90 / 180 days",
            language,
        ),
    )
    ax.set_title(
        title, loc="left", fontsize=12, fontweight="bold", color=INK, pad=22
    )  # clear of the subtitle
    if not rows:
        _empty(ax, language, tr("No contract starts in this period", language))
        return fig
    import numpy as np

    grid = np.full((rows, months), np.nan)
    for i, values in enumerate(table.values(by)):
        for k, v in enumerate(values):
            if v is not None:
                grid[i, k] = v
    cmap = LinearSegmentedColormap.from_list(
        "retention", [BAND_COLORS["red"], "#F6D38A", "#D9EFE1", BAND_COLORS["green"]]
    ).with_extremes(bad="white")
    low = 0.5  # half of the cohort (or its MRR) gone: the reddest cell
    ax.imshow(
        np.ma.masked_invalid(grid), cmap=cmap, vmin=low, vmax=1.0 if by == "logos" else 1.2, aspect="auto"
    )
    for i in range(rows):
        for k in range(months):
            v = grid[i, k]
            if not np.isnan(v):
                ax.text(
                    k,
                    i,
                    formatting.number(v * 100, 0, language),
                    ha="center",
                    va="center",
                    fontsize=7 if months > 18 else 7.5,
                    color="white" if v < low + 0.15 else INK,
                )
    labels = []
    for c in table.cohorts:
        early = " · ".join(
            "—" if c.early_churn(j) is None else formatting.percent(c.early_churn(j), 0, language)
            for j in range(len(EARLY_CHURN_DAYS))
        )
        labels.append(f"{month_label(c.month, language)}  n={c.accounts}  {early}")
    ax.set_yticks(range(rows), labels, fontsize=8, color=INK, family="monospace")
    ax.set_xticks(range(months), [str(k) for k in range(months)], fontsize=8)
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel(tr("months since the start (%)", language), fontsize=8.5)
    ax.text(
        -0.01,
        -0.5 / rows,
        tr("cohort · accounts · churned ≤90d · ≤180d", language),
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=7.5,
        color=MUTED,
    )
    # Early churn above a quarter of the cohort is the warning a CS leader looks for.
    for i, c in enumerate(table.cohorts):
        worst = c.early_churn(1) if c.early_churn(1) is not None else c.early_churn(0)
        if worst is not None and worst >= 0.25:
            ax.get_yticklabels()[i].set_color(BAND_COLORS["red"])
    return fig


def health_check_figure(
    check: HealthCheck,
    language: str | None = None,
    size: tuple[float, float] = (8, 3.8),
    verdict: bool = True,
) -> Figure:
    """Churn (and contraction) rate in the window after the day, by the band accounts were in."""
    subtitle = tr(
        "scores of {day}; outcome in the following {days} days",
        language,
        day=formatting.day(check.as_of, language),
        days=check.horizon_days,
    )
    fig, ax = _axes(size, tr("Does the health score predict churn?", language), subtitle)
    shown = [b for b in check.bands if b.band is not None or b.accounts]
    if not any(b.accounts for b in shown):
        _empty(ax, language, tr("No scored customers on that day: recompute the health history", language))
        return fig
    xs = list(range(len(shown)))
    churn = [(b.churn_rate or 0) * 100 for b in shown]
    contraction = [(b.contraction_rate or 0) * 100 for b in shown]
    ax.bar(
        [x - 0.18 for x in xs],
        churn,
        width=0.36,
        color=[BAND_COLORS[b.band] for b in shown],
        label=tr("Churned", language),
    )
    ax.bar(
        [x + 0.18 for x in xs],
        contraction,
        width=0.36,
        color=[BAND_FILLS.get(b.band, "#E4E8EE") for b in shown],
        edgecolor=[BAND_COLORS[b.band] for b in shown],
        label=tr("Contracted", language),
    )
    top = max(churn + contraction + [1.0])
    for x, b, c, k in zip(xs, shown, churn, contraction, strict=True):
        ax.text(
            x - 0.18,
            c + top * 0.02,
            f"{b.churned}/{b.accounts}",
            ha="center",
            va="bottom",
            fontsize=8,
            color=INK,
        )
        ax.text(
            x + 0.18, k + top * 0.02, f"{b.contracted}", ha="center", va="bottom", fontsize=7.5, color=MUTED
        )
    names = [
        label(vocab.HEALTH_BAND_LABELS, b.band, language) if b.band else tr(vocab.HEALTH_NO_DATA, language)
        for b in shown
    ]
    ax.set_xticks(xs, names, fontsize=9, color=INK)
    ax.set_ylim(0, top * 1.25)
    ax.set_ylabel(tr("% of the band's accounts", language))
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: formatting.number(v, 0, language) + "%"))
    if verdict:  # under the bars; a page that says it beside the chart leaves it out
        fig.text(
            0.01, 0.01, check.verdict(language), fontsize=8.5, color=INK, ha="left", va="bottom", wrap=True
        )
        fig.get_layout_engine().set(rect=(0, 0.1, 1, 0.9))
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(color=MUTED, label=tr("Churned", language)),
            Patch(facecolor="#E4E8EE", edgecolor=MUTED, label=tr("Contracted", language)),
        ],
        frameon=False,
        fontsize=8,
        loc="upper left",
    )
    return fig


# ---------------------------------------------------------------------------
# One entry point by name (CLI, export)


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
