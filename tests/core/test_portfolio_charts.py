"""Indicadores charts: labels that never overlap or leave the figure, honest colours, empty states that guide."""

from __future__ import annotations

from datetime import date

import pytest
from matplotlib.colors import to_hex

from csdesk import charts, i18n
from csdesk.metrics import PortfolioMetrics, RenewalMonth
from csdesk.rules.calendar import add_months

SIZES = [(6, 3.4), (10, 3.2), (4.5, 3.0)]  # the page's cells, and a narrow window


def month_metrics(i: int, nps: float, answers: int) -> PortfolioMetrics:
    start = add_months(date(2025, 12, 1), i)
    promoters = answers // 2
    detractors = answers // 4
    return PortfolioMetrics(
        start=start, end=add_months(start, 1), segment=None, accounts_start=10, accounts_end=10,
        new_accounts=0, churned_accounts=0, logo_churn_rate=0.0, customer_retention_rate=1.0,
        mrr_start=100, mrr_end=100, new_mrr=0, expansion_mrr=0, contraction_mrr=0, churned_mrr=0,
        revenue_churn_rate=0.0, net_revenue_churn_rate=0.0, grr=1.0, nrr=1.0, nps=nps,
        nps_responses=answers, promoters=promoters, passives=answers - promoters - detractors,
        detractors=detractors, csat=None, csat_responses=0, csat_satisfied=0,
    )  # fmt: skip


def empty_metrics() -> PortfolioMetrics:
    from dataclasses import replace

    return replace(month_metrics(0, 0, 0), mrr_start=0, mrr_end=0, nps=None, grr=None, nrr=None)


def drawn(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def inside(fig, artist, renderer) -> bool:
    box = artist.get_window_extent(renderer)
    fig_box = fig.bbox
    return (
        box.x0 >= fig_box.x0 - 1
        and box.x1 <= fig_box.x1 + 1
        and box.y0 >= fig_box.y0 - 1
        and box.y1 <= fig_box.y1 + 1
    )


@pytest.mark.parametrize("size", SIZES)
def test_nps_labels_never_overlap(size):
    # Close values month after month: the old "NPS (n=…)" labels piled up on each other.
    months = [
        month_metrics(i, v, 30 + i) for i, v in enumerate([16, 23, -9, 24, 14, 22, 37, 19, 0, 12, 13, -67])
    ]
    fig = charts.nps_figure(months, "pt_BR", size=size)
    renderer = drawn(fig)
    labels = [t for ax in fig.axes for t in ax.texts if t.get_text().lstrip("-−").isdigit()]
    assert len(labels) == 12
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    assert all(inside(fig, t, renderer) for t in labels)


def renewal_months() -> list[RenewalMonth]:
    return [
        RenewalMonth(
            add_months(date(2026, 12, 1), i), 5 + i, 100_000 * (i + 1), 40_000 * (i % 3), 20_000 * (i % 2)
        )
        for i in range(12)
    ]


@pytest.mark.parametrize("size", SIZES)
def test_renewals_month_labels_stay_inside_the_figure(size):
    fig = charts.renewals_figure(renewal_months(), "pt_BR", size=size)
    renderer = drawn(fig)
    ticks = [t for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert len(ticks) == 12
    assert all(inside(fig, t, renderer) for t in ticks)


def test_renewals_at_risk_is_yellow_and_critical_red():
    i18n.set_language("pt_BR")
    fig = charts.renewals_figure(renewal_months(), "pt_BR")
    ax = fig.axes[0]
    names = [t.get_text() for t in fig.legends[0].get_texts()]
    assert names == ["Saudável ou sem pontuação", "Em risco", "Crítico"]
    colours = [to_hex(c.patches[0].get_facecolor()) for c in ax.containers]
    assert (
        colours[1] == charts.BAND_COLORS["yellow"].lower() and colours[2] == charts.BAND_COLORS["red"].lower()
    )
    # Month 2: 40 000 at risk, 20 000 of it critical; month 3: 80 000 at risk, none critical.
    assert ax.containers[1].patches[1].get_height() == pytest.approx(20_000)
    assert ax.containers[2].patches[1].get_height() == pytest.approx(20_000)
    assert ax.containers[1].patches[2].get_height() == pytest.approx(80_000)
    assert ax.containers[2].patches[2].get_height() == pytest.approx(0)


@pytest.mark.parametrize(
    ("figure", "hint"),
    [
        (
            lambda: charts.mrr_bridge_figure(empty_metrics(), "pt_BR"),
            "Importe o histórico de MRR para ver a movimentação do MRR",
        ),
        (lambda: charts.nrr_grr_figure([], "pt_BR"), "importe o histórico de MRR"),
        (lambda: charts.nps_figure([empty_metrics()], "pt_BR"), "Nenhuma resposta de NPS"),
        (lambda: charts.renewals_figure([], "pt_BR"), "datas de renovação"),
        (lambda: charts.average_health_figure([], "pt_BR"), "Nenhum Health Score"),
        (lambda: charts.band_distribution_figure([], "pt_BR"), "Nenhuma conta ainda"),
    ],
)
def test_empty_charts_say_what_to_do_without_empty_axes(figure, hint):
    i18n.set_language("pt_BR")
    fig = figure()
    renderer = drawn(fig)
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert hint in texts
    for ax in fig.axes:
        assert not [t for t in ax.get_yticklabels() if t.get_text()]  # no "R$ 0, R$ 0" axis
        assert not any(s.get_visible() for s in ax.spines.values())
    assert renderer is not None


@pytest.mark.parametrize("size", SIZES)
def test_renewals_legend_never_covers_the_figures_on_the_bars(size):
    fig = charts.renewals_figure(renewal_months(), "pt_BR", size=size)
    renderer = drawn(fig)
    legend = fig.legends[0].get_window_extent(renderer)
    for text in fig.axes[0].texts:
        assert not legend.overlaps(text.get_window_extent(renderer)), text.get_text()


def test_average_health_fills_its_figure_when_red_is_off_the_axis():
    from datetime import timedelta

    series = [(date(2026, 1, 1) + timedelta(days=7 * i), 70.0 + i % 5, 100) for i in range(48)]
    fig = charts.average_health_figure(series, "pt_BR", 80, 60, size=(5, 4.6))
    drawn(fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts if t.get_text() in ("Saudável", "Em risco", "Crítico")] == [
        "Saudável",
        "Em risco",
    ]
    assert ax.get_position().y0 < 0.2  # the plot reaches down near the bottom, no blank strip
