"""The cohorts' retention and the health score's check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from csdesk import formatting, vocab
from csdesk.charts.base import BAND_COLORS, BAND_FILLS, INK, MUTED, _axes, _empty, month_label
from csdesk.i18n import label, tr

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from csdesk.cohorts import CohortTable
    from csdesk.health_check import HealthCheck


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
