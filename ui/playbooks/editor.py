"""The playbook editor: name, trigger with its parameters, and the tasks it creates.

The tasks are a list (title, when, owner, priority) with one task's details
below it, e-mail template included; the e-mail is checked in the documents'
sandbox against a made-up account when the playbook is saved.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csdesk import i18n, playbooks, vocab
from csdesk.accounts import ValidationError
from csdesk.i18n import tr
from csdesk.playbooks import PlaybookData, Step
from ui.context import AppContext
from ui.errors import show_error

_INDEX = QModelIndex()
OWNER_LABELS = {"ours": "Our side", "customer": "Customer side"}
PARAM_LABELS = {
    "points": "Points",
    "days": "Days",
    "percent": "Percent of licensed users",
    "lookback_days": "Look back (days)",
    "band": "Band",
    "stage": "Stage",
}


def when_text(step: Step) -> str:
    if step.offset == 0:
        return tr("The same day")
    if step.working_days:
        return i18n.plural(step.offset, "{n} working day later", "{n} working days later", n=step.offset)
    return i18n.plural(step.offset, "{n} day later", "{n} days later", n=step.offset)


class StepsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.steps: list[Step] = []
        self.headers = [tr("Task"), tr("When"), tr("Owner"), tr("Priority"), tr("E-mail")]

    def set_steps(self, steps: list[Step]) -> None:
        self.beginResetModel()
        self.steps = list(steps)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _INDEX) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.steps)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _INDEX) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.steps):
            return None
        step = self.steps[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                step.title,
                when_text(step),
                tr(OWNER_LABELS.get(step.owner_side, step.owner_side)),
                i18n.label(vocab.TASK_PRIORITY_LABELS, step.priority),
                tr("yes") if step.email else "",
            ][index.column()]
        return None

    def replace_step(self, row: int, step: Step) -> None:
        self.steps[row] = step
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.headers) - 1))


class PlaybookEditor(QDialog):
    def __init__(self, context: AppContext, data: PlaybookData | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.original = data
        self.saved: PlaybookData | None = None
        self._loading = False
        self.setWindowTitle(tr("Edit playbook") if data else tr("New playbook"))
        self.resize(820, 640)

        self.name_edit = QLineEdit()
        self.enabled_check = QCheckBox(tr("On"))
        self.trigger_combo = QComboBox()
        for key in playbooks.TRIGGERS:
            self.trigger_combo.addItem(tr(playbooks.TRIGGER_NAMES[key]), key)
        self.trigger_combo.currentIndexChanged.connect(self._on_trigger_changed)
        self.trigger_text = QLabel()
        self.trigger_text.setStyleSheet("color: palette(mid)")
        self.params_box = QWidget()
        self.params_form = QFormLayout(self.params_box)
        self.params_form.setContentsMargins(0, 0, 0, 0)
        self.param_widgets: dict[str, QWidget] = {}

        head = QFormLayout()
        head.addRow(tr("Name"), self.name_edit)
        head.addRow("", self.enabled_check)
        trigger_box = QGroupBox(tr("Trigger"))
        trigger_layout = QFormLayout(trigger_box)
        trigger_layout.addRow(tr("When"), self.trigger_combo)
        trigger_layout.addRow("", self.params_box)
        trigger_layout.addRow("", self.trigger_text)

        self.steps_model = StepsModel(self)
        self.steps_view = QTableView()
        self.steps_view.setModel(self.steps_model)
        self.steps_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.steps_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.steps_view.verticalHeader().hide()
        self.steps_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.steps_view.selectionModel().currentRowChanged.connect(lambda *_: self._show_step())
        self.add_button = QPushButton(tr("Add task"))
        self.remove_button = QPushButton(tr("Remove task"))
        self.up_button = QPushButton(tr("Move up"))
        self.add_button.clicked.connect(self.add_step)
        self.remove_button.clicked.connect(self.remove_step)
        self.up_button.clicked.connect(self.move_up)

        self.title_edit = QLineEdit()
        self.offset_spin = QSpinBox()
        self.offset_spin.setRange(0, 3650)
        self.offset_spin.setSuffix(tr(" days"))
        self.working_check = QCheckBox(tr("Working days (Monday to Friday)"))
        self.owner_combo = QComboBox()
        for key in playbooks.OWNER_SIDES:
            self.owner_combo.addItem(tr(OWNER_LABELS[key]), key)
        self.priority_combo = QComboBox()
        for key in vocab.TASK_PRIORITIES:
            self.priority_combo.addItem(i18n.label(vocab.TASK_PRIORITY_LABELS, key), key)
        self.kind_combo = QComboBox()
        for key in vocab.TASK_KINDS:
            self.kind_combo.addItem(i18n.label(vocab.TASK_KIND_LABELS, key), key)
        self.email_edit = QPlainTextEdit()
        self.email_edit.setPlaceholderText(
            tr("Optional e-mail (Jinja): {{ account.name }}, {{ champion.name }}, {{ trigger.comment }}…")
        )
        self.email_edit.setMinimumHeight(110)
        for widget in (self.title_edit,):
            widget.textEdited.connect(self._step_edited)
        self.offset_spin.valueChanged.connect(self._step_edited)
        self.working_check.toggled.connect(self._step_edited)
        for combo in (self.owner_combo, self.priority_combo, self.kind_combo):
            combo.currentIndexChanged.connect(self._step_edited)
        self.email_edit.textChanged.connect(self._step_edited)

        step_box = QGroupBox(tr("Selected task"))
        step_form = QFormLayout(step_box)
        step_form.addRow(tr("Title"), self.title_edit)
        when = QHBoxLayout()
        when.addWidget(self.offset_spin)
        when.addWidget(self.working_check)
        when.addStretch(1)
        step_form.addRow(tr("Due after the trigger"), when)
        line = QHBoxLayout()
        line.addWidget(QLabel(tr("Owner")))
        line.addWidget(self.owner_combo)
        line.addWidget(QLabel(tr("Priority")))
        line.addWidget(self.priority_combo)
        line.addWidget(QLabel(tr("Kind")))
        line.addWidget(self.kind_combo)
        line.addStretch(1)
        step_form.addRow("", line)
        step_form.addRow(tr("E-mail template"), self.email_edit)
        self.step_box = step_box

        tasks_box = QGroupBox(tr("Tasks"))
        tasks_layout = QVBoxLayout(tasks_box)
        tasks_layout.addWidget(self.steps_view, 1)
        step_buttons = QHBoxLayout()
        step_buttons.addWidget(self.add_button)
        step_buttons.addWidget(self.remove_button)
        step_buttons.addWidget(self.up_button)
        step_buttons.addStretch(1)
        tasks_layout.addLayout(step_buttons)
        tasks_layout.addWidget(step_box)

        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b3261e")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(trigger_box)
        layout.addWidget(tasks_box, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.load(
            data
            or PlaybookData(
                name="",
                trigger="detractor",
                params=playbooks.default_params("detractor"),
                steps=(
                    Step(
                        title=tr("Call the customer back"),
                        offset=2,
                        working_days=True,
                        priority="high",
                        kind="risk",
                    ),
                ),
            )
        )

    # Loading ------------------------------------------------------------------------

    def load(self, data: PlaybookData) -> None:
        self._loading = True
        self.name_edit.setText(data.name)
        self.enabled_check.setChecked(data.enabled)
        self.trigger_combo.setCurrentIndex(self.trigger_combo.findData(data.trigger))
        self._build_params(data.trigger, data.params)
        self.steps_model.set_steps(list(data.steps))
        self._loading = False
        if data.steps:
            self.steps_view.selectRow(0)
        self._show_step()
        self._update_trigger_text()

    def _build_params(self, trigger: str, params: dict) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.param_widgets = {}
        values = {**playbooks.default_params(trigger), **params}
        for name, (_default, low, high) in playbooks.NUMBER_PARAMS.get(trigger, {}).items():
            spin = QSpinBox()
            spin.setRange(low, high)
            spin.setValue(int(values.get(name, _default)))
            spin.valueChanged.connect(self._update_trigger_text)
            self.params_form.addRow(tr(PARAM_LABELS[name]), spin)
            self.param_widgets[name] = spin
        for name, (_default, choices) in playbooks.CHOICE_PARAMS.get(trigger, {}).items():
            combo = QComboBox()
            labels = vocab.HEALTH_BAND_LABELS if name == "band" else vocab.STAGE_LABELS
            for key in choices:
                combo.addItem(i18n.label(labels, key), key)
            combo.setCurrentIndex(max(0, combo.findData(values.get(name, _default))))
            combo.currentIndexChanged.connect(self._update_trigger_text)
            self.params_form.addRow(tr(PARAM_LABELS[name]), combo)
            self.param_widgets[name] = combo
        if trigger == "event_kind":
            edit = QLineEdit(", ".join(values.get("kinds") or []))
            edit.setToolTip(", ".join(vocab.EVENT_KINDS))
            edit.textEdited.connect(self._update_trigger_text)
            self.params_form.addRow(tr("Event kinds (comma-separated)"), edit)
            self.param_widgets["kinds"] = edit
        self.params_box.setVisible(bool(self.param_widgets))

    def params(self) -> dict:
        result: dict = {}
        for name, widget in self.param_widgets.items():
            if isinstance(widget, QSpinBox):
                result[name] = widget.value()
            elif isinstance(widget, QComboBox):
                result[name] = widget.currentData()
            elif isinstance(widget, QLineEdit):
                result[name] = [k.strip() for k in widget.text().split(",") if k.strip()]
        return result

    def trigger(self) -> str:
        return self.trigger_combo.currentData()

    def _on_trigger_changed(self) -> None:
        if self._loading:
            return
        self._build_params(self.trigger(), {})
        self._update_trigger_text()

    def _update_trigger_text(self) -> None:
        self.trigger_text.setText(playbooks.trigger_label(self.trigger(), self.params()))

    # Steps ---------------------------------------------------------------------------

    def current_row(self) -> int:
        row = self.steps_view.currentIndex().row()
        return row if 0 <= row < len(self.steps_model.steps) else -1

    def _show_step(self) -> None:
        row = self.current_row()
        self.step_box.setEnabled(row >= 0)
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        step = self.steps_model.steps[row] if row >= 0 else Step(title="")
        self._loading = True
        self.title_edit.setText(step.title)
        self.offset_spin.setValue(step.offset)
        self.working_check.setChecked(step.working_days)
        self.owner_combo.setCurrentIndex(max(0, self.owner_combo.findData(step.owner_side)))
        self.priority_combo.setCurrentIndex(max(0, self.priority_combo.findData(step.priority)))
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(step.kind)))
        self.email_edit.setPlainText(step.email or "")
        self._loading = False

    def _step_edited(self, *_args) -> None:
        row = self.current_row()
        if self._loading or row < 0:
            return
        self.steps_model.replace_step(
            row,
            Step(
                title=self.title_edit.text(),
                offset=self.offset_spin.value(),
                working_days=self.working_check.isChecked(),
                owner_side=self.owner_combo.currentData(),
                priority=self.priority_combo.currentData(),
                kind=self.kind_combo.currentData(),
                email=self.email_edit.toPlainText() or None,
            ),
        )

    def add_step(self) -> None:
        steps = self.steps_model.steps + [Step(title=tr("New task"))]
        self.steps_model.set_steps(steps)
        self.steps_view.selectRow(len(steps) - 1)
        self._show_step()
        self.title_edit.setFocus()
        self.title_edit.selectAll()

    def remove_step(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        steps = list(self.steps_model.steps)
        del steps[row]
        self.steps_model.set_steps(steps)
        if steps:
            self.steps_view.selectRow(min(row, len(steps) - 1))
        self._show_step()

    def move_up(self) -> None:
        row = self.current_row()
        if row <= 0:
            return
        steps = list(self.steps_model.steps)
        steps[row - 1], steps[row] = steps[row], steps[row - 1]
        self.steps_model.set_steps(steps)
        self.steps_view.selectRow(row - 1)
        self._show_step()

    # Saving --------------------------------------------------------------------------

    def data(self) -> PlaybookData:
        base = self.original or PlaybookData(name="", trigger=self.trigger())
        return replace(
            base,
            name=self.name_edit.text(),
            trigger=self.trigger(),
            params=self.params(),
            steps=tuple(self.steps_model.steps),
            enabled=self.enabled_check.isChecked(),
        )

    def save(self) -> None:
        try:
            self.saved = playbooks.save_playbook(self.context.db, self.data())
        except ValidationError as exc:
            self.error_label.setText("\n".join(e.message for e in exc.errors))
            return
        except Exception as exc:  # noqa: BLE001 (shown, and logged when a bug)
            show_error(self, exc)
            return
        self.context.hub.tasksChanged.emit(0)
        self.accept()
