"""The Help dialog: guide, shortcuts, data folder and About, one tab each."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl, qVersion
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from csdesk import __version__, i18n
from csdesk.i18n import tr
from csdesk.paths import cache_dir, log_file, resources_dir

TABS = ("guide", "shortcuts", "data", "about")


def guide_path(language: str) -> Path:
    folder = resources_dir() / "help"
    path = folder / f"guide.{language}.html"
    return path if path.is_file() else folder / "guide.en.html"


@dataclass(frozen=True)
class Shortcut:
    action: str  # the action's text, without its & mnemonic
    keys: str  # as the platform writes them
    where: str  # the menu (or page) that holds it


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".").strip()


def _where(action: QAction, places: dict[int, str]) -> str:
    """The menu that shows the action, else the page (or dialog) it belongs to."""
    for widget in action.associatedObjects():
        if isinstance(widget, QMenu) and widget.title():
            return _plain(widget.title())
    parent = action.parent()
    while parent is not None:
        if id(parent) in places:
            return places[id(parent)]
        parent = parent.parent()
    return ""


def _places(window: QWidget) -> dict[int, str]:
    """Every page of the main window, built now if it was not yet, by its sidebar title."""
    places: dict[int, str] = {}
    pages = getattr(window, "pages", None)
    if pages is None:
        return places
    from ui.main_window import page_factories

    titles = {key: title for key, title, _factory in page_factories()}
    for key in list(pages):
        page = pages[key]  # a page not opened yet is built: its shortcuts are real too
        places[id(page)] = titles.get(key, key)
    account_page = getattr(window, "account_page", None)
    if account_page is not None:
        places[id(account_page)] = tr("Account page")
    return places


def window_shortcuts(window: QWidget) -> list[Shortcut]:
    """Every QAction of ``window`` (its menus and every page) that has a shortcut."""
    places = _places(window)
    seen: set[tuple[str, str]] = set()
    found: list[Shortcut] = []
    for action in window.findChildren(QAction):
        if not action.text() or action.isSeparator():
            continue
        keys = ", ".join(
            s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts() if not s.isEmpty()
        )
        if not keys:
            continue
        text = _plain(action.text())
        if (text, keys) in seen:
            continue
        seen.add((text, keys))
        found.append(Shortcut(text, keys, _where(action, places)))
    return sorted(found, key=lambda s: (s.where == "", s.where.casefold(), s.action.casefold()))


def _path_row(path: str, parent: QWidget) -> QWidget:
    """A read-only, selectable path with a button that opens its folder."""
    row = QWidget(parent)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    field = QLineEdit(path)
    field.setReadOnly(True)
    field.setCursorPosition(0)
    layout.addWidget(field, 1)
    folder = Path(path).parent if not Path(path).is_dir() else Path(path)
    button = QPushButton(tr("Open folder"))
    button.setEnabled("://" not in path)  # a database URL has no folder to open
    button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
    layout.addWidget(button)
    return row


class HelpDialog(QDialog):
    def __init__(self, window: QMainWindow, tab: str = "guide"):
        super().__init__(window)
        self.setWindowTitle(tr("CSDesk help"))
        self.resize(760, 560)
        self.tabs = QTabWidget()

        self.guide = QTextBrowser()
        self.guide.setOpenLinks(False)  # no network: nothing in the guide leaves the app
        path = guide_path(i18n.current_language())
        self.guide.setHtml(path.read_text(encoding="utf-8"))
        self.tabs.addTab(self.guide, tr("User guide"))

        self.shortcuts = QTableWidget(0, 3)
        self.shortcuts.setHorizontalHeaderLabels([tr("Action"), tr("Shortcut"), tr("Where")])
        self.shortcuts.verticalHeader().hide()
        self.shortcuts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.shortcuts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.shortcuts.setAlternatingRowColors(True)
        header = self.shortcuts.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for row, shortcut in enumerate(window_shortcuts(window)):
            self.shortcuts.insertRow(row)
            for column, text in enumerate((shortcut.action, shortcut.keys, shortcut.where)):
                self.shortcuts.setItem(row, column, QTableWidgetItem(text))
        self.tabs.addTab(self.shortcuts, tr("Keyboard shortcuts"))

        context = getattr(window, "context", None)
        database = str(context.db.location) if context is not None else ""
        settings = context.settings if context is not None else QSettings()
        data = QWidget()
        form = QFormLayout(data)
        intro = QLabel(
            tr(
                "Your accounts, timelines and settings stay on this computer. "
                "Back up the database file to keep them safe; the cache can be deleted at any time."
            )
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.paths = {
            "database": database,
            "log": str(log_file()),
            "cache": str(cache_dir()),
            "settings": settings.fileName(),
        }
        form.addRow(tr("Database"), _path_row(self.paths["database"], data))
        form.addRow(tr("Log"), _path_row(self.paths["log"], data))
        form.addRow(tr("Cache"), _path_row(self.paths["cache"], data))
        form.addRow(tr("Window settings"), _path_row(self.paths["settings"], data))
        self.tabs.addTab(data, tr("Where is my data"))

        self.about = QLabel(
            "<h2>CSDesk {version}</h2><p>{what}</p><p>{stack}</p>".format(
                version=__version__,
                what=tr("Your book of business, timelines, health scores and QBRs, on your own computer."),
                stack=tr(
                    "Python {python}, Qt {qt}, on {system}",
                    python=platform.python_version(),
                    qt=qVersion(),
                    system=platform.system(),
                ),
            )
        )
        self.about.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.about.setWordWrap(True)
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.about.setContentsMargins(16, 16, 16, 16)
        self.tabs.addTab(self.about, tr("About"))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.show_tab(tab)

    def show_tab(self, tab: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(tab) if tab in TABS else 0)
