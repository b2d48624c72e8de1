"""Charts for documents: matplotlib Figures (no pyplot) saved as crisp PNGs.

matplotlib is imported lazily so the CLI and the GUI start fast. Each
function returns a Figure; :func:`png` renders one through the Agg canvas.
"""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING

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
