"""The Today page: what needs the CSM today across the whole portfolio.

Sections: tasks due (overdue first), health alerts and red or falling
accounts, renewals in the next 120 days, accounts without a touch for longer
than their segment's cadence. Every item opens its account; a task can be
completed right here. Loaded in the background; reminder rules run at
start-up and once a day, and due reminders raise a desktop notification.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from csdesk import formatting, tasks, vocab
from csdesk.i18n import label, tr
from ui.context import AppContext
from ui.errors import show_error
from ui.timeline import undo
from ui.today.settings_dialog import TodaySettingsDialog
from ui.workers import run_in_background

AccountIdRole = Qt.ItemDataRole.UserRole + 1
TaskIdRole = Qt.ItemDataRole.UserRole + 2
SectionRole = Qt.ItemDataRole.UserRole + 3

SECTION_TITLES = {
    "tasks": "Tasks due",
    "health": "Health alerts",
    "renewals": "Renewals in the next 120 days",
    "untouched": "No touch for longer than the cadence",
}
RED = QColor("#b91c1c")
AMBER = QColor("#b45309")


def _item(text: str, account_id: int | None = None, tooltip: str = "") -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    if account_id is not None:
        item.setData(account_id, AccountIdRole)
    if tooltip:
        item.setToolTip(tooltip)
    return item


def ago_text(days: int | None) -> str:
    if days is None:
        return tr("never touched")
    return tr("{n} days without a touch", n=days)


def build_today_model(model: QStandardItemModel, view: tasks.TodayView) -> None:
    """Fill ``model`` with the sections of ``view`` (4 columns: item, account, when, detail)."""
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
        row = [head] + [_item("") for _ in range(3)]
        model.appendRow(row)
        return head

    head = section("tasks", view.totals.get("tasks", 0), len(view.tasks))
    for entry in view.tasks:
        t = entry.task
        title = _item(t.title, t.account_id, t.notes or "")
        title.setCheckable(True)
        title.setData(Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
        title.setData(t.id, TaskIdRole)
        when = _item(formatting.day(t.due_date), t.account_id)
        overdue = t.is_overdue(today)
        when.setForeground(RED if overdue else AMBER)
        detail = tr("overdue by {n} days", n=(today - t.due_date).days) if overdue else tr("due today")
        detail += " · " + label(vocab.TASK_KIND_LABELS, t.kind)
        if t.priority == "high":
            detail += " · " + label(vocab.TASK_PRIORITY_LABELS, "high")
        head.appendRow([title, _item(entry.account_name, t.account_id), when, _item(detail, t.account_id)])

    health_total = view.totals.get("alerts", 0) + view.totals.get("health", 0)
    head = section("health", health_total, len(view.alerts) + len(view.health))
    for entry in view.alerts:
        t = entry.task
        title = _item(t.title, t.account_id, t.notes or "")
        title.setCheckable(True)
        title.setData(Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
        title.setData(t.id, TaskIdRole)
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

    head = section("renewals", view.totals.get("renewals", 0), len(view.renewals))
    for a in view.renewals:
        days = (a.renewal_date - today).days
        when = _item(formatting.day(a.renewal_date), a.account_id)
        if days <= 30:
            when.setForeground(RED)
        head.appendRow(
            [
                _item(tr("Renewal in {n} days", n=days), a.account_id),
                _item(a.name, a.account_id),
                when,
                _item(
                    f"{formatting.money(a.mrr_cents, a.currency)} · {label(vocab.SEGMENT_LABELS, a.segment)}".strip(
                        " ·"
                    ),
                    a.account_id,
                ),
            ]
        )

    head = section("untouched", view.totals.get("untouched", 0), len(view.untouched))
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


class TodayPage(QWidget):
    loaded = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.show_error = show_error
        self.today_view: tasks.TodayView | None = None
        self._generation = 0

        self.title = QLabel()
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.summary = QLabel()
        self.summary.setStyleSheet("color: palette(mid);")
        self.refresh_button = QPushButton(tr("Refresh"))
        self.settings_button = QPushButton(tr("Cadences and reminders…"))
        top = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.summary)
        top.addLayout(titles, 1)
        top.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignTop)

        self.model = QStandardItemModel(self)
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setRootIsDecorated(True)
        self.view.header().setStretchLastSection(True)
        self.hint = QLabel(
            tr("Double-click an item (or press Enter) to open its account; tick a task to complete it.")
        )
        self.hint.setStyleSheet("color: palette(mid);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.hint)

        self.refresh_button.clicked.connect(self.reload)
        self.settings_button.clicked.connect(self.open_settings)
        self.view.activated.connect(self.open_index)
        self.view.doubleClicked.connect(self.open_index)
        self.model.itemChanged.connect(self._on_item_changed)
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
            context.hub.databaseChanged,
        ):
            signal.connect(self._schedule_reload)

        self.reload()

    def _schedule_reload(self, *_args) -> None:
        self._reload_timer.start()

    def reload(self) -> None:
        self._generation += 1
        generation, db = self._generation, self.context.db
        run_in_background(
            lambda _p: tasks.today_view(db),
            lambda view: self._on_loaded(generation, view),
            lambda error: self.show_error(self, error),
            parent=self,
        )

    def _on_loaded(self, generation: int, view: tasks.TodayView) -> None:
        if generation != self._generation:
            return
        self.today_view = view
        expanded = {
            self.model.item(r).data(SectionRole)
            for r in range(self.model.rowCount())
            if not self.view.isExpanded(self.model.index(r, 0))
        }
        self.model.blockSignals(True)
        build_today_model(self.model, view)
        self.model.blockSignals(False)
        self.view.reset()
        for r in range(self.model.rowCount()):
            key = self.model.item(r).data(SectionRole)
            self.view.setExpanded(self.model.index(r, 0), key not in expanded)
        header = self.view.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.view.setColumnWidth(0, 360)
        self.view.setColumnWidth(1, 260)
        self.view.setColumnWidth(2, 110)
        self.title.setText(tr("Today, {day}", day=formatting.day(view.today)))
        t = view.totals
        self.summary.setText(
            tr(
                "{tasks} tasks due · {renewals} renewals in 120 days · {untouched} accounts to touch · {health} at risk",
                tasks=t.get("tasks", 0),
                renewals=t.get("renewals", 0),
                untouched=t.get("untouched", 0),
                health=t.get("health", 0) + t.get("alerts", 0),
            )
        )
        self.loaded.emit()

    def open_index(self, index: QModelIndex) -> None:
        account_id = index.siblingAtColumn(0).data(AccountIdRole) if index.isValid() else None
        if account_id is None and index.isValid():
            account_id = index.data(AccountIdRole)
        if account_id is not None:
            self.context.hub.requestAccount.emit(int(account_id))

    def _on_item_changed(self, item: QStandardItem) -> None:
        task_id = item.data(TaskIdRole)
        if task_id is None or item.checkState() != Qt.CheckState.Checked:
            return
        try:
            undo.complete_task(self.context, int(task_id), True)
        except Exception as error:  # noqa: BLE001
            self.show_error(self, error)

    def exec_dialog(self, dialog: QDialog) -> bool:
        return dialog.exec() == QDialog.DialogCode.Accepted

    def open_settings(self) -> None:
        dialog = TodaySettingsDialog(self.context, self)
        if self.exec_dialog(dialog):
            self.context.hub.remindersChanged.emit()
            self.reload()
