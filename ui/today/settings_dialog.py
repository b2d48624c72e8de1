"""Cadences per segment and reminder rules: stored in the database, edited here."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk import tasks, vocab
from csdesk.accounts import ValidationError
from csdesk.i18n import label, tr
from ui.context import AppContext


class TodaySettingsDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(tr("Cadences and reminders"))
        self.setMinimumWidth(560)
        cadences = tasks.get_cadences(context.db)
        rules = tasks.get_rules(context.db)

        cadence_box = QGroupBox(tr("Touch an account at least every… (days without a touch)"))
        form = QFormLayout(cadence_box)
        self.cadence_spins: dict[str, QSpinBox] = {}
        for segment in vocab.SEGMENTS:
            spin = QSpinBox()
            spin.setRange(1, 3650)
            spin.setSuffix(" " + tr("days"))
            spin.setValue(cadences[segment])
            self.cadence_spins[segment] = spin
            form.addRow(label(vocab.SEGMENT_LABELS, segment), spin)

        rules_box = QGroupBox(tr("Reminder rules (they create tasks, never twice)"))
        grid = QGridLayout(rules_box)
        self.rule_checks: dict[str, QCheckBox] = {}
        self.rule_spins: dict[str, QSpinBox] = {}
        for row, key in enumerate(tasks.RULES):
            rule = rules[key]
            check = QCheckBox(
                tasks.rule_label(key, {k: "N" if k != "enabled" else v for k, v in rule.items()})
            )
            check.setChecked(bool(rule.get("enabled", True)))
            self.rule_checks[key] = check
            grid.addWidget(check, row, 0)
            if key in tasks.RULE_PARAMETERS:
                name, low, high = tasks.RULE_PARAMETERS[key]
                spin = QSpinBox()
                spin.setRange(low, high)
                spin.setValue(int(rule[name]))
                spin.setPrefix("N = ")
                self.rule_spins[key] = spin
                grid.addWidget(spin, row, 1)
                check.toggled.connect(spin.setEnabled)
                spin.setEnabled(check.isChecked())
        grid.setColumnStretch(0, 1)

        self.errors = QLabel()
        self.errors.setStyleSheet("color: #b91c1c;")
        self.errors.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(cadence_box)
        layout.addWidget(rules_box)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)

    def values(self) -> tuple[dict[str, int], dict[str, dict]]:
        cadences = {segment: spin.value() for segment, spin in self.cadence_spins.items()}
        rules: dict[str, dict] = {}
        for key, check in self.rule_checks.items():
            rules[key] = {"enabled": check.isChecked()}
            if key in self.rule_spins:
                rules[key][tasks.RULE_PARAMETERS[key][0]] = self.rule_spins[key].value()
        return cadences, rules

    def accept(self) -> None:
        cadences, rules = self.values()
        try:
            tasks.set_cadences(self.context.db, cadences)
            tasks.set_rules(self.context.db, rules)
        except ValidationError as error:
            self.errors.setText(str(error))
            self.errors.show()
            return
        super().accept()
