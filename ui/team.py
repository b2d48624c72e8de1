"""Team mode in the window: the CSM's name, other CSMs' changes, edit conflicts, read-only books.

- ``ChangeWatcher`` asks the book's change counter every few seconds, off the GUI
  thread, and refreshes the open views when another CSDesk committed something.
- ``ConflictDialog`` shows what another CSM changed on an account being edited and
  lets the user keep theirs or take the other's (csdesk.accounts does the merge).
- A book this connection may only read gets a banner, and its write actions are
  disabled with a tooltip that says why.
"""

from __future__ import annotations

import logging
from dataclasses import fields
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk import formatting, team, vocab
from csdesk.i18n import label, tr
from ui.context import AppContext
from ui.workers import run_in_background

if TYPE_CHECKING:
    from csdesk.accounts import AccountData
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)

POLL_INTERVAL_MS = 3000  # other CSMs' changes show within this (plus one reload)


# Who I am -------------------------------------------------------------------------------------


def sign_in(context: AppContext, explicit: str | None = None) -> str | None:
    """Give the database the CSM's name (``--as``, else the saved one) as the author of their writes."""
    name = team.current_name(explicit)
    team.sign_in(context.db, name)
    return name


class NameDialog(QDialog):
    """Your name, set once: it marks what you log and picks your accounts (*My book*)."""

    def __init__(self, current: str | None, parent: QWidget | None = None, *, first_run: bool = False):
        super().__init__(parent)
        self.setWindowTitle(tr("Your name"))
        intro = QLabel(
            tr(
                "This book is shared. Your name goes on what you log, and your accounts "
                "(where you are the owner) open in My book."
            )
            if first_run
            else tr("Your name goes on what you log, and picks your accounts in My book.")
        )
        intro.setWordWrap(True)
        self.name = QLineEdit(current or "")
        self.name.setObjectName("userName")
        self.name.setPlaceholderText(tr("As in the accounts' Owner column"))
        self.name.setMaxLength(150)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.name)
        layout.addWidget(buttons)
        self.resize(420, self.sizeHint().height())


def apply_name(context: AppContext, name: str | None) -> str | None:
    """Save the name (for the window and the commands) and write under it from now on."""
    saved = team.save_name(name)
    team.sign_in(context.db, saved)
    context.hub.userChanged.emit(saved or "")
    return saved


def ask_name(context: AppContext, parent: QWidget | None = None, *, first_run: bool = False) -> NameDialog:
    """Open the name dialog (window-modal, not blocking); saving applies it."""
    dialog = NameDialog(context.db.user, parent, first_run=first_run)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: apply_name(context, dialog.name.text()))
    dialog.open()
    return dialog


# Other CSMs' changes ----------------------------------------------------------------------------


class ChangeWatcher(QObject):
    """Polls the book's change counter off the GUI thread; ``changed`` when someone else wrote."""

    changed = Signal()

    def __init__(
        self, context: AppContext, parent: QObject | None = None, interval_ms: int = POLL_INTERVAL_MS
    ):
        super().__init__(parent)
        self.context = context
        self._seen: int | None = None
        self._job = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        context.hub.databaseChanged.connect(self.reset)

    def start(self) -> None:
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def reset(self) -> None:
        """Another database: its counter starts a new baseline."""
        self._seen = None
        self.poll()

    def poll(self) -> None:
        if self._job is not None and self._job.running:
            return  # a slow server: one question at a time
        db = self.context.db
        self._job = run_in_background(
            lambda _progress: db.change_count(),
            lambda count: self._on_count(db, count),
            lambda error: log.warning("could not read the change counter: %s", error),
            parent=self,
        )

    def _on_count(self, db, count: int) -> None:
        if db is not self.context.db:
            return  # asked of a database since replaced
        seen, self._seen = self._seen, count
        if seen is not None and db.changed_by_others(seen, count):
            self.changed.emit()
            self.context.hub.remoteChanged.emit()


def refresh_views(window: MainWindow) -> None:
    """Reload what is on screen after another CSM's change (never re-announcing it as ours:
    the hub's change signals also start recomputes, which would echo between two CSDesks)."""
    for page in window.pages.built().values():
        for name in ("_schedule_reload", "schedule_reload"):
            reload = getattr(page, name, None)
            if callable(reload):
                reload()
                break
    account_page = window._account_page  # noqa: SLF001 - built on demand by the window
    if account_page is not None and account_page.account_id is not None:
        account_page.reload_overview()
        # The tab in front now; each other one when it is shown next.
        tabs = account_page.tabs
        stale = {tab for tab in account_page.tab_widgets() if callable(getattr(tab, "reload", None))}
        if getattr(account_page, "_remote_stale", None) is None:

            def on_shown(_index: int) -> None:
                shown = tabs.currentWidget()
                if shown in account_page._remote_stale:  # noqa: SLF001
                    account_page._remote_stale.discard(shown)  # noqa: SLF001
                    shown.reload()

            tabs.currentChanged.connect(on_shown)
        account_page._remote_stale = stale  # noqa: SLF001 - this module's own mark
        current = tabs.currentWidget()
        if current in stale:
            stale.discard(current)
            current.reload()


# Edit conflicts ---------------------------------------------------------------------------------

FIELD_LABELS = {
    "name": "Account",
    "external_id": "External id",
    "source": "Source",
    "cnpj": "CNPJ",
    "domain": "Domain",
    "segment": "Segment",
    "tier": "Tier",
    "industry": "Industry",
    "plan": "Plan",
    "mrr_cents": "MRR",
    "currency": "Currency",
    "contract_start": "Contract start",
    "renewal_date": "Renewal date",
    "stage": "Stage",
    "status": "Status",
    "churn_date": "Churn date",
    "churn_reason": "Churn reason",
    "owner": "Owner",
    "licensed_users": "Licensed users",
    "active_users": "Active users",
    "custom_fields": "Custom fields",
}
_VOCABULARIES = {
    "segment": vocab.SEGMENT_LABELS,
    "stage": vocab.STAGE_LABELS,
    "churn_reason": vocab.CHURN_REASON_LABELS,
    "status": {"active": "Active", "churned": "Churned"},
}


def field_text(data: AccountData, name: str) -> str:
    value: Any = getattr(data, name)
    if value is None or value == {}:
        return "—"
    if name == "mrr_cents":
        return formatting.money(value, data.currency)
    if name in _VOCABULARIES:
        return label(_VOCABULARIES[name], value)
    if isinstance(value, date):
        return formatting.day(value)
    if isinstance(value, int):
        return formatting.number(value)
    return str(value)


class ConflictDialog(QDialog):
    """ "Someone changed this account while you edited it": what differs, and who wins.

    ``choice`` after it closes: "mine" (my changes over theirs where both changed a field),
    "theirs" (their value where both changed; my other changes kept) or None (nothing saved).
    """

    def __init__(
        self, base: AccountData, mine: AccountData, theirs: AccountData, parent: QWidget | None = None
    ):
        from csdesk.accounts import changed_fields, conflicting_fields

        super().__init__(parent)
        self.setWindowTitle(tr("Changed by someone else"))
        self.choice: str | None = None
        mine_changed = set(changed_fields(base, mine))
        theirs_changed = set(changed_fields(base, theirs))
        self.conflicts = conflicting_fields(base, mine, theirs)
        names = [f.name for f in fields(base) if f.name in mine_changed | theirs_changed]
        intro = QLabel(
            tr(
                '"{name}" was changed by someone else while you were editing it. '
                "Nothing was saved yet: choose what to keep.",
                name=theirs.name,
            )
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(names), 4)
        self.table.setObjectName("conflictTable")
        self.table.setHorizontalHeaderLabels(
            [tr("Field"), tr("When you opened it"), tr("Your change"), tr("Their change")]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, name in enumerate(names):
            cells = [
                tr(FIELD_LABELS.get(name, name)),
                field_text(base, name),
                field_text(mine, name) if name in mine_changed else "",
                field_text(theirs, name) if name in theirs_changed else "",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if name in self.conflicts:
                    item.setFont(bold)
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        hint = QLabel(
            tr("In bold: changed by both of you. What only they changed is kept either way.")
            if self.conflicts
            else tr("You changed different fields: both changes can be kept.")
        )
        hint.setWordWrap(True)
        hint.setObjectName("pageSubtitle")
        self.keep_mine = QPushButton(tr("Keep mine"))
        self.keep_mine.setToolTip(tr("Save your changes; where you both changed a field, yours wins."))
        self.take_theirs = QPushButton(tr("Take theirs"))
        self.take_theirs.setToolTip(
            tr("Where you both changed a field, theirs stays; your other changes are saved.")
        )
        self.cancel = QPushButton(tr("Cancel"))
        self.cancel.setToolTip(tr("Save nothing of yours."))
        buttons = QDialogButtonBox()
        buttons.addButton(self.keep_mine, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.take_theirs, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel, QDialogButtonBox.ButtonRole.RejectRole)
        self.keep_mine.clicked.connect(lambda: self._choose("mine"))
        self.take_theirs.clicked.connect(lambda: self._choose("theirs"))
        self.cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(640, 200 + 30 * len(names))

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()


# Read-only books --------------------------------------------------------------------------------


def read_only_reason() -> str:
    return tr(
        "Read-only: your database role may only read this book. Ask its administrator for write access."
    )


class ReadOnlyBanner(QLabel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("readOnlyBanner")
        self.setWordWrap(True)
        self.setText(read_only_reason())
        self.setStyleSheet(
            "#readOnlyBanner { background: #fff4d6; color: #5c4400; padding: 8px 14px;"
            " border-bottom: 1px solid #f0d48a; }"
        )


class ReadOnlyLocks(QObject):
    """The write actions and buttons, held disabled (saying why) while the open book may only be read.

    Pages enable their actions as the selection changes: a locked one is disabled again
    at once. Opening a writable book releases them (their own tooltips come back).
    """

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self._tooltips: dict[QAction | QWidget, str] = {}
        self._held = False  # whether the targets are held disabled now

    @property
    def active(self) -> bool:
        return self.window.context.db.read_only

    def lock(self, target: QAction | QWidget) -> None:
        if target in self._tooltips:
            return
        self._tooltips[target] = target.toolTip()
        if isinstance(target, QAction):
            target.changed.connect(lambda: self._hold(target))
        else:
            target.installEventFilter(self)
        if self._held:
            self._disable(target)

    def locked(self) -> list[QAction | QWidget]:
        return list(self._tooltips)

    def refresh(self) -> None:
        """When a book is opened: hold everything, or release what a read-only one held."""
        if self.active:
            self._held = True
            for target in self._tooltips:
                self._disable(target)
        elif self._held:
            self._held = False
            for target, tooltip in self._tooltips.items():
                target.setToolTip(tooltip)
                target.setEnabled(True)  # the page narrows it again (a selection, a loaded book)

    @staticmethod
    def _disable(target: QAction | QWidget) -> None:
        target.setToolTip(read_only_reason())
        target.setEnabled(False)

    def _hold(self, target: QAction | QWidget) -> None:
        if self._held and target.isEnabled():
            target.setEnabled(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.EnabledChange and self._held and watched in self._tooltips:
            QTimer.singleShot(0, lambda: self._hold(watched))
        return False


# What writes, by page: (attribute of the page, ...). Pages not listed write nothing.
WRITE_ACTIONS = {
    "book": ("new_account_action", "edit_action", "delete_action", "new_button"),
    "today": (
        "complete_action",
        "snooze_day_action",
        "snooze_week_action",
        "snooze_pick_action",
        "complete_button",
        "snooze_button",
        "settings_button",
    ),
    "templates": ("duplicate_button", "save_button", "delete_button"),
}
WINDOW_ACTIONS = ("import_action", "recompute_health_action", "health_model_action", "rates_action")
ACCOUNT_TABS = (
    "add_button",
    "edit_button",
    "delete_button",
    "new_button",
    "new_action",
    "add_action",
    "edit_action",
    "delete_action",
    "new_success_action",
    "new_get_well_action",
    "recompute_button",
)


def _lock_page(locks: ReadOnlyLocks, page: QWidget, names: tuple[str, ...]) -> None:
    for name in names:
        target = getattr(page, name, None)
        if isinstance(target, QAction | QWidget):
            locks.lock(target)
    welcome = getattr(page, "welcome", None)
    if welcome is not None:
        for button in welcome.findChildren(QPushButton):
            locks.lock(button)


def install_read_only(window: MainWindow) -> None:
    """A banner over the pages and every write action disabled, saying why, while the book
    open may only be read (checked again whenever another book is opened)."""
    window.read_only_banner = ReadOnlyBanner()
    layout = window.stack.parentWidget().layout()
    window.stack.setParent(None)
    column = QWidget()
    inner = QVBoxLayout(column)
    inner.setContentsMargins(0, 0, 0, 0)
    inner.setSpacing(0)
    inner.addWidget(window.read_only_banner)
    inner.addWidget(window.stack, 1)
    layout.addWidget(column, 1)
    for menu in (window.file_menu, window.edit_menu):
        menu.setToolTipsVisible(True)
    locks = window.read_only_locks = ReadOnlyLocks(window)
    for name in WINDOW_ACTIONS:
        action = getattr(window, name, None)
        if isinstance(action, QAction):
            locks.lock(action)
    for key, names in WRITE_ACTIONS.items():
        window.pages.when_built(key, lambda page, names=names: _lock_page(locks, page, names))

    def lock_account_page() -> None:
        page = window._account_page  # noqa: SLF001 - built on demand by the window
        if page is not None:
            for tab in page.tab_widgets():
                _lock_page(locks, tab, ACCOUNT_TABS)
            page.setAcceptDrops(not locks.active)  # a dropped e-mail would be logged

    def follow() -> None:
        window.read_only_banner.setVisible(locks.active)
        window.setAcceptDrops(not locks.active)
        locks.refresh()
        lock_account_page()

    window.pageChanged.connect(lambda _key: lock_account_page())
    window.context.hub.databaseChanged.connect(follow)
    follow()


def install(window: MainWindow) -> None:
    """Team mode in the main window: the name action, the change watcher, a read-only book."""
    context = window.context
    window.user_name_action = window.edit_menu.addAction(tr("Your &name…"), lambda: ask_name(context, window))
    window.change_watcher = ChangeWatcher(context, window)
    window.change_watcher.changed.connect(lambda: refresh_views(window))
    window.change_watcher.start()
    install_read_only(window)
    if context.db.team and not context.db.user and not context.db.read_only:
        # First start on a shared book: who is this? (Later: Edit > Your name…)
        QTimer.singleShot(
            0, lambda: setattr(window, "name_dialog", ask_name(context, window, first_run=True))
        )
