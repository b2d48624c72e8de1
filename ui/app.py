"""Starting the GUI: QApplication, language, database, main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, Qt, QTranslator
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

from csdesk import i18n
from csdesk.errors import UserError
from csdesk.paths import default_database
from db import DatabaseError, open_database
from ui.context import AppContext
from ui.hub import Hub

if TYPE_CHECKING:
    from ui.main_window import MainWindow

ORGANIZATION = "CSDesk"
APPLICATION = "CSDesk"
# Inside a frozen build (build.spec copies them there).
QT_TRANSLATIONS_FOLDER = "qt_translations"

log = logging.getLogger(__name__)


class UpgradeProgressDialog:
    """A progress dialog that appears only if opening the database runs a long upgrade step.

    The database opens before the window exists (on the GUI thread): a modal
    QProgressDialog processes events as its value changes, so it is drawn.
    """

    def __init__(self) -> None:
        self.dialog: QProgressDialog | None = None

    def report(self, done: int, total: int) -> None:
        if self.dialog is None:
            self.dialog = QProgressDialog(
                i18n.tr("Upgrading the database: converting the health history…"), "", 0, 0
            )
            self.dialog.setWindowTitle(i18n.tr("CSDesk"))
            self.dialog.setCancelButton(None)  # the step is one transaction: it finishes or rolls back
            self.dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
            self.dialog.setMinimumDuration(0)
            self.dialog.setAutoReset(False)  # stays at 100 % while the file is compacted
            self.dialog.setAutoClose(False)
            self.dialog.show()
        self.dialog.setMaximum(max(total, 1))
        self.dialog.setValue(min(done, max(total, 1)))

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None


def ui_language(settings: QSettings, override: str | None) -> str:
    """--lang, else the saved setting, else pt-BR where the system is Portuguese."""
    if override:
        return i18n.normalize_language(override)
    saved = settings.value("ui/language", "", str)
    if saved in i18n.LANGUAGES:
        return saved
    return i18n.system_language()


QT_CATALOGUES = ("qtbase",)  # Qt's own strings: standard buttons, file and colour dialogs, menus


class _MnemonicFallback(QTranslator):
    """Qt's strings whose pt-BR entry lost its ``&`` mnemonic in Qt 6.

    Qt 6's file dialog asks for "&Look in:" and "Files of &type:" while
    qtbase_pt_BR.qm still holds "Look in:" and "Files of type:": without this
    the dialog shows English labels in a Portuguese app. Asked first (installed
    last); answers only what the catalogue misses, from the same catalogue.
    """

    def __init__(self, catalogue: QTranslator, parent=None):
        super().__init__(parent)
        self._catalogue = catalogue

    def isEmpty(self) -> bool:  # noqa: N802 (Qt override)
        return False

    def translate(self, context, source, disambiguation=None, n=-1):
        # Whatever is found is returned as is; None (a null QString) lets Qt ask the next translator.
        found = self._catalogue.translate(context, source, disambiguation, n)
        if not found and source and "&" in source:
            bare = source.replace("&&", "\0").replace("&", "").replace("\0", "&")
            found = self._catalogue.translate(context, bare, disambiguation, n)
        return found or None


def qt_translation_dirs() -> list[str]:
    """Where Qt's .qm catalogues are: the frozen build's own copy first, then Qt's folder."""
    dirs = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        dirs.append(str(Path(frozen_root) / QT_TRANSLATIONS_FOLDER))
    dirs.append(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    return dirs


def install_qt_translations(app: QApplication, language: str) -> list[QTranslator]:
    """Qt's own strings (standard buttons, file dialogs) in the UI language, for every window.

    Translators are application-wide, so every dialog (the import wizard's and
    the documents' file dialogs too) follows. Calling it again (a language
    switch) replaces what an earlier call installed. Returns the translators
    installed (none for English).
    """
    QLocale.setDefault(QLocale("pt_BR" if language == "pt_BR" else "en_US"))
    for old in getattr(app, "_csdesk_qt_translators", []):
        app.removeTranslator(old)
    installed: list[QTranslator] = []
    if language != "en":
        for name in QT_CATALOGUES:
            translator = QTranslator(app)
            if any(translator.load(f"{name}_{language}", folder) for folder in qt_translation_dirs()):
                app.installTranslator(translator)
                fallback = _MnemonicFallback(translator, app)
                app.installTranslator(fallback)
                installed += [translator, fallback]
            else:
                log.warning(
                    "Qt's %s catalogue for %s was not found in %s", name, language, qt_translation_dirs()
                )
    app._csdesk_qt_translators = installed  # noqa: SLF001 - kept on the app so a switch can remove them
    return installed


def create_application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("CSDesk")
    return app


def build_context(db, settings: QSettings) -> AppContext:
    return AppContext(db=db, hub=Hub(), undo_stack=QUndoStack(), settings=settings)


def open_main_window(
    db_path: str | None,
    language: str | None = None,
    settings: QSettings | None = None,
    user: str | None = None,
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
    upgrade = UpgradeProgressDialog()
    try:
        db = open_database(location, progress=upgrade.report)
    except DatabaseError as exc:
        upgrade.close()
        QMessageBox.critical(None, i18n.tr("CSDesk"), str(exc))
        return None
    upgrade.close()
    from csdesk import team

    try:
        team.sign_in(db, team.current_name(user))  # who writes: --as, else the saved name
    except UserError as exc:
        QMessageBox.critical(None, i18n.tr("CSDesk"), str(exc))
        return None
    window = MainWindow(build_context(db, settings))
    window.show()
    return window


def run_gui(
    db_path: str | None, language: str | None = None, selftest: bool = False, user: str | None = None
) -> int:
    if selftest:
        from ui.selftest import run_selftest

        return run_selftest(db_path, language)
    window = open_main_window(db_path, language, user=user)
    if window is None:
        return 2
    code = QApplication.instance().exec()
    window.context.db.dispose()
    return code
