"""The account page's Contacts tab: the people at the customer, added, edited and deleted in place.

Each change is one step on the app's undo stack; the steps call the
``csdesk.accounts`` contact services and announce the account as changed, so
the header (champion, decision maker) and this tab reload from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from csdesk import accounts, vocab
from csdesk.accounts import ContactData, ContactSnapshot
from csdesk.i18n import label, tr
from ui.context import AppContext
from ui.errors import show_error

Reporter = Callable[[BaseException], None]


# Undo steps -------------------------------------------------------------------


class _ContactCommand(QUndoCommand):
    """A contact change made through the services; a failure is reported, never swallowed.

    QUndoStack cannot carry an exception out of redo()/undo(): a failed first
    redo marks the step obsolete (so it leaves the stack), later failures are
    handed to ``report``.
    """

    def __init__(self, context: AppContext, account_id: int, text: str, report: Reporter):
        super().__init__(text)
        self.context = context
        self.account_id = account_id
        self.report = report
        self.done_once = False
        self.error: BaseException | None = None

    def redo(self) -> None:
        try:
            self.do()
        except Exception as exc:  # noqa: BLE001 - reported below
            self.error = exc
            if not self.done_once:
                self.setObsolete(True)
            self.report(exc)
            return
        self.done_once = True
        self.context.hub.accountsChanged.emit([self.account_id])

    def undo(self) -> None:
        try:
            self.revert()
        except Exception as exc:  # noqa: BLE001
            self.report(exc)
            return
        self.context.hub.accountsChanged.emit([self.account_id])

    def do(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError


def _put_back(context: AppContext, contacts: list[ContactData]) -> None:
    # The primary one last: saving a primary contact clears the flag on the others.
    for contact in sorted(contacts, key=lambda c: c.is_primary):
        accounts.save_contact(context.db, contact)


class AddContactCommand(_ContactCommand):
    def __init__(self, context: AppContext, data: ContactData, report: Reporter):
        super().__init__(context, data.account_id, tr("Add contact “{name}”", name=data.name), report)
        self.data = data
        self.before = accounts.list_contacts(context.db, data.account_id)
        self.created: ContactData | None = None
        self.snapshot: ContactSnapshot | None = None

    def do(self) -> None:
        if self.snapshot is None:
            self.created = accounts.save_contact(self.context.db, replace(self.data, id=None))
        else:  # a redo brings back the very same contact (same id)
            self.created = accounts.restore_contact(self.context.db, self.snapshot)
            if self.created.is_primary:
                accounts.save_contact(self.context.db, self.created)

    def revert(self) -> None:
        assert self.created is not None and self.created.id is not None
        self.snapshot = accounts.snapshot_contact(self.context.db, self.created.id)
        accounts.delete_contact(self.context.db, self.created.id)
        _put_back(self.context, [c for c in self.before if c.is_primary])


class EditContactCommand(_ContactCommand):
    def __init__(self, context: AppContext, data: ContactData, report: Reporter):
        super().__init__(context, data.account_id, tr("Edit contact “{name}”", name=data.name), report)
        self.data = data
        # The whole list: making this one primary takes the flag off another.
        self.before = accounts.list_contacts(context.db, data.account_id)

    def do(self) -> None:
        accounts.save_contact(self.context.db, self.data)

    def revert(self) -> None:
        _put_back(self.context, self.before)


class DeleteContactCommand(_ContactCommand):
    def __init__(self, context: AppContext, contact: ContactData, report: Reporter):
        super().__init__(
            context, contact.account_id, tr("Delete contact “{name}”", name=contact.name), report
        )
        self.contact = contact
        self.snapshot: ContactSnapshot | None = None

    def do(self) -> None:
        assert self.contact.id is not None
        # Taken at every redo: the timeline events and answers that name this contact come back with it.
        self.snapshot = accounts.snapshot_contact(self.context.db, self.contact.id)
        accounts.delete_contact(self.context.db, self.contact.id)

    def revert(self) -> None:
        assert self.snapshot is not None
        accounts.restore_contact(self.context.db, self.snapshot)


# The table ------------------------------------------------------------------------------

ContactRole = Qt.ItemDataRole.UserRole + 1


class ContactsModel(QAbstractTableModel):
    COLUMNS = ("Name", "Role", "Job title", "E-mail", "Phone")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._contacts: list[ContactData] = []

    def set_contacts(self, contacts: list[ContactData]) -> None:
        self.beginResetModel()
        self._contacts = list(contacts)
        self.endResetModel()

    def contact(self, row: int) -> ContactData | None:
        return self._contacts[row] if 0 <= row < len(self._contacts) else None

    def contacts(self) -> list[ContactData]:
        return list(self._contacts)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._contacts)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(self.COLUMNS[section]) if 0 <= section < len(self.COLUMNS) else None
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._contacts):
            return None
        c = self._contacts[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                c.name + (" ★" if c.is_primary else ""),
                label(vocab.CONTACT_ROLE_LABELS, c.role),
                c.job_title or "",
                c.email or "",
                c.phone or "",
            )
            return values[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0 and c.is_primary:
            return tr("Primary contact")
        if role == ContactRole:
            return c.id
        return None


def _contact_dialog(contact: ContactData, parent: QWidget) -> QDialog:
    # The account dialog's contact form: one form, one set of field checks.
    from ui.book.dialogs import ContactDialog

    return ContactDialog(contact, parent)


class ContactsTab(QWidget):
    """The contacts of one account, with Add / Edit / Delete (each undoable)."""

    contactsShown = Signal(int)  # how many contacts the tab now lists

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.account_id: int | None = None
        self.show_error = show_error
        self.model = ContactsModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.doubleClicked.connect(lambda _index: self.edit_selected())
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._on_context_menu)

        self.add_action = QAction(tr("&Add contact…"), self)
        self.add_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.add_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.add_action.triggered.connect(self.add_contact)
        self.edit_action = QAction(tr("&Edit contact…"), self)
        self.edit_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.edit_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.edit_action.triggered.connect(self.edit_selected)
        self.delete_action = QAction(tr("&Delete contact"), self)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(self.delete_selected)
        for action in (self.add_action, self.edit_action, self.delete_action):
            self.addAction(action)

        self.add_button = QPushButton(tr("Add contact…"))
        self.add_button.clicked.connect(self.add_contact)
        self.edit_button = QPushButton(tr("Edit…"))
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton(tr("Delete"))
        self.delete_button.clicked.connect(self.delete_selected)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.empty = QLabel(
            tr(
                "No contacts for this account yet. Add the champion and the decision maker, or import them from your CRM."
            )
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: palette(mid); padding: 24px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(buttons)
        layout.addWidget(self.view)
        layout.addWidget(self.empty)
        self.set_contacts([])

    def set_account(self, account_id: int | None) -> None:
        """Contacts arrive with the page's overview (see AccountPage)."""
        if account_id != self.account_id:
            self.set_contacts([])
        self.account_id = account_id
        self._update_buttons()

    def set_contacts(self, contacts: list[ContactData]) -> None:
        selected = self.selected()
        self.model.set_contacts(contacts)
        self.view.setVisible(bool(contacts))
        self.empty.setVisible(not contacts)
        if selected is not None:
            self.select(selected.id)
        self._update_buttons()
        self.contactsShown.emit(len(contacts))

    def selected(self) -> ContactData | None:
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        return self.model.contact(rows[0].row()) if rows else None

    def select(self, contact_id: int | None) -> None:
        for row, contact in enumerate(self.model.contacts()):
            if contact.id == contact_id:
                self.view.selectRow(row)
                return

    def _update_buttons(self) -> None:
        has_account = self.account_id is not None
        has_selection = self.selected() is not None
        self.add_button.setEnabled(has_account)
        self.add_action.setEnabled(has_account)
        for widget in (self.edit_button, self.delete_button, self.edit_action, self.delete_action):
            widget.setEnabled(has_account and has_selection)

    def _report(self, error: BaseException) -> None:
        self.show_error(self, error)

    def add_contact(self) -> None:
        if self.account_id is None:
            return
        # The first contact of an account is its primary one, unless the user says otherwise.
        draft = ContactData(account_id=self.account_id, name="", is_primary=self.model.rowCount() == 0)
        dialog = _contact_dialog(draft, self)
        dialog.setWindowTitle(tr("New contact"))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        command = AddContactCommand(self.context, dialog.data(), self._report)
        self.context.undo_stack.push(command)

    def edit_selected(self) -> None:
        contact = self.selected()
        if contact is None:
            return
        dialog = _contact_dialog(contact, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        changed = dialog.data()
        if changed == contact:
            return
        self.context.undo_stack.push(EditContactCommand(self.context, changed, self._report))

    def delete_selected(self) -> None:
        contact = self.selected()
        if contact is None:
            return
        answer = QMessageBox.question(
            self,
            tr("Delete contact"),
            tr("Delete the contact “{name}”? You can undo it with Ctrl+Z.", name=contact.name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.context.undo_stack.push(DeleteContactCommand(self.context, contact, self._report))

    def _on_context_menu(self, pos) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.view.selectRow(index.row())
        menu = QMenu(self)
        menu.addAction(self.add_action)
        menu.addAction(self.edit_action)
        menu.addAction(self.delete_action)
        menu.exec(self.view.viewport().mapToGlobal(pos))
