"""The Portfolio page: metrics of a period as KPI cards, and the portfolio charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock, currency, formatting, health, metrics, vocab
from csdesk.i18n import current_language, label, tr
from csdesk.periods import PRESETS, preset_period
from csdesk.rules.calendar import add_months, month_start
from ui.book.widgets import KpiCard
from ui.context import AppContext
from ui.errors import show_error
from ui.health.chart_view import ChartView
from ui.layouts import CardGrid, FlowRow
from ui.workers import run_in_background


def preset_labels() -> dict[str, str]:
    return {
        "last_12_months": tr("Last 12 months"),
        "this_month": tr("This month"),
        "last_month": tr("Last month"),
        "last_quarter": tr("Last full quarter"),
        "this_year": tr("This year"),
        "custom": tr("Custom period"),
    }


@dataclass(frozen=True)
class PortfolioData:
    metrics: metrics.PortfolioMetrics
    months: list[metrics.PortfolioMetrics]
    renewals: list[metrics.RenewalMonth]
    bands: list[health.BandSplit]
    average: list[tuple[date, float, int]]
    green: float
    yellow: float


def load_portfolio(db, start: date, end: date, segment: str | None) -> PortfolioData:
    from dataclasses import replace

    book = metrics.load_book(db, segment)
    # Monthly charts show at least the twelve months up to the end of the period.
    month_from = min(start, add_months(month_start(end), -11))
    # The period and its months in one pass over the book.
    m, *months = metrics.compute_periods(book, [(start, end), *metrics.month_periods(month_from, end)])
    m = metrics.with_renewals(db, replace(m, mrr_by_band=metrics.mrr_by_band(book, db, end)), segment)
    model = health.model_for(db, segment)
    return PortfolioData(
        metrics=m,
        months=months,
        renewals=metrics.renewals_by_month(db, clock.today(), 12, segment),
        bands=health.band_split(db, segment),
        average=health.average_series(db, month_from, None, segment),
        green=model.green,
        yellow=model.yellow,
    )


KPIS = (
    ("accounts", "Customers"),
    ("logo_churn", "Logo churn"),
    ("retention", "Customer retention"),
    ("mrr", "MRR at end"),
    ("revenue_churn", "Revenue churn"),
    ("net_churn", "Net revenue churn"),
    ("grr", "GRR"),
    ("nrr", "NRR"),
    ("gross_renewal", "Gross renewal rate"),
    ("net_renewal", "Net renewal rate"),
    ("nps", "NPS"),
    ("csat", "CSAT"),
    ("at_risk", "MRR at risk"),
    ("churn_reason", "Top churn reason"),
)


def _group(*widgets: QWidget) -> QWidget:
    """Widgets kept together on one line of a wrapping bar (a label and its field)."""
    group = QWidget()
    row = QHBoxLayout(group)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(8)
    for widget in widgets:
        row.addWidget(widget)
    return group


class PortfolioPage(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.data: PortfolioData | None = None
        self._token = 0
        self._dirty = True
        self.open_model_editor = None  # set by the main window

        title = QLabel(tr("Portfolio"))
        title.setObjectName("pageTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("pageSubtitle")
        self.preset = QComboBox()
        labels = preset_labels()
        for key in PRESETS:
            self.preset.addItem(labels[key], key)
        self.today: date | None = None  # None = the clock's day (tests pin one)
        self._label_presets()
        self.start_edit = QDateEdit()
        self.end_edit = QDateEdit()
        for edit in (self.start_edit, self.end_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy" if current_language() == "pt_BR" else "MMM d, yyyy")
        self.segment = QComboBox()
        self.segment.addItem(tr("All segments"), None)
        for key in vocab.SEGMENTS:
            self.segment.addItem(label(vocab.SEGMENT_LABELS, key), key)
        self.model_button = QPushButton(tr("Health model…"))
        self.model_button.clicked.connect(self._open_model_editor)

        # Period, dates, segment and the model button wrap as groups on a narrow window.
        bar_widget = QWidget()
        bar = FlowRow(bar_widget, spacing=16, line_spacing=8)
        bar.add(_group(QLabel(tr("Period")), self.preset))
        bar.add(_group(QLabel(tr("from")), self.start_edit, QLabel(tr("to")), self.end_edit))
        bar.add(_group(QLabel(tr("Segment")), self.segment))
        bar.add(QWidget(), stretch=1)  # pushes the model button to the right end of its line
        bar.add(self.model_button)

        # Six cards a row, or 4, 3 or 2 (never sideways off the page); a text elides, with
        # its whole in the tooltip, only when even two a row leave too little room.
        self.cards: dict[str, KpiCard] = {}
        cards_widget = QWidget()
        cards = CardGrid(cards_widget, columns=(6, 4, 3, 2), spacing=10)
        for key, caption in KPIS:
            card = KpiCard(key, tr(caption))
            self.cards[key] = card
            cards.addWidget(card)

        self.charts = {
            "bands": ChartView("bands", min_height=260),
            "average": ChartView("average-health"),
            "bridge": ChartView("mrr-bridge"),
            "nrr": ChartView("nrr-grr"),
            "nps": ChartView("nps"),
            "renewals": ChartView("renewals"),
        }
        grid = QGridLayout()
        grid.setSpacing(12)
        grid.addWidget(self.charts["bands"], 0, 0, 1, 2)
        grid.addWidget(self.charts["bridge"], 1, 0)
        grid.addWidget(self.charts["nrr"], 1, 1)
        grid.addWidget(self.charts["average"], 2, 0)
        grid.addWidget(self.charts["nps"], 2, 1)
        grid.addWidget(self.charts["renewals"], 3, 0, 1, 2)

        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(20, 16, 20, 16)
        body.setSpacing(12)
        body.addWidget(title)
        body.addWidget(self.subtitle)
        body.addWidget(bar_widget)
        body.addWidget(cards_widget)
        body.addLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(250)
        self._reload_timer.timeout.connect(self.reload)
        self._apply_preset("last_12_months")
        self.preset.currentIndexChanged.connect(lambda _i: self._apply_preset(self.preset.currentData()))
        self.start_edit.dateChanged.connect(self._on_dates_edited)
        self.end_edit.dateChanged.connect(self._on_dates_edited)
        self.segment.currentIndexChanged.connect(lambda _i: self.schedule_reload())
        hub = context.hub
        for signal in (hub.healthChanged, hub.accountsChanged, hub.importFinished):
            signal.connect(lambda *_a: self.schedule_reload())
        hub.databaseChanged.connect(self.schedule_reload)

    # Period -------------------------------------------------------------------------

    def period(self) -> tuple[date, date]:
        return self.start_edit.date().toPython(), self.end_edit.date().toPython()

    def set_period(self, start: date, end: date) -> None:
        for edit, day in ((self.start_edit, start), (self.end_edit, end)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)
        self.schedule_reload()

    def _label_presets(self) -> None:
        """Each preset's days in its tooltip: the user sees what "last 12 months" means."""
        today = self.today or clock.today()
        for i in range(self.preset.count()):
            period = preset_period(self.preset.itemData(i), today)
            tip = "" if period is None else f"{formatting.day(period[0])} – {formatting.day(period[1])}"
            self.preset.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)

    def _apply_preset(self, key: str) -> None:
        period = preset_period(key, self.today or clock.today())
        if period is not None:
            self.set_period(*period)

    def _on_dates_edited(self) -> None:
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(self.preset.findData("custom"))
        self.preset.blockSignals(False)
        self.schedule_reload()

    # Loading ------------------------------------------------------------------------

    def schedule_reload(self) -> None:
        self._dirty = True
        if self.isVisible():
            self._reload_timer.start()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._dirty:
            self._reload_timer.start()

    def reload(self) -> None:
        start, end = self.period()
        if end < start:
            self.subtitle.setText(tr("The period ends before it starts."))
            return
        self._dirty = False
        self._token += 1
        token = self._token
        db = self.context.db
        segment = self.segment.currentData()
        self.subtitle.setText(tr("Loading…"))
        run_in_background(
            lambda _p: load_portfolio(db, start, end, segment),
            lambda data: self._show(data, token),
            lambda error: show_error(self, error),
            parent=self,
        )

    def _show(self, data: PortfolioData, token: int) -> None:
        if token != self._token:
            return
        from csdesk import charts

        self.data = data
        m = data.metrics
        language = current_language()
        na = "—"  # not defined (no base): a dash, as in the cards of an empty book

        def pct(value: float | None, digits: int = 1) -> str:
            return na if value is None else formatting.percent(value, digits)

        subtitle = tr(
            "{start} to {end} · state at start = end of {before}",
            start=formatting.day(m.start),
            end=formatting.day(m.end),
            before=formatting.day(m.start - timedelta(days=1)),
        )
        if m.history_complete_from is not None and m.history_complete_from > m.start:
            # Accounts first seen without a start count as customers since before the period.
            subtitle += " · " + tr(
                "history complete from {date}", date=formatting.day(m.history_complete_from)
            )
        if m.unconverted:
            subtitle += " · ⚠ " + currency.unconverted_text(m.unconverted)
        self.subtitle.setText(subtitle)
        c = self.cards
        # start + new + reactivated − churned = end, always.
        c["accounts"].set(
            f"{m.accounts_start} → {m.accounts_end}",
            tr(
                "{new} new, {back} reactivated, {churned} churned",
                new=m.new_accounts,
                back=m.reactivated_accounts,
                churned=m.churned_accounts,
            )
            if m.reactivated_accounts
            else tr("{new} new, {churned} churned", new=m.new_accounts, churned=m.churned_accounts),
        )
        c["logo_churn"].set(
            pct(m.logo_churn_rate, 2),
            tr("{n} of {total} at start", n=m.churned_accounts, total=m.accounts_start),
        )
        c["retention"].set(pct(m.customer_retention_rate, 2), tr("(end − new) ÷ start"))
        c["nps"].setToolTip(
            tr("{p} promoters · {s} passives · {d} detractors", p=m.promoters, s=m.passives, d=m.detractors)
        )
        c["mrr"].set(
            formatting.money(m.mrr_end, m.base_currency, decimals=False),
            tr("start {mrr}", mrr=formatting.money(m.mrr_start, m.base_currency, decimals=False)),
        )
        c["revenue_churn"].set(pct(m.revenue_churn_rate, 2), tr("(churn + contraction) ÷ start"))
        c["net_churn"].set(
            pct(m.net_revenue_churn_rate, 2),
            tr("negative churn")
            if (m.net_revenue_churn_rate or 0) < 0
            else tr("(churn + contraction − expansion) ÷ start"),
        )
        c["grr"].set(pct(m.grr), tr("expansion not counted"))
        c["nrr"].set(
            pct(m.nrr),
            tr("expansion {mrr}", mrr=formatting.money(m.expansion_mrr, m.base_currency, decimals=False)),
        )
        renewals_text = tr("{closed} of {due} renewals closed", closed=m.renewals_closed, due=m.renewals_due)
        c["gross_renewal"].set(pct(m.gross_renewal_rate), renewals_text)
        c["net_renewal"].set(pct(m.net_renewal_rate), renewals_text)
        c["nps"].set(
            na if m.nps is None else formatting.number(m.nps, 0),
            tr("{p} P · {s} N · {d} D", p=m.promoters, s=m.passives, d=m.detractors),
        )
        c["csat"].set(pct(m.csat), tr("{n} answers", n=m.csat_responses))
        at_risk = m.mrr_at_risk
        total_end = sum(b[2] for b in m.mrr_by_band) or 0
        c["at_risk"].set(
            formatting.money(at_risk, m.base_currency, decimals=False),
            tr("{share} of MRR (yellow, red)", share=pct(at_risk / total_end if total_end else None, 0)),
        )
        if m.churn_by_reason:
            reason, n, mrr = m.churn_by_reason[0]
            name = label(vocab.CHURN_REASON_LABELS, reason) if reason else tr("Not given")
            c["churn_reason"].set(
                name,
                tr("{n} accounts · {mrr}", n=n, mrr=formatting.money(mrr, m.base_currency, decimals=False)),
            )
            c["churn_reason"].setToolTip(
                "\n".join(
                    f"{label(vocab.CHURN_REASON_LABELS, r) if r else tr('Not given')}: {k} · {formatting.money(v, m.base_currency)}"
                    for r, k, v in m.churn_by_reason
                )
            )
        else:
            c["churn_reason"].set("—", tr("no churn in the period"))
        self.charts["bands"].set_figure(charts.band_distribution_figure(data.bands, language, size=(10, 2.6)))
        self.charts["average"].set_figure(
            charts.average_health_figure(data.average, language, data.green, data.yellow, size=(6, 3.4))
        )
        self.charts["bridge"].set_figure(charts.mrr_bridge_figure(m, language, size=(6, 3.4)))
        self.charts["nrr"].set_figure(charts.nrr_grr_figure(data.months, language, size=(6, 3.4)))
        self.charts["nps"].set_figure(charts.nps_figure(data.months, language, size=(6, 3.4)))
        self.charts["renewals"].set_figure(charts.renewals_figure(data.renewals, language, size=(10, 3.2)))

    def _open_model_editor(self) -> None:
        if self.open_model_editor is not None:
            self.open_model_editor()
            return
        from ui.health.model_editor import HealthModelDialog

        HealthModelDialog(self.context, self).exec()
