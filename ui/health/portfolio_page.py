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

from csdesk import clock, cohorts, currency, formatting, health, health_check, metrics, vocab
from csdesk.book import NO_SCORE, BookFilter
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
    cohorts: cohorts.CohortTable | None = None
    check: health_check.HealthCheck | None = None


def load_portfolio(db, start: date, end: date, segment: str | None) -> PortfolioData:
    from dataclasses import replace

    book = metrics.load_book(db, segment)
    # Monthly charts show at least the twelve months up to the end of the period.
    month_from = min(start, add_months(month_start(end), -11))
    # The period and its months in one pass over the book.
    m, *months = metrics.compute_periods(book, [(start, end), *metrics.month_periods(month_from, end)])
    onboarding = metrics.onboarding_metrics(book, metrics.load_onboarding(db, book), start, end)
    m = metrics.with_renewals(db, replace(m, mrr_by_band=metrics.mrr_by_band(book, db, end), **onboarding), segment)
    model = health.model_for(db, segment)
    today = clock.today()
    # The health check of the latest day whose 90 days are over by the period's end.
    as_of = health_check.default_as_of(health_check.HORIZON_DAYS, min(end, today))
    score, band = metrics.scores_at(db, as_of, book.ids)
    return PortfolioData(
        metrics=m,
        months=months,
        renewals=metrics.renewals_by_month(db, clock.today(), 12, segment),
        bands=health.band_split(db, segment),
        average=health.average_series(db, month_from, None, segment),
        green=model.green,
        yellow=model.yellow,
        cohorts=cohorts.cohort_table(book, start, end, min(end, today)),
        check=health_check.check_book(book, score, band, as_of, health_check.HORIZON_DAYS, today),
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
    ("arpa", "ARPA"),
    ("ltv", "Forward LTV"),
    ("annual_churn", "Annualised logo churn"),
    ("annual_revenue_churn", "Annualised revenue churn"),
    ("ces", "CES"),
    ("ttfv", "Time to first value"),
    ("onboarding", "Onboarding completion"),
    ("first_green", "Time to first green"),
    ("health_auc", "Health score AUC"),
)


# What a click on a card opens in the book: the period's movements behind the figure.
CARD_DRILLS = {
    "accounts": ("end",),
    "logo_churn": ("churned",),
    "annual_churn": ("churned",),
    "retention": ("start",),
    "mrr": ("end",),
    "arpa": ("end",),
    "ltv": ("end",),
    "revenue_churn": ("churn", "contraction"),
    "annual_revenue_churn": ("churn", "contraction"),
    "net_churn": ("churn", "contraction", "expansion"),
    "grr": ("churn", "contraction"),
    "nrr": ("expansion",),
    "churn_reason": ("churned",),
    "at_risk": ("at_risk",),
    "health_auc": ("health_churned",),
}
BRIDGE_DRILLS = ("start", "new", "reactivation", "expansion", "contraction", "churn", "end")


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
        self.drilled: BookFilter | None = None  # the last drill-down asked of the book

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
        self.report_button = QPushButton(tr("Executive report…"))
        self.report_button.setToolTip(tr("A PPTX deck or PDF of this period for the leadership"))
        self.report_button.clicked.connect(self.export_report)
        self.report_job = None
        self.report_written: str | None = None  # the last report's path (tests, the status line)

        # Period, dates, segment and the model button wrap as groups on a narrow window.
        bar_widget = QWidget()
        bar = FlowRow(bar_widget, spacing=16, line_spacing=8)
        bar.add(_group(QLabel(tr("Period")), self.preset))
        bar.add(_group(QLabel(tr("from")), self.start_edit, QLabel(tr("to")), self.end_edit))
        bar.add(_group(QLabel(tr("Segment")), self.segment))
        bar.add(QWidget(), stretch=1)  # pushes the model button to the right end of its line
        bar.add(self.report_button)
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
            if key in CARD_DRILLS:
                card.setCursor(Qt.CursorShape.PointingHandCursor)
                card.installEventFilter(self)

        self.charts = {
            "bands": ChartView("bands", min_height=260),
            "average": ChartView("average-health"),
            "bridge": ChartView("mrr-bridge"),
            "nrr": ChartView("nrr-grr"),
            "nps": ChartView("nps"),
            "renewals": ChartView("renewals"),
            "cohorts": ChartView("cohorts", min_height=360),
            "health_check": ChartView("health-check"),
        }
        self.verdict = QLabel("")
        self.verdict.setObjectName("healthVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet("font-size: 14px;")
        self.calibrate_button = QPushButton(tr("Calibrate the health model…"))
        self.calibrate_button.setToolTip(
            tr("Suggest weights fitted on this book's churn in the model editor")
        )
        self.calibrate_button.clicked.connect(self._open_model_editor)
        verdict_panel = QWidget()
        verdict_box = QVBoxLayout(verdict_panel)
        verdict_box.addStretch(1)
        verdict_box.addWidget(self.verdict)
        verdict_box.addWidget(self.calibrate_button, 0, Qt.AlignmentFlag.AlignLeft)
        verdict_box.addStretch(1)
        grid = QGridLayout()
        grid.setSpacing(12)
        grid.addWidget(self.charts["bands"], 0, 0, 1, 2)
        grid.addWidget(self.charts["bridge"], 1, 0)
        grid.addWidget(self.charts["nrr"], 1, 1)
        grid.addWidget(self.charts["average"], 2, 0)
        grid.addWidget(self.charts["nps"], 2, 1)
        grid.addWidget(self.charts["renewals"], 3, 0, 1, 2)
        grid.addWidget(self.charts["health_check"], 4, 0)
        grid.addWidget(verdict_panel, 4, 1)
        grid.addWidget(self.charts["cohorts"], 5, 0, 1, 2)

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
        self._show_analytics(data, pct, na)
        self._connect_clicks()

    def _show_analytics(self, data: PortfolioData, pct, na: str) -> None:
        """ARPA, LTV, annualised churn, CES, onboarding; the health score's check; the cohorts."""
        from csdesk import charts

        m = data.metrics
        c = self.cards
        language = current_language()

        def money(cents: int | None) -> str:
            return na if cents is None else formatting.money(cents, m.base_currency, decimals=False)

        def days(value: float | None) -> str:
            return na if value is None else tr("{n} days", n=formatting.number(value, 0))

        c["arpa"].set(money(m.arpa), tr("MRR ÷ customers at end"))
        c["ltv"].set(money(m.ltv_forward), tr("ARPA ÷ monthly revenue churn"))
        c["annual_churn"].set(pct(m.annualised_logo_churn), tr("1 − (1 − monthly)^12"))
        c["annual_revenue_churn"].set(pct(m.annualised_revenue_churn), tr("1 − (1 − monthly)^12"))
        c["ces"].set(
            na if m.ces is None else formatting.number(m.ces, 1),
            tr("{share} answered 5–7 · {n} answers", share=pct(m.ces_easy_rate, 0), n=m.ces_responses),
        )
        c["ttfv"].set(days(m.ttfv_days_median), tr("median · {n} accounts", n=m.ttfv_accounts))
        if m.ttfv_by_segment:
            c["ttfv"].setToolTip(
                "\n".join(
                    f"{label(vocab.SEGMENT_LABELS, seg) if seg else tr('No segment')}: {days(median)} ({n})"
                    for seg, median, n in m.ttfv_by_segment
                )
            )
        c["onboarding"].set(
            pct(m.onboarding_completion_rate, 0),
            tr(
                "{done} of {n}: first value within 90 days",
                done=m.onboarding_completed,
                n=m.onboarding_started,
            ),
        )
        c["first_green"].set(
            days(m.first_green_days_median), tr("median · {n} accounts", n=m.first_green_accounts)
        )
        if m.nps_zone:
            c["nps"].note.setText(c["nps"].note.text() + " · " + tr(metrics.NPS_ZONE_LABELS[m.nps_zone]))
        check = data.check
        if check is not None:
            c["health_auc"].set(
                na if check.auc is None else formatting.number(check.auc, 2),
                tr("{n} churned of {total} scored", n=check.churned, total=check.accounts),
            )
            self.verdict.setText(check.verdict(language))
            self.charts["health_check"].set_figure(
                charts.health_check_figure(check, language, size=(6, 3.4), verdict=False)
            )
        if data.cohorts is not None:
            rows = max(len(data.cohorts.cohorts), 1)
            self.charts["cohorts"].set_figure(
                charts.cohorts_figure(data.cohorts, "logos", language, size=(10, max(3.2, 1.4 + 0.28 * rows)))
            )

    @staticmethod
    def ask_save_path(parent: QWidget, title: str, suggested: str) -> str:
        from ui.documents.actions import ask_save_path

        return ask_save_path(parent, title, suggested, ("pptx", "pdf"))

    def export_report(self) -> None:
        """Ask where, then write the executive report of the period shown, in the background."""
        from pathlib import Path

        from PySide6.QtCore import QStandardPaths

        from csdesk import report

        if self.report_job is not None and self.report_job.running:
            return
        start, end = self.period()
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name = tr("executive-report") + f"-{start.isoformat()}-{end.isoformat()}.pptx"
        path = self.ask_save_path(
            self, tr("Save the executive report"), str(Path(folder or Path.home()) / name)
        )
        if not path:
            return
        if not Path(path).suffix:
            path += ".pptx"
        db, segment, language = self.context.db, self.segment.currentData(), current_language()
        self.report_button.setEnabled(False)
        self.subtitle.setText(tr("Writing the executive report…"))

        def done(written) -> None:
            self.report_button.setEnabled(True)
            self.report_written = str(written)
            self.subtitle.setText(tr("{file} is ready.", file=Path(written).name))

        def failed(error: BaseException) -> None:
            self.report_button.setEnabled(True)
            show_error(self, error, tr("The document could not be written"))

        self.report_job = run_in_background(
            lambda _p: report.write_report(db, start, end, path, language, segment),
            done,
            failed,
            parent=self,
        )

    # Drill-down: the accounts behind a figure, as a filter of the book ---------------------

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.MouseButtonRelease and getattr(watched, "property", None):
            key = watched.property("kpi")
            if key in CARD_DRILLS and self.data is not None:
                self.drill(CARD_DRILLS[key], self.cards[key].caption.text())
                return True
        return super().eventFilter(watched, event)

    def _connect_clicks(self) -> None:
        for key in ("bands", "bridge", "cohorts", "health_check"):
            canvas = self.charts[key].canvas
            if canvas is not None and not getattr(canvas, "_drill_connected", False):
                canvas.mpl_connect(
                    "button_press_event",
                    lambda ev, k=key: self.chart_clicked(k, ev.xdata, ev.ydata, ev.inaxes),
                )
                canvas.setCursor(Qt.CursorShape.PointingHandCursor)
                canvas._drill_connected = True

    def chart_clicked(self, chart: str, x: float | None, y: float | None, axes=None) -> None:
        """A bar or a cell clicked: open the accounts behind it in the book."""
        if self.data is None or x is None or y is None:
            return
        if chart == "bands":
            shown = [b for b in self.data.bands if b.band is not None or b.accounts]
            i = len(shown) - 1 - round(y)
            if 0 <= i < len(shown):
                band = shown[i].band
                self.open_book(BookFilter(bands=frozenset([band or NO_SCORE])))
        elif chart == "bridge":
            i = round(x)
            if 0 <= i < len(BRIDGE_DRILLS):
                names = [
                    tr("MRR at start"),
                    tr("New MRR"),
                    tr("Reactivation"),
                    tr("Expansion"),
                    tr("Contraction"),
                    tr("Churn"),
                    tr("MRR at end"),
                ]
                self.drill((BRIDGE_DRILLS[i],), names[i])
        elif chart == "cohorts" and self.data.cohorts is not None:
            i, k = round(y), round(x)
            table = self.data.cohorts
            if 0 <= i < len(table.cohorts) and 0 <= k < len(table.cohorts[i].logos):
                self.drill_cohort(table.cohorts[i].month, k)
        elif chart == "health_check" and self.data.check is not None:
            shown = [b for b in self.data.check.bands if b.band is not None or b.accounts]
            i = round(x)
            if 0 <= i < len(shown):
                self.drill_band_outcome(shown[i].band)

    def open_book(self, flt: BookFilter) -> None:
        self.drilled = flt
        self.context.hub.requestBookFilter.emit(flt)

    def _drill_in_background(self, work, label_text: str) -> None:
        def done(ids: list[int]) -> None:
            self.open_book(BookFilter(status="all", accounts=frozenset(ids), accounts_label=label_text))

        run_in_background(lambda _p: work(), done, lambda error: show_error(self, error), parent=self)

    def drill(self, movements: tuple[str, ...], caption: str) -> None:
        """The accounts of the period's movements (start, end, new, churned…), in the background."""
        start, end = self.period()
        db, segment = self.context.db, self.segment.currentData()
        period = f"{formatting.day(start)} – {formatting.day(end)}"
        if movements == ("at_risk",):
            self.open_book(BookFilter(bands=frozenset(["yellow", "red"])))
            return
        if movements == ("health_churned",):
            check = self.data.check
            self._drill_in_background(
                lambda: (
                    health_check.accounts_in_band(db, "red", check.as_of, check.horizon_days, True)
                    + health_check.accounts_in_band(db, "yellow", check.as_of, check.horizon_days, True)
                    + health_check.accounts_in_band(db, "green", check.as_of, check.horizon_days, True)
                ),
                tr("Churned after the scores of {day}", day=formatting.day(check.as_of)),
            )
            return

        def work() -> list[int]:
            book = metrics.load_book(db, segment)
            ids: list[int] = []
            for which in movements:
                ids += metrics.period_accounts(book, start, end, which)
            return ids

        self._drill_in_background(work, f"{caption} · {period}")

    def drill_cohort(self, month: date, months_since: int) -> None:
        """A cohort cell: the cohort's accounts no longer customers by then (or all of it, when none left)."""
        db, segment = self.context.db, self.segment.currentData()
        from csdesk.charts import month_label

        def work() -> list[int]:
            gone = cohorts.accounts_in_cell(db, month, months_since, retained=False, segment=segment)
            return gone or cohorts.accounts_in_cell(db, month, months_since, retained=True, segment=segment)

        self._drill_in_background(
            work,
            tr(
                "Cohort {month}, month {k}: lost (or all, when none)",
                month=month_label(month),
                k=months_since,
            ),
        )

    def drill_band_outcome(self, band: str | None) -> None:
        check = self.data.check
        db = self.context.db
        self._drill_in_background(
            lambda: health_check.accounts_in_band(db, band, check.as_of, check.horizon_days),
            tr("{band} on {day}", band=health.band_label(band), day=formatting.day(check.as_of)),
        )

    def _open_model_editor(self) -> None:
        if self.open_model_editor is not None:
            self.open_model_editor()
            return
        from ui.health.model_editor import HealthModelDialog

        HealthModelDialog(self.context, self).exec()
