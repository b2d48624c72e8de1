"""Undoable account changes: each command calls the csdesk services and announces the change.

A service error inside redo()/undo() cannot propagate through QUndoStack, so
it is handed to ``report`` (the page shows it) and a failed first redo marks
the command obsolete, which drops it from the stack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtGui import QUndoCommand

from csdesk import accounts
from csdesk.accounts import AccountData, AccountSnapshot, ContactData, ContactSnapshot
from csdesk.i18n import tr
from ui.context import AppContext

Reporter = Callable[[BaseException], None]


class ServiceCommand(QUndoCommand):
    def __init__(self, context: AppContext, text: str, report: Reporter):
        super().__init__(text)
        self.context = context
        self.report = report
        self.account_ids: list[int] = []
        self.done_once = False

    def redo(self) -> None:
        try:
            self.do()
        except Exception as exc:  # noqa: BLE001 - reported, never swallowed
            if not self.done_once:
                self.setObsolete(True)
            self.report(exc)
            return
        self.done_once = True
        self.context.hub.accountsChanged.emit(list(self.account_ids))

    def undo(self) -> None:
        try:
            self.revert()
        except Exception as exc:  # noqa: BLE001
            self.report(exc)
            return
        self.context.hub.accountsChanged.emit(list(self.account_ids))

    def do(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError


class CreateAccountCommand(ServiceCommand):
    def __init__(self, context: AppContext, data: AccountData, contacts: list[ContactData], report: Reporter):
        super().__init__(context, tr('Create "{name}"', name=data.name), report)
        self.data = data
        self.contacts = contacts
        self.snapshot: AccountSnapshot | None = None

    def do(self) -> None:
        db = self.context.db
        if self.snapshot is not None:
            accounts.restore_account(db, self.snapshot)
            return
        created = accounts.create_account(db, self.data)
        self.account_ids = [created.id]
        for contact in self.contacts:
            accounts.save_contact(db, replace(contact, account_id=created.id, id=None))

    def revert(self) -> None:
        db = self.context.db
        self.snapshot = accounts.snapshot_account(db, self.account_ids[0])
        accounts.delete_account(db, self.account_ids[0])


class EditAccountCommand(ServiceCommand):
    """Save an account's fields and its contact changes as one undo step."""

    def __init__(
        self,
        context: AppContext,
        before: AccountData,
        after: AccountData,
        contacts_before: list[ContactData],
        changed: list[ContactData],
        removed: list[int],
        report: Reporter,
        effective: date | None = None,
        reason_detail: str | None = None,
        seen_version: int | None = None,
    ):
        super().__init__(context, tr('Edit "{name}"', name=after.name), report)
        # The account's version when the dialog read it; then the one each step leaves,
        # so neither the save nor its undo overwrites another CSM's change unseen.
        self.version = seen_version
        self.before, self.after = before, after
        self.contacts_before = contacts_before
        self.changed = changed
        self.removed = removed
        self.account_ids = [after.id]
        self.created_ids: list[int] = []
        self.created_snapshots: list[ContactSnapshot] = []
        self.removed_snapshots: list[ContactSnapshot] = []
        self.effective = effective
        self.reason_detail = reason_detail
        self.movement = None

    def do(self) -> None:
        db = self.context.db
        result = accounts.edit_account(
            db, self.after, effective=self.effective, reason_detail=self.reason_detail, seen_version=self.version
        )
        self.movement = result.movement
        self.version = result.account.version
        self.removed_snapshots = [accounts.snapshot_contact(db, cid) for cid in self.removed]
        for contact_id in self.removed:
            accounts.delete_contact(db, contact_id)
        if self.created_snapshots:  # a redo: bring back the very same contacts
            for snapshot in self.created_snapshots:
                accounts.restore_contact(db, snapshot)
            updates = [c for c in self.changed if c.id is not None]
        else:
            updates = self.changed
        # Primary last, so the service's "one primary per account" keeps the right one.
        for contact in sorted(updates, key=lambda c: c.is_primary):
            saved = accounts.save_contact(db, contact)
            if contact.id is None:
                self.created_ids.append(saved.id)

    def revert(self) -> None:
        db = self.context.db
        # First the account (its revenue movement leaves the ledger): if another CSM changed
        # it since, undo stops here with the conflict, before any contact is put back.
        reverted = accounts.revert_edit(db, self.before, self.movement, seen_version=self.version)
        self.version = reverted.version
        self.movement = None
        self.created_snapshots = [accounts.snapshot_contact(db, cid) for cid in self.created_ids]
        for contact_id in self.created_ids:
            accounts.delete_contact(db, contact_id)
        self.created_ids = []
        for snapshot in self.removed_snapshots:
            accounts.restore_contact(db, snapshot)
        for contact in sorted(self.contacts_before, key=lambda c: c.is_primary):
            accounts.save_contact(db, contact)


class DeleteAccountsCommand(ServiceCommand):
    """Delete accounts with everything attached; undo puts all of it back."""

    def __init__(self, context: AppContext, account_ids: list[int], names: list[str], report: Reporter):
        text = (
            tr('Delete "{name}"', name=names[0])
            if len(account_ids) == 1
            else tr("Delete {n} accounts", n=len(account_ids))
        )
        super().__init__(context, text, report)
        self.account_ids = list(account_ids)
        self.snapshots: list[AccountSnapshot] = []

    def do(self) -> None:
        db = self.context.db
        self.snapshots = [accounts.snapshot_account(db, account_id) for account_id in self.account_ids]
        for account_id in self.account_ids:
            accounts.delete_account(db, account_id)

    def revert(self) -> None:
        for snapshot in self.snapshots:
            accounts.restore_account(self.context.db, snapshot)
