"""Starting the GUI: QApplication, language, database, main window."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QMessageBox

from csdesk import i18n
from csdesk.paths import default_database
from db import DatabaseError, open_database
from ui.context import AppContext
from ui.hub import Hub

if TYPE_CHECKING:
    from ui.main_window import MainWindow

ORGANIZATION = "CSDesk"
APPLICATION = "CSDesk"


def ui_language(settings: QSettings, override: str | None) -> str:
    """--lang, else the saved setting, else pt-BR where the system is Portuguese."""
    if override:
        return i18n.normalize_language(override)
    saved = settings.value("ui/language", "", str)
    if saved in i18n.LANGUAGES:
        return saved
    return i18n.system_language()


def install_qt_translations(app: QApplication, language: str) -> None:
    """Qt's own strings (standard buttons, file dialogs) in the UI language."""
    QLocale.setDefault(QLocale("pt_BR" if language == "pt_BR" else "en_US"))
    if language == "en":
        return
    translator = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(f"qtbase_{language}", path):
        app.installTranslator(translator)


def create_application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("CSDesk")
    return app


def build_context(db, settings: QSettings) -> AppContext:
    return AppContext(db=db, hub=Hub(), undo_stack=QUndoStack(), settings=settings)


def open_main_window(
    db_path: str | None, language: str | None = None, settings: QSettings | None = None
) -> MainWindow | None:
    """What ``csdesk`` does before its event loop: the language, the database, the window shown.

    The book's rows then arrive from a background thread. None (after telling
    the user why) when the database cannot be opened.
    """
    from ui.main_window import MainWindow

    app = create_application()
    settings = settings or QSettings()
    language = i18n.set_language(ui_language(settings, language))
    install_qt_translations(app, language)
    location = db_path or str(default_database())
    try:
        db = open_database(location)
    except DatabaseError as exc:
        QMessageBox.critical(None, i18n.tr("CSDesk"), str(exc))
        return None
    window = MainWindow(build_context(db, settings))
    window.show()
    return window


def run_gui(db_path: str | None, language: str | None = None, selftest: bool = False) -> int:
    if selftest:
        from ui.selftest import run_selftest

        return run_selftest(db_path, language)
    window = open_main_window(db_path, language)
    if window is None:
        return 2
    code = QApplication.instance().exec()
    window.context.db.dispose()
    return code
