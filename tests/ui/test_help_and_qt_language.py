"""The Help menu (guide, shortcuts, data folder, About) and Qt's own dialogs in pt-BR."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QLibraryInfo, QThreadPool, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel

from csdesk import __version__, i18n
from ui import app as app_module

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def qt_english(qapp):
    yield
    app_module.install_qt_translations(qapp, "en")


@pytest.fixture
def window(qtbot, context):
    from ui.main_window import MainWindow

    win = MainWindow(context)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    yield win
    win.reminders.stop()
    QThreadPool.globalInstance().waitForDone(5000)


def labels_of_next_file_dialog(qtbot, open_dialog) -> dict[str, str]:
    """Open a (static, modal) file dialog, read its labels, cancel it."""
    seen: dict[str, str] = {}

    def read_and_close() -> None:
        dialog = next(
            w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()
        )
        seen.update({label.objectName(): label.text() for label in dialog.findChildren(QLabel)})
        dialog.reject()

    QTimer.singleShot(0, read_and_close)
    open_dialog()
    return seen


def test_help_menu_lists_guide_shortcuts_data_and_about(qtbot, window, context):
    texts = [a.text() for a in window.help_menu.actions() if not a.isSeparator()]
    assert texts == ["&User guide", "&Keyboard shortcuts", "&Where is my data", "&About CSDesk"]
    assert window.guide_action.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)

    window.guide_action.trigger()
    dialog = window.help_dialog
    qtbot.addWidget(dialog)
    assert dialog.tabs.currentWidget() is dialog.guide
    assert "Import a CRM export" in dialog.guide.toPlainText()

    window.data_location_action.trigger()
    dialog = window.help_dialog
    qtbot.addWidget(dialog)
    assert dialog.paths["database"] == str(context.db.location)
    assert dialog.paths["log"].endswith("csdesk.log")
    assert dialog.paths["settings"] == context.settings.fileName()

    window.about_action.trigger()
    qtbot.addWidget(window.help_dialog)
    assert __version__ in window.help_dialog.about.text()


def shortcut_rows(dialog) -> dict[str, str]:
    table = dialog.shortcuts
    return {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}


def test_shortcuts_come_from_the_real_actions(qtbot, window):
    window.shortcuts_action.trigger()
    qtbot.addWidget(window.help_dialog)
    rows = shortcut_rows(window.help_dialog)
    native = QKeySequence.SequenceFormat.NativeText
    assert rows["Undo"] == QKeySequence(QKeySequence.StandardKey.Undo).toString(native)
    assert rows["Import"] == QKeySequence("Ctrl+I").toString(native)
    assert "Alt+Left" in rows["Back"]
    # Pages not opened yet count too: the account page's and Today's own actions.
    assert rows["Add contact"] == QKeySequence("Ctrl+Shift+C").toString(native)
    assert rows["Complete selected"] == QKeySequence("Ctrl+Return").toString(native)
    table = window.help_dialog.shortcuts
    where = {table.item(r, 0).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    assert where["Add contact"] == "Account page" and where["Complete selected"] == "Today"
    assert where["Undo"] == "Edit"
    # A new action (or a changed key) shows up without anyone editing a list.
    extra = QAction("&Brand new thing", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+J"))
    window.addAction(extra)
    window.import_action.setShortcut(QKeySequence("Ctrl+Shift+I"))
    window.shortcuts_action.trigger()
    qtbot.addWidget(window.help_dialog)
    rows = shortcut_rows(window.help_dialog)
    assert rows["Brand new thing"] == QKeySequence("Ctrl+Alt+J").toString(native)
    assert rows["Import"] == QKeySequence("Ctrl+Shift+I").toString(native)


def test_guide_in_portuguese(qtbot, window):
    i18n.set_language("pt_BR")
    from ui.help.dialog import HelpDialog

    dialog = HelpDialog(window, "guide")
    qtbot.addWidget(dialog)
    assert "Importe uma exportação do CRM" in dialog.guide.toPlainText()
    assert dialog.tabs.tabText(1) == "Atalhos de teclado"


def test_file_dialogs_speak_portuguese_and_english_again_after_a_switch(qtbot, qapp, qt_english):
    def open_dialog():
        QFileDialog.getOpenFileName(None, "x", "", "*", options=QFileDialog.Option.DontUseNativeDialog)

    app_module.install_qt_translations(qapp, "pt_BR")
    seen = labels_of_next_file_dialog(qtbot, open_dialog)
    # Qt 6 asks for "&Look in:", which qtbase_pt_BR.qm only has without the "&".
    assert seen["lookInLabel"] == "Procurar em:"
    assert seen["fileTypeLabel"] == "Arquivos do tipo:"
    assert seen["fileNameLabel"] == "&Nome do arquivo:"
    app_module.install_qt_translations(qapp, "en")
    seen = labels_of_next_file_dialog(qtbot, open_dialog)
    assert seen["lookInLabel"] == "&Look in:"


def test_import_wizard_file_dialog_in_portuguese_after_choosing_the_language(
    qtbot, qapp, qt_english, context, monkeypatch
):
    """View > Language saves the choice; the next start installs Qt's catalogue for every window."""
    from ui.importing.wizard import ImportWizard
    from ui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "show", lambda self: None)
    monkeypatch.setattr(app_module, "open_database", lambda _location, **_kw: context.db)
    context.settings.setValue("ui/language", "pt_BR")
    window = app_module.open_main_window(str(context.db.location), settings=context.settings)
    qtbot.addWidget(window)
    try:
        wizard = ImportWizard(context, parent=window)
        qtbot.addWidget(wizard)
        # The wizard's own dialog call, as the user's click makes it (Qt's widget dialog, as on Linux).
        real = QFileDialog.getOpenFileName

        def widget_dialog(*args, **kwargs):
            return real(*args, options=QFileDialog.Option.DontUseNativeDialog)

        monkeypatch.setattr(QFileDialog, "getOpenFileName", widget_dialog)
        seen = labels_of_next_file_dialog(qtbot, wizard.choose_file)
        assert seen["lookInLabel"] == "Procurar em:"
    finally:
        window.reminders.stop()
        QThreadPool.globalInstance().waitForDone(5000)


def test_frozen_build_ships_and_prefers_its_own_qt_catalogue(qapp, qt_english, tmp_path, monkeypatch):
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    assert "qtbase_pt_BR.qm" in spec and f'"{app_module.QT_TRANSLATIONS_FOLDER}"' in spec
    bundle = tmp_path / "bundle"
    (bundle / app_module.QT_TRANSLATIONS_FOLDER).mkdir(parents=True)
    qt_folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    shutil.copy(qt_folder / "qtbase_pt_BR.qm", bundle / app_module.QT_TRANSLATIONS_FOLDER)
    monkeypatch.setattr("sys._MEIPASS", str(bundle), raising=False)
    installed = app_module.install_qt_translations(qapp, "pt_BR")
    assert installed and Path(installed[0].filePath()).parent == bundle / app_module.QT_TRANSLATIONS_FOLDER


def test_no_quick_win_left_in_english():
    i18n.set_language("pt_BR")
    assert i18n.tr("Quick win") == "Vitória rápida"


def test_document_save_dialog_in_portuguese(qtbot, qapp, qt_english, monkeypatch):
    from ui.documents.actions import ask_save_path

    app_module.install_qt_translations(qapp, "pt_BR")
    real = QFileDialog.getSaveFileName

    def widget_dialog(*args, **kwargs):
        return real(*args, options=QFileDialog.Option.DontUseNativeDialog)

    monkeypatch.setattr(QFileDialog, "getSaveFileName", widget_dialog)
    seen = labels_of_next_file_dialog(qtbot, lambda: ask_save_path(None, "QBR", "qbr.pptx", ("pptx", "pdf")))
    assert seen["lookInLabel"] == "Procurar em:" and seen["fileTypeLabel"] == "Arquivos do tipo:"
