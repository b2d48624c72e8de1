"""Charts for documents: matplotlib Figures (no pyplot) saved as crisp PNGs.

matplotlib is imported lazily so the CLI and the GUI start fast. Each
function returns a Figure; :func:`png` renders one through the Agg canvas.
"""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING

from csdesk import formatting, palette
from csdesk.documents.model import PALETTE
from csdesk.i18n import tr

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 200
BRAND = "#" + PALETTE["brand"]
GREY = "#" + PALETTE["grey"]


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.patch.set_facecolor("white")
    return fig


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#B8C0C6")
    ax.tick_params(colors=GREY, labelsize=8)
    ax.grid(axis="y", color="#E6EAED", linewidth=0.8)
    ax.set_axisbelow(True)


def _no_data(ax, language: str) -> None:
    ax.text(
        0.5,
        0.5,
        tr("No data in this period", language),
        ha="center",
        va="center",
        color=GREY,
        fontsize=10,
        transform=ax.transAxes,
    )
    ax.set_xticks([])
    ax.set_yticks([])


def health_trend_figure(
    history: list[tuple[date, float]], language: str, width: float = 6.0, height: float = 3.2
) -> Figure:
    """The health score over time, with the red / yellow / green bands shaded."""
    fig = _figure(width, height)
    ax = fig.add_subplot(1, 1, 1)
    _style(ax)
    ax.axhspan(0, 60, color=palette.BAND_FILL["red"], linewidth=0)
    ax.axhspan(60, 80, color=palette.BAND_FILL["yellow"], linewidth=0)
    ax.axhspan(80, 100, color=palette.BAND_FILL["green"], linewidth=0)
    ax.set_ylim(0, 100)
    if history:
        xs = list(range(len(history)))
        ys = [score for _, score in history]
        ax.plot(xs, ys, color=BRAND, linewidth=2.2, marker="o" if len(xs) < 30 else None, markersize=3.5)
        ax.annotate(
            formatting.number(ys[-1], 0, language),
            (xs[-1], ys[-1]),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=9,
            color=BRAND,
            fontweight="bold",
        )
        step = max(1, len(xs) // 5)
        ticks = xs[::step]
        ax.set_xticks(ticks)
        ax.set_xticklabels([_short_day(history[i][0], language) for i in ticks])
        ax.set_xlim(-0.5, len(xs) - 0.5)
    else:
        _no_data(ax, language)
    ax.set_ylabel(tr("Health score", language), color=GREY, fontsize=8)
    # Fixed margins: tight_layout measures every label and costs more than drawing the chart.
    fig.subplots_adjust(left=0.1, right=0.98, top=0.95, bottom=0.12)
    return fig


def component_figure(
    components: list[tuple[str, float | None, float]], language: str, width: float = 6.0, height: float = 3.2
) -> Figure:
    """Each health component's points (0-10) as horizontal bars; missing ones say so."""
    fig = _figure(width, height)
    ax = fig.add_subplot(1, 1, 1)
    _style(ax)
    ax.grid(axis="x", color="#E6EAED", linewidth=0.8)
    ax.grid(axis="y", visible=False)
    if components:
        labels = [label for label, _, _ in components][::-1]
        points = [p if p is not None else 0 for _, p, _ in components][::-1]
        colours = [palette.points_colour(p) for _, p, _ in components][::-1]
        ys = range(len(labels))
        ax.barh(list(ys), points, color=colours, height=0.6)
        ax.set_yticks(list(ys))
        ax.set_yticklabels(labels, fontsize=8)
        ax.set_xlim(0, 10.8)
        raw = [p for _, p, _ in components][::-1]
        for y, p, value in zip(ys, points, raw, strict=True):
            text = tr("no data", language) if value is None else formatting.number(value, 1, language)
            ax.text(p + 0.15, y, text, va="center", fontsize=8, color=GREY)
    else:
        _no_data(ax, language)
    ax.set_xlabel(tr("Points (0-10)", language), color=GREY, fontsize=8)
    longest = max((len(label) for label, _, _ in components), default=8)
    fig.subplots_adjust(
        left=min(0.45, 0.04 + longest * 0.0125 * 6.0 / width), right=0.97, top=0.96, bottom=0.14
    )
    return fig


def usage_figure(
    series: dict[str, list[tuple[date, float]]],
    labels: dict[str, str],
    language: str,
    width: float = 6.0,
    height: float = 3.2,
) -> Figure:
    """Usage measures (logins, active users...) over the period, one line each."""
    fig = _figure(width, height)
    ax = fig.add_subplot(1, 1, 1)
    _style(ax)
    palette = [BRAND, "#3A7CA5", "#E0A526"]
    drawn = False
    for colour, (metric, points) in zip(palette, sorted(series.items()), strict=False):
        if not points:
            continue
        ax.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            color=colour,
            linewidth=2,
            marker="o" if len(points) <= 24 else None,
            markersize=3.5,
            label=labels.get(metric, metric),
        )
        drawn = True
    if drawn:
        ax.legend(fontsize=8, frameon=False, loc="upper left")
        import matplotlib.dates as mdates

        # Month/year as numbers: strftime's month names would follow the C locale, not the language.
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m/%y"))
        ax.xaxis.set_major_locator(mdates.MonthLocator(interval=max(1, round(_months(series) / 4))))
        ax.set_ylim(bottom=0)
    else:
        _no_data(ax, language)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.96, bottom=0.1)
    return fig


def png(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _months(series: dict[str, list[tuple[date, float]]]) -> int:
    days = [p[0] for pts in series.values() for p in pts]
    return max(1, (max(days) - min(days)).days // 30) if days else 1


def _short_day(value: date, language: str) -> str:
    return f"{value.day:02d}/{value.month:02d}" if language == "pt_BR" else f"{value.month}/{value.day}"
