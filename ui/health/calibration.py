"""The health model editor's calibration: weights fitted on the book's own churn history.

A button asks ``csdesk.health_check.calibrate`` (off the GUI thread) for weights that best
predict churn in the next 90 days; the panel shows the current and the suggested weights
and AUCs side by side. *Accept* puts the suggestion in the editor and saves it, *Edit* puts
it in the editor to adjust before saving, *Ignore* puts the panel away. With too few
churns the panel says so and suggests nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from csdesk import formatting, health_check
from csdesk.i18n import tr
from ui.errors import show_error
from ui.workers import run_in_background


class CalibrationPanel(QWidget):
    """Suggested weights beside the current ones, with Accept / Edit / Ignore."""

    calibrated = Signal(object)  # the Calibration shown

    def __init__(self, dialog, parent: QWidget | None = None):
        super().__init__(parent)
        self.dialog = dialog  # the HealthModelDialog: its rows, segment and save()
        self.result: health_check.Calibration | None = None
        self.today = None  # None = the clock's day (tests pin one)
        self.suggest_button = QPushButton(tr("Suggest weights from the book's history…"))
        self.suggest_button.setToolTip(
            tr(
                "Fits the weights that best predict churn in the next 90 days on this book's history, "
                "tested on days the fit has not seen."
            )
        )
        self.suggest_button.clicked.connect(self.run)
        self.message = QLabel("")
        self.message.setObjectName("calibrationMessage")
        self.message.setWordWrap(True)
        self.table = QGridLayout()
        self.table.setHorizontalSpacing(24)
        self.table.setColumnStretch(3, 1)
        self.accept_button = QPushButton(tr("Accept"))
        self.edit_button = QPushButton(tr("Edit"))
        self.ignore_button = QPushButton(tr("Ignore"))
        self.accept_button.setToolTip(tr("Use the suggested weights and save the model"))
        self.edit_button.setToolTip(tr("Put the suggested weights in the model to adjust them before saving"))
        self.accept_button.clicked.connect(self.accept_suggestion)
        self.edit_button.clicked.connect(self.edit_suggestion)
        self.ignore_button.clicked.connect(self.ignore)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.ignore_button)
        buttons.addStretch(1)
        self.details = QWidget()
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addLayout(self.table)
        details.addLayout(buttons)
        self.details.hide()
        top = QHBoxLayout()
        top.addWidget(self.suggest_button)
        top.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.details)

    def run(self) -> None:
        db, segment, today = self.dialog.context.db, self.dialog.segment.currentData(), self.today
        self.suggest_button.setEnabled(False)
        self.message.setText(tr("Fitting on the book's history…"))
        run_in_background(
            lambda _p: health_check.calibrate(db, health_check.HORIZON_DAYS, segment, today),
            self.show_result,
            self._failed,
            parent=self,
        )

    def _failed(self, error: BaseException) -> None:
        self.suggest_button.setEnabled(True)
        self.message.setText("")
        show_error(self, error)

    def show_result(self, result: health_check.Calibration) -> None:
        self.result = result
        self.suggest_button.setEnabled(True)
        self.message.setText(result.message)
        while self.table.count():
            item = self.table.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if not result.enough_data:
            self.details.hide()
            self.calibrated.emit(result)
            return

        def cell(text: str, row: int, col: int, bold: bool = False) -> None:
            lab = QLabel(text)
            if bold:
                lab.setStyleSheet("font-weight: 600; color: #6b7385;")
            self.table.addWidget(lab, row, col)

        cell(tr("Component"), 0, 0, True)
        cell(tr("Current"), 0, 1, True)
        cell(tr("Suggested"), 0, 2, True)
        for i, comp in enumerate(result.model.components, start=1):
            cell(comp.display_label(), i, 0)
            cell(formatting.percent(comp.weight / 100, 0), i, 1)
            cell(formatting.percent(result.suggested_weights[comp.key] / 100, 0), i, 2)
        last = len(result.model.components) + 1
        cell("AUC", last, 0, True)
        cell(formatting.number(result.current_auc, 2), last, 1)
        cell(formatting.number(result.suggested_auc, 2), last, 2)
        self.details.show()
        self.calibrated.emit(result)

    def _apply(self) -> None:
        weights = self.result.suggested_weights if self.result else None
        if not weights:
            return
        for row in self.dialog.rows:
            if row.key in weights:
                row.weight.setValue(weights[row.key])

    def accept_suggestion(self) -> None:
        self._apply()
        self.dialog.save()

    def edit_suggestion(self) -> None:
        self._apply()
        self.details.hide()
        self.message.setText(tr("Suggested weights put in the model: adjust them, then save."))

    def ignore(self) -> None:
        self.details.hide()
        self.message.setText("")
        self.result = None
