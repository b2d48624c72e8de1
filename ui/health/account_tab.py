"""The Health tab of an account page: score, why it changed, missing inputs, charts, breakdown."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csdesk import formatting, health, palette, vocab
from csdesk.charts import AccountHealthData, BreakdownData
from csdesk.i18n import current_language, label, tr
from ui.context import AppContext
from ui.errors import show_error
from ui.health.chart_view import ChartView
from ui.workers import run_in_background

BAND_TEXT_COLORS = {**palette.BAND_TEXT, None: palette.NO_BAND_TEXT}


@dataclass(frozen=True)
class AccountHealthView:
    """Everything the tab shows, loaded off the GUI thread."""

    account_id: int
    chart: AccountHealthData
    breakdown: BreakdownData
    explanation: health.Explanation
    changes: dict[int, health.Change | None]
    coverage: health.Coverage | None = None  # only when there is no score: why not


def load_account_health(db, account_id: int, language: str) -> AccountHealthView:
    from csdesk import charts

    explanation = health.explain(db, account_id)
    return AccountHealthView(
        account_id=account_id,
        chart=charts.account_health_data(db, account_id),
        breakdown=charts.breakdown_data(db, account_id, language),
        explanation=explanation,
        changes=health.trend(db, account_id, (7, 30)),
        coverage=health.coverage(db, account_id, language=language) if explanation.current is None else None,
    )


class BreakdownModel(QAbstractTableModel):
    """One row per component of the latest score."""

    HEADERS = ("Component", "Value", "Points (0-10)", "Weight", "Weight used", "Score points", "7 days")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[list[Any]] = []  # display texts, then sort values
        self._missing: list[bool] = []
        self._deltas: list[float | None] = []

    def set_explanation(self, explanation: health.Explanation | None) -> None:
        self.beginResetModel()
        self._rows, self._missing, self._deltas = [], [], []
        if explanation is not None and explanation.current is not None:
            moves = {m.key: m.delta for m in explanation.moves}
            for c in explanation.current.components:
                name = explanation.label_of(c.key, c.measure)
                delta = moves.get(c.key) if explanation.previous is not None else None
                self._rows.append(
                    [
                        name,
                        "—" if c.value is None else formatting.number(c.value, 1),
                        tr("missing") if c.missing else formatting.number(c.points, 1),
                        formatting.number(c.weight, 0) + "%",
                        formatting.percent(c.effective_weight, 1),
                        formatting.number(c.contribution, 1),
                        "" if delta is None else health.signed(delta),
                    ]
                )
                self._missing.append(c.missing)
                self._deltas.append(delta)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(self.HEADERS[section])
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[row][col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if self._missing[row] and col in (1, 2):
                return QColor(palette.DOWN)
            if col == 6 and self._deltas[row] is not None and abs(self._deltas[row]) >= 0.05:
                return QColor(palette.UP if self._deltas[row] > 0 else palette.DOWN)
        if role == Qt.ItemDataRole.ToolTipRole and self._missing[row]:
            return tr("No recent value: this component is left out and its weight goes to the others.")
        return None


class AccountHealthTab(QWidget):
    """Health of one account: explained, charted, recomputable."""

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.account_id: int | None = None
        self.view: AccountHealthView | None = None
        self._token = 0
        self._job = None
        self._dirty = False

        self.score_label = QLabel("—")
        self.score_label.setObjectName("healthScore")
        self.score_label.setStyleSheet("font-size: 30px; font-weight: 700;")
        self.band_label = QLabel("")
        self.band_label.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.trend_label = QLabel("")
        self.trend_label.setObjectName("pageSubtitle")
        self.why_label = QLabel("")
        self.why_label.setWordWrap(True)
        self.missing_label = QLabel("")
        self.missing_label.setWordWrap(True)
        self.missing_label.setStyleSheet(
            "color: #8A5300; background: #FFF7E6; border: 1px solid #F5D9A8; border-radius: 6px; padding: 6px 10px;"
        )
        self.missing_label.hide()
        self.recompute_button = QPushButton(tr("Recompute"))
        self.recompute_button.setToolTip(tr("Recompute this account's weekly health history from its data"))
        self.recompute_button.clicked.connect(self.recompute)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()

        score_box = QVBoxLayout()
        score_box.setSpacing(0)
        score_row = QHBoxLayout()
        score_row.addWidget(self.score_label)
        score_row.addSpacing(10)
        score_row.addWidget(self.band_label, 0, Qt.AlignmentFlag.AlignBottom)
        score_row.addStretch(1)
        score_box.addLayout(score_row)
        score_box.addWidget(self.trend_label)
        header = QHBoxLayout()
        header.addLayout(score_box, 1)
        header.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.recompute_button, 0, Qt.AlignmentFlag.AlignTop)

        self.history_chart = ChartView("health-history", min_height=300)
        self.breakdown_chart = ChartView("health-breakdown", min_height=300)
        self.model = BreakdownModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(230)
        self.table.setAlternatingRowColors(True)

        why_title = QLabel(tr("Why it changed"))
        why_title.setStyleSheet("font-weight: 600;")
        breakdown_title = QLabel(tr("Breakdown of the latest score"))
        breakdown_title.setStyleSheet("font-weight: 600;")
        self.formula_label = QLabel(
            tr(
                "Score = Σ weight × points × 10. A missing input is left out and its weight is shared by the others."
            )
        )
        self.formula_label.setObjectName("pageSubtitle")
        self.formula_label.setWordWrap(True)

        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(16, 12, 16, 12)
        body.setSpacing(10)
        body.addLayout(header)
        body.addWidget(why_title)
        body.addWidget(self.why_label)
        body.addWidget(self.missing_label)
        body.addWidget(self.history_chart)
        body.addWidget(self.breakdown_chart)
        body.addWidget(breakdown_title)
        body.addWidget(self.table)
        body.addWidget(self.formula_label)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        hub = context.hub
        hub.healthChanged.connect(self._on_health_changed)
        hub.timelineChanged.connect(self._on_account_data_changed)
        hub.accountsChanged.connect(self._on_accounts_changed)
        hub.databaseChanged.connect(self.reload)

    # Loading ------------------------------------------------------------------------

    def set_account(self, account_id: int | None) -> None:
        self.account_id = account_id
        self.reload()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._dirty:
            self.reload()

    def reload(self) -> None:
        if self.account_id is None:
            return
        # A hidden tab (another tab of the account page is open) loads when shown.
        self._dirty = not self.isVisible()
        if self._dirty:
            return
        self._token += 1
        token = self._token
        db = self.context.db
        account_id = self.account_id
        language = current_language()
        run_in_background(
            lambda _progress: load_account_health(db, account_id, language),
            lambda view: self._show(view, token),
            lambda error: show_error(self, error),
            parent=self,
        )

    def _show(self, view: AccountHealthView, token: int) -> None:
        if token != self._token:
            return  # another account was asked for meanwhile
        self.view = view
        from csdesk import charts

        language = current_language()
        e = view.explanation
        snap = e.current
        if snap is None:
            self.score_label.setText("—")
            self.score_label.setStyleSheet(
                f"font-size: 30px; font-weight: 700; color: {BAND_TEXT_COLORS[None]};"
            )
            self.band_label.setText(health.no_data_label())
            self.band_label.setStyleSheet(
                f"font-size: 15px; font-weight: 600; color: {BAND_TEXT_COLORS[None]};"
            )
            cov = view.coverage
            if cov is not None and not cov.enough:
                self.trend_label.setText(
                    tr(
                        "No data, no score: the inputs present carry {present}% of the model's weight; "
                        "a score needs {required}%.",
                        present=formatting.number(cov.present, 0),
                        required=formatting.number(cov.required, 0),
                    )
                )
                self.missing_label.setText(
                    tr("Missing inputs: {names}", names=", ".join(cov.missing_labels) or "—")
                )
                self.missing_label.show()
            else:
                self.trend_label.setText(tr("No health score yet: recompute, or add usage, NPS or touches."))
                self.missing_label.hide()
            self.why_label.setText("")
        else:
            color = BAND_TEXT_COLORS.get(snap.band, BAND_TEXT_COLORS[None])
            self.score_label.setText(formatting.number(snap.score, 1))
            self.score_label.setStyleSheet(f"font-size: 30px; font-weight: 700; color: {color};")
            self.band_label.setText(label(vocab.HEALTH_BAND_LABELS, snap.band))
            self.band_label.setStyleSheet(f"font-size: 15px; font-weight: 600; color: {color};")
            parts = [tr("on {day}", day=formatting.day(snap.as_of))]
            for days in (7, 30):
                change = view.changes.get(days)
                if change is None:
                    continue
                if change.exact:
                    parts.append(
                        tr("{change} in {days} days", change=health.signed(change.points), days=days)
                    )
                else:  # the nearest earlier score: say which
                    parts.append(
                        tr(
                            "{change} since {day} ({days} days)",
                            change=health.signed(change.points),
                            day=formatting.day(change.since),
                            days=change.actual_days,
                        )
                    )
            if not snap.complete:
                parts.append(tr("incomplete"))
            self.trend_label.setText(" · ".join(parts))
            why = e.change_text()
            if e.previous is None:
                self.why_label.setText(tr("No earlier score to compare with."))
            elif not why:
                self.why_label.setText(
                    tr("No component moved since {day}.", day=formatting.day(e.previous.as_of))
                )
            else:
                self.why_label.setText(
                    tr(
                        "Since {day} ({before} → {after}): {why}",
                        day=formatting.day(e.previous.as_of),
                        before=formatting.number(e.previous.score, 1),
                        after=formatting.number(snap.score, 1),
                        why=why,
                    )
                )
            missing = e.missing_labels()
            self.missing_label.setVisible(bool(missing))
            self.missing_label.setText(
                tr(
                    "Missing inputs, left out with their weight redistributed: {names}",
                    names=", ".join(missing),
                )
            )
        self.model.set_explanation(e)
        # The page already names the account: the tab's charts do not repeat it.
        breakdown = replace(view.breakdown, name="")
        chart = replace(view.chart, name="")
        self.history_chart.set_figure(charts.account_health_figure(chart, language))
        self.breakdown_chart.set_figure(charts.component_breakdown_figure(breakdown, language))

    # Recompute ----------------------------------------------------------------------

    def recompute(self) -> None:
        if self.account_id is None or (self._job is not None and self._job.running):
            return
        db = self.context.db
        account_id = self.account_id
        self.recompute_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()

        def done(_result) -> None:
            self._finish()
            self.context.hub.healthChanged.emit([account_id])
            self.context.hub.tasksChanged.emit(account_id)

        def failed(error) -> None:
            self._finish()
            show_error(self, error)

        self._job = run_in_background(
            lambda progress: health.recompute(db, [account_id], progress=progress), done, failed, parent=self
        )

    def _finish(self) -> None:
        self.recompute_button.setEnabled(True)
        self.progress.hide()

    # Hub ----------------------------------------------------------------------------

    def _on_health_changed(self, ids: list) -> None:
        if self.account_id is not None and (not ids or self.account_id in ids):
            self.reload()

    def _on_account_data_changed(self, account_id: int) -> None:
        if account_id == self.account_id:
            self.reload()

    def _on_accounts_changed(self, ids: list) -> None:
        if self.account_id is not None and self.account_id in (ids or []):
            self.reload()
