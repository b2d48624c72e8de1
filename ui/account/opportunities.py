"""The account page's Expansion tab: opportunities, won or lost, handed to the account executive."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csdesk import expansion, formatting
from csdesk.expansion import OpportunityData
from csdesk.forms import InputError, format_money_input, parse_money
from csdesk.i18n import tr
from ui.context import AppContext
from ui.errors import show_error
from ui.workers import run_in_background

_INDEX = QModelIndex()


class OpportunitiesModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[OpportunityData] = []
        self.headers = [
            tr("Opportunity"),
            tr("Kind"),
            tr("Value"),
            tr("Status"),
            tr("Executive"),
            tr("Handed off"),
        ]

    def set_items(self, items: list[OpportunityData]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _INDEX) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _INDEX) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            status = tr(expansion.STATUS_LABELS[item.status])
            if item.closed_on:
                status = f"{status} ({formatting.day(item.closed_on)})"
            return [
                item.title,
                tr(expansion.KIND_LABELS[item.kind]),
                formatting.money(item.value_cents),
                status,
                item.executive,
                formatting.day(item.handed_off_on) if item.handed_off_on else "",
            ][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class OpportunitiesTab(QWidget):
    loaded = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.account_id: int | None = None
        self._generation = 0
        self.model = OpportunitiesModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            self.view.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())

        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(tr("e.g. 20 more seats, BI module, Pro plan"))
        self.kind_combo = QComboBox()
        for key in expansion.KINDS:
            self.kind_combo.addItem(tr(expansion.KIND_LABELS[key]), key)
        self.value_edit = QLineEdit()
        self.value_edit.setPlaceholderText(tr("Added MRR, e.g. 1.500,00"))
        self.executive_edit = QLineEdit()
        self.executive_email_edit = QLineEdit()
        self.notes_edit = QLineEdit()
        form = QFormLayout()
        form.addRow(tr("Opportunity"), self.title_edit)
        row = QHBoxLayout()
        row.addWidget(self.kind_combo)
        row.addWidget(QLabel(tr("Value (MRR)")))
        row.addWidget(self.value_edit, 1)
        form.addRow(tr("Kind"), row)
        people = QHBoxLayout()
        people.addWidget(self.executive_edit, 1)
        people.addWidget(QLabel(tr("E-mail")))
        people.addWidget(self.executive_email_edit, 1)
        form.addRow(tr("Account executive"), people)
        form.addRow(tr("Notes"), self.notes_edit)

        self.new_button = QPushButton(tr("New"))
        self.save_button = QPushButton(tr("Save opportunity"))
        self.won_button = QPushButton(tr("Won"))
        self.won_button.setToolTip(tr("Adds its value to the MRR as an expansion, dated today"))
        self.lost_button = QPushButton(tr("Lost"))
        self.handoff_button = QPushButton(tr("Hand-off e-mail…"))
        self.new_button.clicked.connect(self.new)
        self.save_button.clicked.connect(self.save)
        self.won_button.clicked.connect(lambda: self.close_selected("won"))
        self.lost_button.clicked.connect(lambda: self.close_selected("lost"))
        self.handoff_button.clicked.connect(self.open_handoff)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b3261e")
        buttons = QHBoxLayout()
        for button in (
            self.new_button,
            self.save_button,
            self.won_button,
            self.lost_button,
            self.handoff_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self.setEnabled(False)
        self._update_buttons()

    # Loading ------------------------------------------------------------------------

    def set_account(self, account_id: int | None, select_id: int | None = None) -> None:
        self.account_id = account_id
        self._generation += 1
        if account_id is None:
            self.model.set_items([])
            self.setEnabled(False)
            return
        generation, db = self._generation, self.context.db
        run_in_background(
            lambda _p: expansion.list_opportunities(db, account_id),
            lambda items: self._on_loaded(generation, items, select_id),
            lambda error: show_error(self, error),
            parent=self,
        )

    def _on_loaded(self, generation: int, items: list[OpportunityData], select_id: int | None) -> None:
        if generation != self._generation:
            return
        self.model.set_items(items)
        self.setEnabled(True)
        row = next((i for i, o in enumerate(items) if o.id == select_id), -1)
        if row >= 0:
            self.view.selectRow(row)
        else:
            self.new()
        self._update_buttons()
        self.loaded.emit()

    def selected(self) -> OpportunityData | None:
        row = self.view.currentIndex().row()
        return self.model.items[row] if 0 <= row < len(self.model.items) else None

    def _show_selected(self) -> None:
        item = self.selected()
        if item is not None:
            self.title_edit.setText(item.title)
            self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(item.kind)))
            self.value_edit.setText(format_money_input(item.value_cents))
            self.executive_edit.setText(item.executive)
            self.executive_email_edit.setText(item.executive_email)
            self.notes_edit.setText(item.notes)
        self.error_label.clear()
        self._update_buttons()

    def _update_buttons(self) -> None:
        item = self.selected()
        is_open = item is not None and item.status == "open"
        self.won_button.setEnabled(is_open)
        self.lost_button.setEnabled(is_open)
        self.handoff_button.setEnabled(item is not None)

    # Actions ------------------------------------------------------------------------

    def new(self) -> None:
        self.view.clearSelection()
        self.view.setCurrentIndex(QModelIndex())
        for edit in (
            self.title_edit,
            self.value_edit,
            self.executive_edit,
            self.executive_email_edit,
            self.notes_edit,
        ):
            edit.clear()
        self.kind_combo.setCurrentIndex(0)
        self.error_label.clear()
        self._update_buttons()

    def form_data(self) -> OpportunityData:
        text = self.value_edit.text().strip()
        value = parse_money(text) if text else 0
        current = self.selected()
        return OpportunityData(
            account_id=self.account_id or 0,
            title=self.title_edit.text(),
            kind=self.kind_combo.currentData(),
            value_cents=value,
            executive=self.executive_edit.text(),
            executive_email=self.executive_email_edit.text(),
            notes=self.notes_edit.text(),
            id=current.id if current else None,
        )

    def save(self) -> None:
        from csdesk.accounts import ValidationError

        if self.account_id is None:
            return
        try:
            saved = expansion.save_opportunity(self.context.db, self.form_data())
        except InputError as exc:
            self.error_label.setText(tr("Value: {error}", error=exc))
            return
        except ValidationError as exc:
            self.error_label.setText("\n".join(e.message for e in exc.errors))
            return
        except Exception as exc:  # noqa: BLE001 (shown, and logged when a bug)
            show_error(self, exc)
            return
        self.set_account(self.account_id, saved.id)

    def close_selected(self, status: str) -> None:
        item = self.selected()
        if item is None:
            return
        try:
            expansion.close(self.context.db, item.id, status)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return
        if status == "won":
            # The MRR changed through the ledger: the header, the book and the timeline follow.
            self.context.hub.accountsChanged.emit([item.account_id])
            self.context.hub.timelineChanged.emit(item.account_id)
        self.set_account(self.account_id, item.id)

    def handoff_dialog(self):
        from csdesk import i18n
        from ui.account.handoff import EmailDialog

        item = self.selected()
        db, opportunity_id, language = self.context.db, item.id, i18n.current_language()
        return EmailDialog(
            tr("Hand-off to the account executive"),
            lambda: expansion.handoff_email(db, opportunity_id, language),
            "handoff.eml",
            self,
        )

    def open_handoff(self) -> None:
        if self.selected() is None:
            return
        dialog = self.handoff_dialog()
        dialog.finished.connect(
            lambda _r: self.set_account(self.account_id, self.selected().id if self.selected() else None)
        )
        dialog.exec()
