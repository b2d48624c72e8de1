"""The Today page: what needs the CSM today across the whole portfolio.

Sections: tasks due (overdue first, optionally grouped by account), the rules'
grouped reminders, health alerts and red or falling accounts, renewals in the
next 120 days, accounts without a touch for longer than their segment's cadence.
Every item opens its account. Tasks are ticked one by one, or selected and
completed or snoozed (1 day, 1 week, a chosen date) together, all undoable. A
long section shows its first rows and a "Show more" row: nothing is out of reach. Loaded in the background; reminder rules run at
start-up and once a day, and due reminders raise a desktop notification.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from PySide6.QtCore import QDate, QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCalendarWidget,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock, formatting, tasks, vocab
from csdesk.i18n import label, plural, tr
from csdesk.rules.names import fold
from ui.context import AppContext
from ui.errors import show_error
from ui.timeline import undo
from ui.today.settings_dialog import TodaySettingsDialog
from ui.workers import run_in_background

AccountIdRole = Qt.ItemDataRole.UserRole + 1
TaskIdRole = Qt.ItemDataRole.UserRole + 2
SectionRole = Qt.ItemDataRole.UserRole + 3
TaskRole = Qt.ItemDataRole.UserRole + 4  # the TaskData of a task row
ReminderRole = Qt.ItemDataRole.UserRole + 5  # the Reminder of a grouped reminder's row (no task yet)
ShowMoreRole = Qt.ItemDataRole.UserRole + 6  # the section key of a "Show more" row
RenewalRole = Qt.ItemDataRole.UserRole + 8  # a renewal row: its account id (Record renewal…)
FoldKeyRole = Qt.ItemDataRole.UserRole + 7  # a row with rows under it: "groups/<rule>", "tasks/<account id>"

SECTION_TITLES = {
    "tasks": "Tasks due",
    "groups": "Grouped reminders",
    "health": "Health alerts",
    "renewals": "Renewals in the next 120 days",
    "untouched": "No touch for longer than the cadence",
}
PAGE_SIZE = 200  # rows of a section shown at first, and added by each "Show more"
GROUP_KEY = "today/group_by_account"
RED = QColor("#b91c1c")
AMBER = QColor("#b45309")
MUTED = QColor("#64748b")


def _item(text: str, account_id: int | None = None, tooltip: str = "") -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    if account_id is not None:
        item.setData(account_id, AccountIdRole)
    if tooltip:
        item.setToolTip(tooltip)
    return item


def _checkable(item: QStandardItem) -> QStandardItem:
    item.setCheckable(True)
    item.setData(Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    return item


def ago_text(days: int | None) -> str:
    if days is None:
        return tr("never touched")
    return plural(days, "{n} day without a touch", "{n} days without a touch")


def due_text(due: date, today: date) -> str:
    if due < today:
        return plural((today - due).days, "overdue by {n} day", "overdue by {n} days")
    if due == today:
        return tr("due today")
    return plural((due - today).days, "in {n} day", "in {n} days")


def _task_row(entry: tasks.TodayTask, today: date) -> list[QStandardItem]:
    t = entry.task
    title = _checkable(_item(tasks.display_title(t), t.account_id, t.notes or ""))
    title.setData(t.id, TaskIdRole)
    title.setData(t, TaskRole)
    when = _item(formatting.day(t.due_date), t.account_id)
    overdue = t.is_overdue(today)
    when.setForeground(RED if overdue else AMBER)
    detail = due_text(t.due_date, today) + " · " + label(vocab.TASK_KIND_LABELS, t.kind)
    if t.priority == "high":
        detail += " · " + label(vocab.TASK_PRIORITY_LABELS, "high")
    return [title, _item(entry.account_name, t.account_id), when, _item(detail, t.account_id)]


def _reminder_row(reminder: tasks.Reminder, account_name: str, today: date) -> list[QStandardItem]:
    title = _checkable(_item(tasks.reminder_title(reminder.rule_key, reminder.title), reminder.account_id))
    title.setData(reminder, ReminderRole)
    when = _item(formatting.day(reminder.due_date), reminder.account_id)
    when.setForeground(RED if reminder.due_date < today else AMBER)
    detail = due_text(reminder.due_date, today) + " · " + label(vocab.TASK_KIND_LABELS, reminder.kind)
    return [title, _item(account_name, reminder.account_id), when, _item(detail, reminder.account_id)]


def health_band_text(band: str | None, score: float | None) -> str:
    """'At risk 72' / 'No data': a renewal's health as Today shows it."""
    if band is None or score is None:
        return tr(vocab.HEALTH_NO_DATA)
    return f"{label(vocab.HEALTH_BAND_LABELS, band)} {formatting.number(score)}"


def _blank_row(first: QStandardItem) -> list[QStandardItem]:
    return [first] + [_item("") for _ in range(3)]


def build_today_model(
    model: QStandardItemModel, view: tasks.TodayView, *, group_by_account: bool = False
) -> None:
    """Fill ``model`` with the sections of ``view`` (4 columns: item, account, when, detail).

    A section with more rows than ``view`` holds ends with a "Show more" row.
    """
    today = view.today
    model.clear()
    model.setHorizontalHeaderLabels([tr("What"), tr("Account"), tr("When"), tr("Detail")])
    bold = QFont()
    bold.setBold(True)

    def section(key: str, count: int, shown: int) -> QStandardItem:
        title = tr(SECTION_TITLES[key])
        text = (
            f"{title} ({count})"
            if count == shown
            else f"{title} ({tr('{shown} of {total}', shown=shown, total=count)})"
        )
        head = _item(text)
        head.setFont(bold)
        head.setData(key, SectionRole)
        model.appendRow(_blank_row(head))
        return head

    def more(head: QStandardItem, key: str, count: int, shown: int) -> None:
        if count > shown:
            item = _item(tr("Show {n} more…", n=min(PAGE_SIZE, count - shown)))
            item.setData(key, ShowMoreRole)
            item.setForeground(MUTED)
            head.appendRow(_blank_row(item))

    total = view.totals.get("tasks", 0)
    head = section("tasks", total, len(view.tasks))
    if group_by_account:
        by_account: dict[int, list[tasks.TodayTask]] = {}
        for entry in view.tasks:
            by_account.setdefault(entry.task.account_id, []).append(entry)
        for account_id, entries in sorted(by_account.items(), key=lambda kv: fold(kv[1][0].account_name)):
            account = _item(f"{entries[0].account_name} ({len(entries)})", account_id)
            account.setFont(bold)
            account.setData(f"tasks/{account_id}", FoldKeyRole)
            overdue = sum(1 for e in entries if e.task.is_overdue(today))
            detail = _item(tr("Overdue: {n}", n=overdue) if overdue else "", account_id)
            head.appendRow([account, _item("", account_id), _item("", account_id), detail])
            for entry in entries:
                row = _task_row(entry, today)
                row[1].setText("")  # the account's row above says it
                account.appendRow(row)
    else:
        for entry in view.tasks:
            head.appendRow(_task_row(entry, today))
    more(head, "tasks", total, len(view.tasks))

    if view.groups:
        head = section(
            "groups", sum(len(g.items) for g in view.groups), sum(len(g.items) for g in view.groups)
        )
        for group in view.groups:
            first_due = group.items[0][0].due_date if group.items else today
            row = _blank_row(_item(group.title))
            row[0].setFont(bold)
            row[0].setData(f"groups/{group.rule}", FoldKeyRole)
            row[0].setToolTip(
                tr("Too many at once for a task each: tick, snooze or open them here; each becomes a task.")
            )
            row[3].setText(tr("from {day}", day=formatting.day(first_due)))
            head.appendRow(row)
            for reminder, name in group.items:
                row[0].appendRow(_reminder_row(reminder, name, today))

    health_total = view.totals.get("alerts", 0) + view.totals.get("health", 0)
    head = section("health", health_total, len(view.alerts) + len(view.health))
    for entry in view.alerts:
        t = entry.task
        title = _checkable(_item(tasks.display_title(t), t.account_id, t.notes or ""))
        title.setData(t.id, TaskIdRole)
        title.setData(t, TaskRole)
        title.setForeground(RED)
        head.appendRow(
            [
                title,
                _item(entry.account_name, t.account_id),
                _item(formatting.day(t.due_date), t.account_id),
                _item(tr("Alert"), t.account_id),
            ]
        )
    for a in view.health:
        what = label(vocab.HEALTH_BAND_LABELS, a.health_band) if a.health_band else tr("Health dropping")
        score = formatting.number(a.health_score) if a.health_score is not None else "—"
        detail = tr("score {score}", score=score)
        if a.health_trend is not None and a.health_trend < 0:
            detail += " · " + tr("{points} points in 30 days", points=formatting.number(a.health_trend))
        item = _item(what, a.account_id)
        item.setForeground(RED if a.health_band == "red" else AMBER)
        head.appendRow(
            [item, _item(a.name, a.account_id), _item("", a.account_id), _item(detail, a.account_id)]
        )
    more(head, "health", health_total, len(view.alerts) + len(view.health))

    total = view.totals.get("renewals", 0)
    head = section("renewals", total, len(view.renewals))
    for a in view.renewals:
        days = (a.renewal_date - today).days
        when = _item(formatting.day(a.renewal_date), a.account_id)
        if days <= 30:
            when.setForeground(RED)
        what = _item(plural(days, "Renewal in {n} day", "Renewal in {n} days"), a.account_id)
        what.setData(a.account_id, RenewalRole)
        # Its health beside it: a renewal of a red account needs a plan, a green one an upsell.
        band = health_band_text(a.health_band, a.health_score)
        detail = _item(
            " · ".join(
                part
                for part in (
                    formatting.money(a.mrr_cents, a.currency),
                    label(vocab.SEGMENT_LABELS, a.segment),
                    band,
                )
                if part
            ),
            a.account_id,
        )
        if a.health_band in ("red", "yellow"):
            detail.setForeground(RED if a.health_band == "red" else AMBER)
        head.appendRow([what, _item(a.name, a.account_id), when, detail])
    more(head, "renewals", total, len(view.renewals))

    total = view.totals.get("untouched", 0)
    head = section("untouched", total, len(view.untouched))
    for a in view.untouched:
        days = a.days_without_touch(today)
        last = formatting.day(a.last_touch_at.date()) if a.last_touch_at else ""
        head.appendRow(
            [
                _item(ago_text(days), a.account_id),
                _item(a.name, a.account_id),
                _item(last, a.account_id),
                _item(
                    tr(
                        "{segment}: every {n} days",
                        segment=label(vocab.SEGMENT_LABELS, a.segment) or tr("No segment"),
                        n=a.cadence_days,
                    ),
                    a.account_id,
                ),
            ]
        )
    more(head, "untouched", total, len(view.untouched))


class DatePickerDialog(QDialog):
    """Pick the day a snoozed task comes back."""

    def __init__(self, today: date, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("Snooze until…"))
        self.calendar = QCalendarWidget()
        self.calendar.setMinimumDate(QDate(today + timedelta(days=1)))
        self.calendar.setSelectedDate(QDate(today + timedelta(days=3)))
        self.calendar.setGridVisible(False)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.calendar.activated.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.calendar)
        layout.addWidget(buttons)

    def chosen(self) -> date:
        return self.calendar.selectedDate().toPython()


class TodayPage(QWidget):
    loaded = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.show_error = show_error
        self.today_view: tasks.TodayView | None = None
        self._generation = 0
        self.limit = PAGE_SIZE

        self.title = QLabel()
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.summary = QLabel()
        self.summary.setStyleSheet("color: palette(mid);")
        self.summary.setWordWrap(True)
        self.refresh_button = QPushButton(tr("Refresh"))
        self.settings_button = QPushButton(tr("Cadences and reminders…"))
        top = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.summary)
        top.addLayout(titles, 1)
        top.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignTop)

        # Acting on several tasks at once: complete, snooze.
        self.complete_action = QAction(tr("&Complete selected"), self)
        self.complete_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.complete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.complete_action.triggered.connect(self.complete_selected)
        self.snooze_day_action = QAction(tr("Snooze 1 day"), self)
        self.snooze_day_action.triggered.connect(lambda: self.snooze_selected(days=1))
        self.snooze_week_action = QAction(tr("Snooze 1 week"), self)
        self.snooze_week_action.triggered.connect(lambda: self.snooze_selected(days=7))
        self.snooze_pick_action = QAction(tr("Snooze until a date…"), self)
        self.snooze_pick_action.triggered.connect(self.snooze_until_picked)
        self.addAction(self.complete_action)
        self.complete_button = QToolButton()
        self.complete_button.setDefaultAction(self.complete_action)
        self.complete_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.snooze_button = QToolButton()
        self.snooze_button.setText(tr("Snooze"))
        self.snooze_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        snooze_menu = QMenu(self.snooze_button)
        for action in self.snooze_actions():
            snooze_menu.addAction(action)
        self.snooze_button.setMenu(snooze_menu)
        self.group_check = QCheckBox(tr("Group tasks by account"))
        self.group_check.setChecked(context.settings.value(GROUP_KEY, False, bool))
        self.group_check.toggled.connect(self._on_group_toggled)
        self.selection_label = QLabel()
        self.selection_label.setStyleSheet("color: palette(mid);")
        actions = QHBoxLayout()
        actions.addWidget(self.complete_button)
        actions.addWidget(self.snooze_button)
        actions.addWidget(self.selection_label)
        actions.addStretch(1)
        actions.addWidget(self.group_check)

        self.model = QStandardItemModel(self)
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setRootIsDecorated(True)
        self.view.header().setStretchLastSection(True)
        self.view.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.view.installEventFilter(self)  # column widths follow the window (_size_columns)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.hint = QLabel(
            tr(
                "Double-click an item (or press Enter) to open its account; tick a task to complete it, "
                "or select several to complete or snooze them together."
            )
        )
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(mid);")
        # An empty book: the ways to start, as on the book's welcome screen.
        from ui.book.widgets import WelcomePage

        self.welcome = WelcomePage()
        self.welcome.importRequested.connect(lambda: context.hub.requestImport.emit(""))
        self.welcome.demoRequested.connect(context.hub.requestDemo)
        self.welcome.newAccountRequested.connect(context.hub.requestNewAccount)
        self.all_clear = QLabel(
            tr(
                "Nothing needs you today: no task due, no renewal close, every account touched on time. "
                "A good moment to plan a QBR or review a success plan."
            )
        )
        self.all_clear.setWordWrap(True)
        self.all_clear.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.all_clear.setStyleSheet("color: palette(mid); padding: 24px;")
        self.content = QWidget()
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addLayout(actions)
        content.addWidget(self.all_clear)
        content.addWidget(self.view, 1)
        content.addWidget(self.hint)
        self.all_clear.hide()
        self.welcome.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addLayout(top)
        layout.addWidget(self.content, 1)
        layout.addWidget(self.welcome, 1)

        self.refresh_button.clicked.connect(self.reload)
        self.settings_button.clicked.connect(self.open_settings)
        self.view.activated.connect(self.open_index)
        self.view.doubleClicked.connect(self.open_index)
        self.view.clicked.connect(self._on_clicked)
        self.model.itemChanged.connect(self._on_item_changed)
        self.view.selectionModel().selectionChanged.connect(self._update_actions)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(300)
        self._reload_timer.timeout.connect(self.reload)
        for signal in (
            context.hub.tasksChanged,
            context.hub.timelineChanged,
            context.hub.accountsChanged,
            context.hub.healthChanged,
            context.hub.importFinished,
        ):
            signal.connect(self._schedule_reload)
        context.hub.databaseChanged.connect(self._on_database_changed)
        self._update_actions()
        self.reload()

    def snooze_actions(self) -> list[QAction]:
        return [self.snooze_day_action, self.snooze_week_action, self.snooze_pick_action]

    # Loading ------------------------------------------------------------------------

    def _schedule_reload(self, *_args) -> None:
        self._reload_timer.start()

    def _on_database_changed(self) -> None:
        self.limit = PAGE_SIZE
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        generation, db, limit = self._generation, self.context.db, self.limit
        run_in_background(
            lambda _p: tasks.today_view(db, limit=limit),
            lambda view: self._on_loaded(generation, view),
            lambda error: self.show_error(self, error),
            parent=self,
        )

    def show_more(self) -> None:
        """The next PAGE_SIZE rows of every long section."""
        self.limit += PAGE_SIZE
        self.reload()

    def _fold_state(self) -> dict[str, bool]:
        """Which sections and nested rows are expanded now (kept across reloads)."""
        state: dict[str, bool] = {}
        for r in range(self.model.rowCount()):
            head = self.model.item(r)
            state[head.data(SectionRole)] = self.view.isExpanded(head.index())
            for c in range(head.rowCount()):
                child = head.child(c)
                key = child.data(FoldKeyRole)
                if key:
                    state[key] = self.view.isExpanded(child.index())
        return state

    def _on_loaded(self, generation: int, view: tasks.TodayView) -> None:
        if generation != self._generation:
            return
        self.today_view = view
        state = self._fold_state()
        self.model.blockSignals(True)
        build_today_model(self.model, view, group_by_account=self.group_check.isChecked())
        self.model.blockSignals(False)
        self.view.reset()
        for r in range(self.model.rowCount()):
            head = self.model.item(r)
            self.view.setExpanded(head.index(), state.get(head.data(SectionRole), True))
            for c in range(head.rowCount()):
                child = head.child(c)
                key = child.data(FoldKeyRole)
                if key:
                    # A grouped reminder starts folded: one row, not hundreds; an account, open.
                    self.view.setExpanded(child.index(), state.get(key, not key.startswith("groups/")))
        self._size_columns()
        self.title.setText(tr("Today, {day}", day=formatting.day(view.today)))
        t = view.totals
        text = tr(
            "{tasks} tasks due · {renewals} renewals in 120 days · {untouched} accounts to touch · {health} at risk",
            tasks=t.get("tasks", 0),
            renewals=t.get("renewals", 0),
            untouched=t.get("untouched", 0),
            health=t.get("health", 0) + t.get("alerts", 0),
        )
        if t.get("groups"):
            text += " · " + plural(t["groups"], "{n} grouped reminder", "{n} grouped reminders")
        empty_book = view.accounts == 0
        self.welcome.setVisible(empty_book)
        self.content.setVisible(not empty_book)
        nothing = not any(t.get(k) for k in ("tasks", "renewals", "untouched", "health", "alerts", "groups"))
        self.all_clear.setVisible(nothing and not empty_book)
        self.summary.setText(tr("Your book of business is empty: start here.") if empty_book else text)
        self._update_actions()
        self.loaded.emit()

    def _on_group_toggled(self, checked: bool) -> None:
        self.context.settings.setValue(GROUP_KEY, checked)
        if self.today_view is not None:
            self._on_loaded(self._generation, self.today_view)

    # Opening ------------------------------------------------------------------------

    def open_index(self, index: QModelIndex) -> None:
        if index.isValid() and index.siblingAtColumn(0).data(ShowMoreRole):
            self.show_more()
            return
        account_id = index.siblingAtColumn(0).data(AccountIdRole) if index.isValid() else None
        if account_id is None and index.isValid():
            account_id = index.data(AccountIdRole)
        if account_id is not None:
            self.context.hub.requestAccount.emit(int(account_id))

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and index.siblingAtColumn(0).data(ShowMoreRole):
            self.show_more()

    # Acting on tasks ----------------------------------------------------------------

    def selected_items(self) -> tuple[list[tasks.TaskData], list[tasks.Reminder]]:
        """The tasks and grouped reminders of the selected rows (a selected group: all of its)."""
        found_tasks: dict[int, tasks.TaskData] = {}
        found_reminders: dict[tuple[int, str], tasks.Reminder] = {}

        def take(item: QStandardItem) -> None:
            task = item.data(TaskRole)
            reminder = item.data(ReminderRole)
            if isinstance(task, tasks.TaskData) and task.id is not None:
                found_tasks[task.id] = task
            elif isinstance(reminder, tasks.Reminder):
                found_reminders[(reminder.account_id, reminder.rule_key)] = reminder
            elif item.data(SectionRole) is None:  # an account or a group: everything in it
                for r in range(item.rowCount()):
                    take(item.child(r))

        for index in self.view.selectionModel().selectedRows(0):
            item = self.model.itemFromIndex(index)
            if item is not None:
                take(item)
        return list(found_tasks.values()), list(found_reminders.values())

    def _update_actions(self, *_args) -> None:
        found, reminders = self.selected_items()
        n = len(found) + len(reminders)
        for action in (self.complete_action, *self.snooze_actions()):
            action.setEnabled(n > 0)
        self.snooze_button.setEnabled(n > 0)
        self.selection_label.setText(tr("{n} selected", n=n) if n > 1 else "")

    def _on_item_changed(self, item: QStandardItem) -> None:
        if item.checkState() != Qt.CheckState.Checked:
            return
        task_id = item.data(TaskIdRole)
        reminder = item.data(ReminderRole)
        try:
            if task_id is not None:
                undo.complete_task(self.context, int(task_id), True)
            elif isinstance(reminder, tasks.Reminder):
                undo.add_task(self.context, tasks.reminder_task(reminder, status="done"))
        except Exception as error:  # noqa: BLE001
            self.show_error(self, error)

    def complete_selected(self) -> int:
        """Complete every selected task (one undo step); return how many."""
        found, reminders = self.selected_items()
        count = len(found) + len(reminders)
        if not count:
            return 0
        stack = self.context.undo_stack
        stack.beginMacro(plural(count, "Complete {n} task", "Complete {n} tasks"))
        try:
            for task in found:
                if task.status == "open":
                    undo.complete_task(self.context, task.id, True)
            for reminder in reminders:
                undo.add_task(self.context, tasks.reminder_task(reminder, status="done"))
        except Exception as error:  # noqa: BLE001
            self.show_error(self, error)
        finally:
            stack.endMacro()
        return count

    def snooze_selected(self, days: int | None = None, until: date | None = None) -> int:
        """Move the selected tasks' due date to ``until`` (or today + ``days``); one undo step."""
        day = until or clock.today() + timedelta(days=days or 1)
        found, reminders = self.selected_items()
        count = len(found) + len(reminders)
        if not count:
            return 0
        stack = self.context.undo_stack
        stack.beginMacro(
            plural(
                count, "Snooze {n} task until {day}", "Snooze {n} tasks until {day}", day=formatting.day(day)
            )
        )
        try:
            for task in found:
                undo.edit_task(self.context, replace(task, due_date=day))
            for reminder in reminders:
                undo.add_task(self.context, tasks.reminder_task(reminder, due_date=day))
        except Exception as error:  # noqa: BLE001
            self.show_error(self, error)
        finally:
            stack.endMacro()
        return count

    def snooze_until_picked(self) -> int:
        dialog = DatePickerDialog(clock.today(), self)
        if not self.exec_dialog(dialog):
            return 0
        return self.snooze_selected(until=dialog.chosen())

    def _size_columns(self) -> None:
        """What and account get their shares of the width (a 1920 px window widens them, not Detail)."""
        width = max(self.view.viewport().width(), 700)
        self.view.setColumnWidth(0, int(width * 0.44))
        self.view.setColumnWidth(1, int(width * 0.24))
        self.view.setColumnWidth(2, 100)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.view and event.type() == QEvent.Type.Resize:
            self._size_columns()
        return super().eventFilter(watched, event)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        menu = QMenu(self)
        open_action = menu.addAction(tr("Open account"))
        open_action.setEnabled(index.siblingAtColumn(0).data(AccountIdRole) is not None)
        open_action.triggered.connect(lambda: self.open_index(index))
        renewal_of = index.siblingAtColumn(0).data(RenewalRole)
        if renewal_of is not None:
            record = menu.addAction(tr("Record renewal…"))
            record.triggered.connect(lambda: self.record_renewal(renewal_of))
        menu.addSeparator()
        menu.addAction(self.complete_action)
        for action in self.snooze_actions():
            menu.addAction(action)
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def exec_dialog(self, dialog: QDialog) -> bool:
        return dialog.exec() == QDialog.DialogCode.Accepted

    def record_renewal(self, account_id: int) -> bool:
        """The renewal dialog for one account of the renewals section."""
        from ui.renewals.dialog import RenewalDialog

        dialog = RenewalDialog(self.context, account_id, self)
        if not self.exec_dialog(dialog):
            return False
        self.reload()
        return True

    def open_settings(self) -> None:
        dialog = TodaySettingsDialog(self.context, self)
        if self.exec_dialog(dialog):
            self.context.hub.remindersChanged.emit()
            self.reload()
