"""Portfolio charts: bands, average health, the MRR bridge, NRR/GRR, NPS, renewals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from csdesk import formatting, palette, vocab
from csdesk.charts.account import _band_background
from csdesk.charts.base import (
    ACCENT,
    BAND_COLORS,
    INK,
    MUTED,
    _axes,
    _date_axis,
    _empty,
    _figure,
    _money_yaxis,
    _month_ticks,
    _num,
    _style,
    _title,
    month_label,
)
from csdesk.i18n import label, plural, tr

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from csdesk.health import BandSplit
    from csdesk.metrics import PortfolioMetrics, RenewalMonth


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
    green: float | None = None,
    yellow: float | None = None,
    size: tuple[float, float] = (10, 3.8),
) -> Figure:
    """The portfolio's average Health Score week by week; bands at the model's thresholds
    (the default model's when not given)."""
    if green is None or yellow is None:
        from csdesk.health import DEFAULT_THRESHOLDS

        green = DEFAULT_THRESHOLDS["green"] if green is None else green
        yellow = DEFAULT_THRESHOLDS["yellow"] if yellow is None else yellow
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
