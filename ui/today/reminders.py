"""Reminder rules while the app runs, and desktop notifications of due reminders.

Rules run in the background at start-up and again when the day changes;
after each run, open tasks due today or overdue that were not announced yet
raise one tray notification. What to announce is decided by
``csdesk.tasks.tasks_to_notify`` / ``notification_text``; this only shows it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from csdesk import clock
from ui.context import AppContext
from ui.workers import run_in_background

if TYPE_CHECKING:
    from csdesk import tasks

CHECK_INTERVAL_MS = 30 * 60 * 1000  # the day may change while the app stays open


START_DELAY_MS = 5000


class ReminderService(QObject):
    rulesRan = Signal(object)  # csdesk.tasks.RulesResult
    notified = Signal(str, str)  # title, message (also when no tray exists)

    def __init__(self, context: AppContext, parent: QObject | None = None):
        super().__init__(parent)
        self.context = context
        self.announced: set[int] = set()
        self.last_rules_day: date | None = None
        self.last_message: tuple[str, str] | None = None
        self.tray: QSystemTrayIcon | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_INTERVAL_MS)
        self.timer.timeout.connect(self.tick)
        self._running = False
        context.hub.databaseChanged.connect(self._on_database_changed)
        context.hub.remindersChanged.connect(self.run_rules)

    def _on_database_changed(self) -> None:
        self.announced.clear()
        self.last_rules_day = None
        if self.timer.isActive():
            self.run_rules()

    def start(self) -> None:
        # The rules scan every account: let the Today view and the book load first.
        QTimer.singleShot(START_DELAY_MS, self.tick)
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def tick(self) -> None:
        if self.last_rules_day != clock.today():
            self.run_rules()
        else:
            self.check_due()

    def run_rules(self) -> None:
        if self._running:
            return
        self._running = True
        from csdesk import tasks  # the ORM is loaded in the background job's first run

        db = self.context.db
        run_in_background(
            lambda progress: tasks.run_rules(db, progress=progress),
            self._on_rules_done,
            self._on_rules_failed,
            parent=self,
        )

    def _on_rules_done(self, result: tasks.RulesResult) -> None:
        self._running = False
        self.last_rules_day = clock.today()
        if result.created or result.completed:
            self.context.hub.tasksChanged.emit(0)
        self.rulesRan.emit(result)
        self.check_due()

    def _on_rules_failed(self, error: BaseException) -> None:
        # Logged by the worker; reminders must never interrupt the CSM with a dialog.
        self._running = False

    def check_due(self) -> None:
        from csdesk import tasks

        db, already = self.context.db, set(self.announced)
        run_in_background(lambda _p: tasks.tasks_to_notify(db, already=already), self.announce, parent=self)

    def announce(self, items: list[tasks.TodayTask]) -> tuple[str, str] | None:
        """Show one notification for ``items`` not announced before; return what was shown."""
        from csdesk import tasks

        fresh = [i for i in items if i.task.id not in self.announced]
        text = tasks.notification_text(fresh, clock.today())
        if text is None:
            return None
        self.announced.update(i.task.id for i in fresh)
        self.last_message = text
        self.notified.emit(*text)
        tray = self._tray()
        if tray is not None:
            tray.showMessage(text[0], text[1], QSystemTrayIcon.MessageIcon.Information, 15000)
        return text

    def _tray(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        if self.tray is None:
            app = QApplication.instance()
            icon = app.windowIcon() if isinstance(app, QApplication) else QIcon()
            if icon.isNull():
                icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("CSDesk")
            self.tray.messageClicked.connect(lambda: self.context.hub.requestPage.emit("today"))
            self.tray.show()
        return self.tray
