"""Edit → Exchange rates…: the base currency and the dated rates into it (csdesk.currency)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
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

from csdesk import clock, currency, formatting
from csdesk.currency import Rate, Rates
from csdesk.errors import UserError
from csdesk.i18n import tr
from ui.context import AppContext
from ui.timeline.dialogs import date_format

# Offered in the lists besides the accounts' own currencies.
COMMON = ("BRL", "USD", "EUR", "GBP", "ARS", "CLP", "MXN", "COP", "CAD")


def rate_text(rate) -> str:
    """A rate in the UI language: ``5,4321`` (pt-BR) / ``5.4321`` (en), its own decimals kept."""
    digits = max(0, -rate.as_tuple().exponent)
    return formatting.number(rate, digits)


class RatesModel(QAbstractTableModel):
    """The rates being edited: currency, date, rate into the base; sorted by currency then date."""

    def __init__(self, rates: Rates, parent=None):
        super().__init__(parent)
        self.rates = rates

    def set_rates(self, rates: Rates) -> None:
        self.beginResetModel()
        self.rates = rates
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 2, 2)  # names the base

    @property
    def rates(self) -> Rates:
        return self._rates

    @rates.setter
    def rates(self, value: Rates) -> None:
        self._rates = value
        self._entries = value.entries()

    def entry(self, row: int) -> Rate:
        return self._entries[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if section == 0:
                return tr("Currency")
            if section == 1:
                return tr("Valid from")
            return tr("1 unit = … {base}", base=self._rates.base)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return entry.currency
            if column == 1:
                return formatting.day(entry.day)
            return rate_text(entry.rate)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RatesDialog(QDialog):
    """The base currency, the rates into it (add / remove), saved together."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.context = context
        self.today = today or clock.today()
        self.setWindowTitle(tr("Exchange rates"))
        self.setMinimumWidth(560)
        rates = currency.load_rates(context.db)
        self.counts = currency.account_currencies(context.db)
        # Rates typed for a base the user switched away from in this dialog, kept until Save.
        self._by_base: dict[str, Rates] = {rates.base: rates}

        self.base = QComboBox()
        self.base.setEditable(True)
        self.base.addItems(self._offered(rates.base))
        self.base.setCurrentText(rates.base)
        self.base.setToolTip(tr("Totals of the book and the metrics are in this currency."))
        self.base.currentTextChanged.connect(self._on_base)
        form = QFormLayout()
        form.addRow(tr("Base currency"), self.base)

        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.model = RatesModel(rates, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(180)

        self.new_currency = QComboBox()
        self.new_currency.setEditable(True)
        self.new_currency.setMinimumContentsLength(5)
        self.new_day = QDateEdit(QDate(self.today.year, self.today.month, self.today.day))
        self.new_day.setCalendarPopup(True)
        self.new_day.setDisplayFormat(date_format())
        self.new_rate = QLineEdit()
        self.new_rate.setPlaceholderText(rate_text(currency.parse_rate("5.43")))
        self.add_button = QPushButton(tr("Add"))
        self.add_button.clicked.connect(self.add_rate)
        self.remove_button = QPushButton(tr("Remove"))
        self.remove_button.clicked.connect(self.remove_rate)
        adder = QHBoxLayout()
        adder.addWidget(self.new_currency)
        adder.addWidget(self.new_day)
        adder.addWidget(self.new_rate, 1)
        adder.addWidget(self.add_button)
        adder.addWidget(self.remove_button)

        self.missing = QLabel()
        self.missing.setWordWrap(True)
        self.missing.setStyleSheet("color: #8a5a00;")
        self.errors = QLabel()
        self.errors.setStyleSheet("color: #b91c1c;")
        self.errors.setWordWrap(True)
        self.errors.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        # Enter adds the typed rate; saving is a click (or Alt+S), never a side effect of Enter.
        for button in buttons.buttons():
            button.setAutoDefault(False)
        self.add_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.explain)
        layout.addWidget(self.table)
        layout.addLayout(adder)
        layout.addWidget(self.missing)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self._refresh()
        self.new_rate.setFocus()

    # What is shown --------------------------------------------------------------

    def _offered(self, base: str) -> list[str]:
        return list(dict.fromkeys([base, *sorted(self.counts), *COMMON]))

    def _refresh(self) -> None:
        base = self.model.rates.base
        self.explain.setText(
            tr(
                "How many {base} one unit of each currency is worth, from its date on. Each amount is "
                "converted with the latest rate on or before its day.",
                base=base,
            )
        )
        missing = self.model.rates.missing(self.counts, self.today)
        # The currencies still without a rate come first: they are what the user is here for.
        others = [c for c in dict.fromkeys([*missing, *self._offered(base)]) if c != base]
        self.new_currency.clear()
        self.new_currency.addItems(others)
        if missing:
            self.missing.setText(
                "⚠ "
                + tr(
                    "No rate today for: {list}. Their accounts stay out of the totals.",
                    list=", ".join(f"{c} ({formatting.number(self.counts[c])})" for c in missing),
                )
            )
            self.missing.show()
        else:
            self.missing.hide()
        self.remove_button.setEnabled(self.model.rowCount() > 0)

    def _show_error(self, message: str) -> None:
        self.errors.setText(message)
        self.errors.show()

    # Edits ------------------------------------------------------------------------

    def _on_base(self, text: str) -> None:
        found = currency.recognise(text)
        if found is None or found == self.model.rates.base:
            return
        self._by_base[self.model.rates.base] = self.model.rates
        if found not in self._by_base:
            self._by_base[found] = currency.load_rates(self.context.db, found)
        self.model.set_rates(self._by_base[found])
        self.errors.hide()
        self._refresh()

    def add_rate(self) -> bool:
        """Add the typed rate (or replace the one of the same currency and date); False if refused."""
        try:
            code = currency.code(self.new_currency.currentText())
            if code == self.model.rates.base:
                raise UserError(tr("{code} is the base currency: its rate is always 1.", code=code))
            value = currency.parse_rate(self.new_rate.text())
        except UserError as error:
            self._show_error(str(error))
            return False
        day = self.new_day.date().toPython()
        self.model.set_rates(self.model.rates.with_rate(code, day, value))
        self.new_rate.clear()
        self.errors.hide()
        self._refresh()
        return True

    def remove_rate(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self._show_error(tr("Select the rate to remove."))
            return
        entry = self.model.entry(rows[0].row())
        self.model.set_rates(self.model.rates.without_rate(entry.currency, entry.day))
        self.errors.hide()
        self._refresh()

    def accept(self) -> None:
        if self.new_rate.text().strip() and not self.add_rate():  # typed, not added: add it, not lose it
            return
        rates = self.model.rates
        try:
            currency.save_rates(self.context.db, rates.base, rates.entries())
        except UserError as error:
            self._show_error(str(error))
            return
        self.context.hub.accountsChanged.emit([])  # totals and metrics follow the new rates
        super().accept()
