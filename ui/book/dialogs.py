"""Account and contact forms. Errors are explained beside the field that has them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction, QIntValidator
from PySide6.QtWidgets import (
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from csdesk import accounts, clock, vocab
from csdesk.accounts import AccountData, ContactData, FieldError
from csdesk.currency import recognise as recognise_currency
from csdesk.forms import InputError, format_day_input, format_money_input, parse_day, parse_money
from csdesk.i18n import label, tr
from csdesk.rules.cnpj import format_cnpj
from ui.book.icons import icon


class FieldBox(QWidget):
    """An input with its error message underneath (hidden while all is well)."""

    def __init__(self, editor: QWidget, hint: str = ""):
        super().__init__()
        self.editor = editor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        if hint:
            editor.setToolTip(hint)

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.editor.setProperty("invalid", bool(message))
        self.editor.style().unpolish(self.editor)
        self.editor.style().polish(self.editor)


class DateEdit(QLineEdit):
    """A dd/mm/yyyy field that may stay empty, with a calendar to pick from."""

    def __init__(self, value: date | None = None):
        super().__init__(format_day_input(value))
        self.setPlaceholderText(tr("dd/mm/yyyy"))
        action = QAction(icon("calendar"), tr("Pick a date"), self)
        action.triggered.connect(self._pick)
        self.addAction(action, QLineEdit.ActionPosition.TrailingPosition)

    def value(self) -> date | None:
        return parse_day(self.text())

    def _pick(self) -> None:
        menu = QMenu(self)
        calendar = QCalendarWidget()
        try:
            current = self.value()
        except InputError:
            current = None
        if current:
            calendar.setSelectedDate(QDate(current.year, current.month, current.day))
        holder = QWidgetAction(menu)
        holder.setDefaultWidget(calendar)
        menu.addAction(holder)

        def chosen(day: QDate) -> None:
            self.setText(format_day_input(date(day.year(), day.month(), day.day())))
            menu.close()

        calendar.clicked.connect(chosen)
        menu.popup(self.mapToGlobal(self.rect().bottomLeft()))


def _combo(
    keys: tuple[str, ...], labels: dict[str, str], current: str | None, empty: str | None = None
) -> QComboBox:
    combo = QComboBox()
    if empty is not None:
        combo.addItem(empty, None)
    for key in keys:
        combo.addItem(label(labels, key), key)
    index = combo.findData(current)
    combo.setCurrentIndex(max(index, 0))
    return combo


class ContactDialog(QDialog):
    def __init__(self, contact: ContactData, parent: QWidget | None = None):
        super().__init__(parent)
        self.contact = contact
        self.setWindowTitle(tr("New contact") if contact.id is None and not contact.name else tr("Contact"))
        self.setMinimumWidth(420)
        self.name = QLineEdit(contact.name)
        self.role = _combo(vocab.CONTACT_ROLES, vocab.CONTACT_ROLE_LABELS, contact.role, tr("(no role)"))
        self.job_title = QLineEdit(contact.job_title or "")
        self.email = QLineEdit(contact.email or "")
        self.email.setPlaceholderText("nome@empresa.com.br")
        self.phone = QLineEdit(contact.phone or "")
        self.phone.setPlaceholderText("(11) 98765-4321")
        self.primary = QCheckBox(tr("Primary contact of the account"))
        self.primary.setChecked(contact.is_primary)
        self.boxes = {
            "name": FieldBox(self.name),
            "role": FieldBox(self.role),
            "job_title": FieldBox(self.job_title),
            "email": FieldBox(self.email),
            "phone": FieldBox(self.phone),
        }
        form = QFormLayout()
        form.addRow(tr("Name *"), self.boxes["name"])
        form.addRow(tr("Role"), self.boxes["role"])
        form.addRow(tr("Job title"), self.boxes["job_title"])
        form.addRow(tr("E-mail"), self.boxes["email"])
        form.addRow(tr("Phone"), self.boxes["phone"])
        form.addRow("", self.primary)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def data(self) -> ContactData:
        return replace(
            self.contact,
            name=self.name.text().strip(),
            role=self.role.currentData(),
            job_title=self.job_title.text().strip() or None,
            email=self.email.text().strip() or None,
            phone=self.phone.text().strip() or None,
            is_primary=self.primary.isChecked(),
        )

    def accept(self) -> None:
        errors = accounts.validate_contact(self.data())
        for key, box in self.boxes.items():
            box.set_error(next((e.message for e in errors if e.field == key), None))
        if errors:
            self.boxes[errors[0].field].editor.setFocus()
            return
        super().accept()


class ContactsModel(QAbstractTableModel):
    """The contacts being edited in the account dialog (not yet saved)."""

    HEADERS = ("Name", "Role", "E-mail", "Phone", "Primary")

    def __init__(self, contacts: list[ContactData]):
        super().__init__()
        self.contacts = list(contacts)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.contacts)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self.HEADERS):
                return tr(self.HEADERS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        c = self.contacts[index.row()]
        values = (
            c.name,
            label(vocab.CONTACT_ROLE_LABELS, c.role),
            c.email or "",
            c.phone or "",
            "★" if c.is_primary else "",
        )
        return values[index.column()]

    def set_contacts(self, contacts: list[ContactData]) -> None:
        self.beginResetModel()
        self.contacts = list(contacts)
        self.endResetModel()


@dataclass
class AccountEdit:
    """What the account dialog asks to save: the account and its contact changes."""

    data: AccountData
    contacts: list[ContactData] = field(default_factory=list)  # new (id None) or changed
    removed: list[int] = field(default_factory=list)  # contact ids
    effective: date | None = None  # when a change of MRR or status takes effect


class AccountDialog(QDialog):
    """Create or edit an account and its contacts; nothing is written until OK."""

    def __init__(
        self,
        data: AccountData | None = None,
        contacts: list[ContactData] | None = None,
        owners: list[str] | None = None,
        parent: QWidget | None = None,
        today: date | None = None,
    ):
        super().__init__(parent)
        self.original = data or AccountData(name="", currency="BRL")
        self.original_contacts = list(contacts or [])
        self.is_new = self.original.id is None
        self.setWindowTitle(tr("New account") if self.is_new else tr("Edit account"))
        self.setObjectName("accountDialog")
        self.setMinimumWidth(880)
        d = self.original

        self.name = QLineEdit(d.name)
        self.name.setPlaceholderText(tr("Company name"))
        self.cnpj = QLineEdit(format_cnpj(d.cnpj) if d.cnpj else "")
        self.cnpj.setPlaceholderText("00.000.000/0000-00")
        self.domain = QLineEdit(d.domain or "")
        self.domain.setPlaceholderText("empresa.com.br")
        self.segment = _combo(vocab.SEGMENTS, vocab.SEGMENT_LABELS, d.segment, tr("(not set)"))
        self.stage = _combo(vocab.STAGES, vocab.STAGE_LABELS, d.stage)
        self.status = _combo(vocab.STATUSES, {"active": "Active", "churned": "Churned"}, d.status)
        self.churn_date = DateEdit(d.churn_date)
        self.churn_reason = _combo(
            vocab.CHURN_REASONS, vocab.CHURN_REASON_LABELS, d.churn_reason, tr("(not set)")
        )
        self.owner = QLineEdit(d.owner or "")
        if owners:
            completer = QCompleter(sorted(set(owners)), self.owner)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self.owner.setCompleter(completer)
        self.mrr = QLineEdit(format_money_input(d.mrr_cents) if d.mrr_cents else "")
        self.mrr.setPlaceholderText(format_money_input(123456))
        self.mrr.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.currency = QLineEdit(d.currency or "BRL")
        self.currency.setMaxLength(3)
        self.currency.setFixedWidth(70)
        self.contract_start = DateEdit(d.contract_start)
        self.renewal_date = DateEdit(d.renewal_date)
        # A change of MRR or status is a dated revenue movement: when does it take effect?
        self.effective_date = DateEdit(today or clock.today())
        self.effective_date.setObjectName("effectiveDate")
        self.tier = QLineEdit(d.tier or "")
        self.industry = QLineEdit(d.industry or "")
        self.plan = QLineEdit(d.plan or "")
        self.licensed_users = QLineEdit("" if d.licensed_users is None else str(d.licensed_users))
        self.active_users = QLineEdit("" if d.active_users is None else str(d.active_users))
        for edit in (self.licensed_users, self.active_users):
            edit.setValidator(QIntValidator(0, 10_000_000, edit))

        money_row = QWidget()
        money_layout = QHBoxLayout(money_row)
        money_layout.setContentsMargins(0, 0, 0, 0)
        money_layout.addWidget(self.mrr, 1)
        money_layout.addWidget(self.currency)

        self.boxes: dict[str, FieldBox] = {
            "name": FieldBox(self.name),
            "cnpj": FieldBox(self.cnpj),
            "domain": FieldBox(self.domain),
            "segment": FieldBox(self.segment),
            "stage": FieldBox(self.stage),
            "status": FieldBox(self.status),
            "churn_date": FieldBox(self.churn_date),
            "churn_reason": FieldBox(self.churn_reason),
            "owner": FieldBox(self.owner),
            "mrr_cents": FieldBox(money_row),
            "contract_start": FieldBox(self.contract_start),
            "effective_date": FieldBox(self.effective_date),
            "renewal_date": FieldBox(self.renewal_date),
            "tier": FieldBox(self.tier),
            "industry": FieldBox(self.industry),
            "plan": FieldBox(self.plan),
            "licensed_users": FieldBox(self.licensed_users),
            "active_users": FieldBox(self.active_users),
        }
        self.boxes["currency"] = self.boxes["mrr_cents"]

        left = QFormLayout()
        left.addRow(tr("Name *"), self.boxes["name"])
        left.addRow(tr("CNPJ"), self.boxes["cnpj"])
        left.addRow(tr("Domain"), self.boxes["domain"])
        left.addRow(tr("Owner"), self.boxes["owner"])
        left.addRow(tr("Segment"), self.boxes["segment"])
        left.addRow(tr("Stage"), self.boxes["stage"])
        left.addRow(tr("Status"), self.boxes["status"])
        self.churn_date_label = QLabel(tr("Churn date"))
        self.churn_reason_label = QLabel(tr("Churn reason"))
        left.addRow(self.churn_date_label, self.boxes["churn_date"])
        left.addRow(self.churn_reason_label, self.boxes["churn_reason"])
        right = QFormLayout()
        right.addRow(tr("MRR"), self.boxes["mrr_cents"])
        self.effective_label = QLabel(tr("Effective date"))
        self.effective_label.setToolTip(tr("When the change of MRR or status takes effect."))
        right.addRow(self.effective_label, self.boxes["effective_date"])
        right.addRow(tr("Contract start"), self.boxes["contract_start"])
        right.addRow(tr("Renewal date"), self.boxes["renewal_date"])
        right.addRow(tr("Tier"), self.boxes["tier"])
        right.addRow(tr("Industry"), self.boxes["industry"])
        right.addRow(tr("Plan"), self.boxes["plan"])
        right.addRow(tr("Licensed users"), self.boxes["licensed_users"])
        right.addRow(tr("Active users"), self.boxes["active_users"])
        for form in (left, right):
            form.setVerticalSpacing(8)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        account_tab = QWidget()
        columns = QHBoxLayout(account_tab)
        columns.setContentsMargins(12, 12, 12, 12)
        columns.setSpacing(24)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        self.contacts_model = ContactsModel(self.original_contacts)
        self.removed_contacts: list[int] = []
        self.contacts_view = QTableView()
        self.contacts_view.setModel(self.contacts_model)
        self.contacts_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.contacts_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.contacts_view.verticalHeader().hide()
        self.contacts_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.contacts_view.doubleClicked.connect(lambda _index: self._edit_contact())
        add_contact = QPushButton(icon("contact_add"), tr("Add contact…"))
        add_contact.clicked.connect(self._add_contact)
        edit_contact = QPushButton(icon("edit"), tr("Edit…"))
        edit_contact.clicked.connect(self._edit_contact)
        remove_contact = QPushButton(icon("delete"), tr("Remove"))
        remove_contact.clicked.connect(self._remove_contact)
        contact_buttons = QHBoxLayout()
        for button in (add_contact, edit_contact, remove_contact):
            contact_buttons.addWidget(button)
        contact_buttons.addStretch(1)
        contacts_tab = QWidget()
        contacts_layout = QVBoxLayout(contacts_tab)
        contacts_layout.addLayout(contact_buttons)
        contacts_layout.addWidget(self.contacts_view)

        self.tabs = QTabWidget()
        self.tabs.addTab(account_tab, tr("Account"))
        self.tabs.addTab(contacts_tab, "")
        self._update_contacts_tab()

        self.summary = QLabel()
        self.summary.setObjectName("formSummary")
        self.summary.setWordWrap(True)
        self.summary.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Save"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.status.currentIndexChanged.connect(self._update_churn_fields)
        self.status.currentIndexChanged.connect(self._update_effective_field)
        self.mrr.textChanged.connect(self._update_effective_field)
        self._update_churn_fields()
        self._update_effective_field()
        self.name.setFocus()

    # Contacts ---------------------------------------------------------------------

    def _update_contacts_tab(self) -> None:
        self.tabs.setTabText(1, tr("Contacts ({n})", n=len(self.contacts_model.contacts)))

    def _selected_contact(self) -> int | None:
        rows = self.contacts_view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _apply_primary(self, contacts: list[ContactData], chosen: int) -> list[ContactData]:
        if not contacts[chosen].is_primary:
            return contacts
        return [c if i == chosen else replace(c, is_primary=False) for i, c in enumerate(contacts)]

    def _add_contact(self) -> None:
        contacts = self.contacts_model.contacts
        draft = ContactData(account_id=self.original.id or 0, name="", is_primary=not contacts)
        dialog = ContactDialog(draft, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            contacts = [*contacts, dialog.data()]
            self.contacts_model.set_contacts(self._apply_primary(contacts, len(contacts) - 1))
            self._update_contacts_tab()

    def _edit_contact(self) -> None:
        row = self._selected_contact()
        if row is None:
            return
        contacts = list(self.contacts_model.contacts)
        dialog = ContactDialog(contacts[row], self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            contacts[row] = dialog.data()
            self.contacts_model.set_contacts(self._apply_primary(contacts, row))

    def _remove_contact(self) -> None:
        row = self._selected_contact()
        if row is None:
            return
        contacts = list(self.contacts_model.contacts)
        removed = contacts.pop(row)
        if removed.id is not None:
            self.removed_contacts.append(removed.id)
        self.contacts_model.set_contacts(contacts)
        self._update_contacts_tab()

    # Account ------------------------------------------------------------------------

    def _update_churn_fields(self) -> None:
        churned = self.status.currentData() == "churned"
        for widget in (
            self.churn_date_label,
            self.boxes["churn_date"],
            self.churn_reason_label,
            self.boxes["churn_reason"],
        ):
            widget.setVisible(churned)

    def _revenue_changed(self) -> bool:
        """Whether the form changes the account's MRR or status (a movement of the revenue ledger)."""
        if self.is_new:
            return False
        if self.status.currentData() != self.original.status:
            return True
        try:
            return parse_money(self.mrr.text()) != self.original.mrr_cents
        except InputError:
            return False

    def _churning(self) -> bool:
        return (
            not self.is_new and self.original.status != "churned" and self.status.currentData() == "churned"
        )

    def _update_effective_field(self) -> None:
        # A churn takes effect on its churn date (offered as the effective date): one date, not two.
        churning = self._churning()
        if churning and not self.churn_date.text().strip():
            self.churn_date.setText(self.effective_date.text())
        changed = self._revenue_changed() and not churning
        self.effective_label.setVisible(changed)
        self.boxes["effective_date"].setVisible(changed)

    def _read(self) -> tuple[AccountData | None, list[FieldError]]:
        """The form's account, and the errors of fields that could not even be read."""
        errors: list[FieldError] = []

        def read(key: str, fn, default=None):
            try:
                return fn()
            except InputError as exc:
                errors.append(FieldError(key, str(exc)))
                return default

        def users(edit: QLineEdit) -> int | None:
            return int(edit.text()) if edit.text().strip() else None

        churned = self.status.currentData() == "churned"
        data = replace(
            self.original,
            name=self.name.text().strip(),
            cnpj=self.cnpj.text().strip() or None,
            domain=self.domain.text().strip() or None,
            segment=self.segment.currentData(),
            stage=self.stage.currentData(),
            status=self.status.currentData(),
            churn_date=read("churn_date", self.churn_date.value) if churned else None,
            churn_reason=self.churn_reason.currentData() if churned else None,
            owner=self.owner.text().strip() or None,
            mrr_cents=read("mrr_cents", lambda: parse_money(self.mrr.text()), 0),
            currency=recognise_currency(self.currency.text())
            or self.currency.text().strip().upper(),  # U$ -> USD
            contract_start=read("contract_start", self.contract_start.value),
            renewal_date=read("renewal_date", self.renewal_date.value),
            tier=self.tier.text().strip() or None,
            industry=self.industry.text().strip() or None,
            plan=self.plan.text().strip() or None,
            licensed_users=users(self.licensed_users),
            active_users=users(self.active_users),
        )
        return data, errors

    def show_errors(self, errors: list[FieldError]) -> None:
        for box in self.boxes.values():
            box.set_error(None)
        seen: set[int] = set()
        for error in errors:
            box = self.boxes.get(error.field)
            if box is None or id(box) in seen:
                continue
            seen.add(id(box))
            box.set_error(error.message)
        if errors:
            self.tabs.setCurrentIndex(0)
            first = self.boxes.get(errors[0].field)
            if first is not None:
                first.editor.setFocus()
            self.summary.setText(
                tr("Please fix the highlighted field.")
                if len(errors) == 1
                else tr("Please fix the {n} highlighted fields.", n=len(errors))
            )
        self.summary.setVisible(bool(errors))

    def accept(self) -> None:
        data, errors = self._read()
        read_fields = {e.field for e in errors}
        errors += [e for e in accounts.validate_account(data) if e.field not in read_fields]
        self.show_errors(errors)
        if errors:
            return
        effective = None
        if self._revenue_changed() and not self._churning():
            try:
                effective = self.effective_date.value()
            except InputError as exc:
                self.show_errors([FieldError("effective_date", str(exc))])
                return
        self._result = data
        self._effective = effective
        super().accept()

    def result_edit(self) -> AccountEdit:
        """The account as typed, its new and changed contacts, and those removed."""
        originals = {c.id: c for c in self.original_contacts}
        changed = [c for c in self.contacts_model.contacts if c.id is None or originals.get(c.id) != c]
        return AccountEdit(
            data=self._result,
            contacts=changed,
            removed=list(self.removed_contacts),
            effective=getattr(self, "_effective", None),
        )
