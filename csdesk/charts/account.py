"""An account's charts: its health over time and the breakdown of its score by component."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from csdesk import clock, formatting, palette, vocab
from csdesk.charts.base import (
    ACCENT,
    BAND_COLORS,
    BAND_FILLS,
    INK,
    MUTED,
    _date_axis,
    _empty,
    _figure,
    _num,
    _style,
    _title,
)
from csdesk.i18n import label, tr

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from db import Database


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
    green: float  # the account's health model's thresholds
    yellow: float
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
