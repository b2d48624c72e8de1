"""``csdesk --selftest``: prove this installation (or frozen build) works, then exit.

Creates a database (a temporary one unless ``--db`` names one), migrates it,
builds and paints the main window offscreen, draws a QtAgg chart, and checks
the bundled resources and document libraries. Prints one line per check; exit
code 0 when all pass, 1 otherwise. Never touches the user's settings.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

WATCHDOG_SECONDS = 180


def _watchdog() -> threading.Timer:
    # A self-test that hangs (a modal dialog, a deadlock) must fail, not block CI.
    def expire() -> None:
        print(f"csdesk: self-test did not finish in {WATCHDOG_SECONDS} s", file=sys.stderr)
        faulthandler.dump_traceback(file=sys.stderr)
        os._exit(3)

    timer = threading.Timer(WATCHDOG_SECONDS, expire)
    timer.daemon = True
    timer.start()
    return timer


def _gui_checks(database: str, language: str | None, settings_path: Path):
    from PySide6.QtCore import QSettings, QThreadPool
    from PySide6.QtWidgets import QApplication

    from csdesk import i18n
    from db import open_database
    from ui.app import build_context, create_application, install_qt_translations, ui_language

    app = create_application()
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    state: dict = {}

    def language_check() -> str:
        state["language"] = i18n.set_language(ui_language(settings, language))
        install_qt_translations(app, state["language"])
        return state["language"]

    def main_window() -> str:
        from ui.main_window import MainWindow

        db = open_database(database)
        try:
            window = MainWindow(build_context(db, settings))
            window.resize(1280, 800)
            window.show()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # let pages finish their first background load
                app.processEvents()
                if QThreadPool.globalInstance().activeThreadCount() == 0:
                    break
                time.sleep(0.01)
            app.processEvents()
            image = window.grab().toImage()
            if image.isNull() or image.width() < 100:
                raise RuntimeError("the main window did not paint")
            title = window.windowTitle()
            window.close()
            QThreadPool.globalInstance().waitForDone(10_000)
            app.processEvents()
            window.deleteLater()
            app.processEvents()
        finally:
            db.dispose()
        return f"{image.width()}x{image.height()} '{title}' on {QApplication.platformName()}"

    def qtagg_chart() -> str:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=(3, 2))
        figure.add_subplot().bar(["jan", "fev", "mar"], [3, 5, 4])
        canvas = FigureCanvasQTAgg(figure)
        canvas.resize(300, 200)
        canvas.draw()
        width = canvas.grab().width()
        canvas.deleteLater()
        return f"QtAgg canvas {width}px"

    return [("language", language_check), ("main window", main_window), ("chart (QtAgg)", qtagg_chart)]


def run_selftest(db_path: str | None, language: str | None = None) -> int:
    from csdesk.selftest import core_checks, run_checks
    from db.engine import shown_location

    watchdog = _watchdog()
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="csdesk-selftest-") as tmp:
            database = db_path or str(Path(tmp) / "selftest.sqlite")
            results = run_checks(core_checks(database))
            results += run_checks(_gui_checks(database, language, Path(tmp) / "settings.ini"))
    finally:
        watchdog.cancel()
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        print(f"{mark} {result.name:<14} {result.ms:7.0f} ms  {result.detail}")
    failed = [r.name for r in results if not r.ok]
    seconds = time.perf_counter() - started
    if failed:
        print(f"CSDesk self-test FAILED ({', '.join(failed)}) in {seconds:.1f} s", file=sys.stderr)
        return 1
    print(f"CSDesk self-test passed in {seconds:.1f} s: {shown_location(database)}")
    return 0
