"""Opening a v1 book with a health history shows how far its upgrade is, at start-up and from File > Open."""

from __future__ import annotations

from PySide6.QtCore import QThreadPool
from sqlalchemy import select

from db.models import HealthBreakdown
from tests.db.test_upgrade_health_history import _v1_with_history


def _converted(db) -> bool:
    with db.session() as s:
        return s.scalar(select(HealthBreakdown.data).limit(1)) is not None


def test_startup_shows_the_upgrade_progress(qtbot, context, tmp_path, monkeypatch):
    from ui import app as app_module
    from ui.main_window import MainWindow

    path = tmp_path / "old.sqlite"
    total = _v1_with_history(path)
    shown: list[tuple[bool, int, int]] = []
    real = app_module.UpgradeProgressDialog.report

    def report(self, done, of):
        real(self, done, of)
        shown.append((self.dialog.isVisible(), self.dialog.value(), self.dialog.maximum()))

    monkeypatch.setattr(app_module.UpgradeProgressDialog, "report", report)
    monkeypatch.setattr(MainWindow, "show", lambda self: None)
    window = app_module.open_main_window(str(path), settings=context.settings)
    qtbot.addWidget(window)
    try:
        assert shown and all(visible for visible, _, _ in shown)
        assert shown[-1][1:] == (total, total)
        assert _converted(window.context.db)
    finally:
        window.reminders.stop()
        QThreadPool.globalInstance().waitForDone(5000)
        window.context.db.dispose()


def test_opening_an_old_book_reports_the_upgrade_in_the_status_bar(qtbot, context, tmp_path):
    from ui.main_window import MainWindow

    path = tmp_path / "old.sqlite"
    _v1_with_history(path)
    window = MainWindow(context)
    qtbot.addWidget(window)
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    window.open_database_file(str(path))
    qtbot.waitUntil(lambda: window.context.db.location == str(path), timeout=20_000)
    assert any(m.endswith("100%") and "health history" in m for m in messages)
    assert _converted(window.context.db)
    window.reminders.stop()
    QThreadPool.globalInstance().waitForDone(5000)
    window.context.db.dispose()
