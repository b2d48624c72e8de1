"""What every chart shares: colours, month labels, the figure and its axes' style, rendering to PNG/SVG."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from csdesk import formatting, palette
from csdesk.i18n import tr
from csdesk.rules.calendar import add_months, month_start, months_between

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
    span_months = round(months_between(month_start(first), month_start(last)))
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
