"""What starting CSDesk loads before the book is on screen.

pandas and SQLAlchemy cost about two thirds of a second to import: the window
must show the book of an up-to-date database without either (they load later,
in the background, for the pages and jobs that need them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.book_data import ROWS, make_book

ROOT = Path(__file__).resolve().parents[2]

START = """
import sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from ui.app import open_main_window

window = open_main_window(sys.argv[1], "pt_BR", QSettings(sys.argv[2], QSettings.Format.IniFormat))
page = window.pages["book"]

def ready():
    heavy = sorted(name for name in ("pandas", "sqlalchemy", "matplotlib", "openpyxl") if name in sys.modules)
    print(page.model.rowCount(), window.stack.currentWidget() is page, heavy, flush=True)
    QApplication.instance().quit()

page.bookLoaded.connect(ready)
QApplication.instance().exec()
"""


@pytest.mark.sqlite_file("a SQLite book opens with sqlite3 alone")
def test_the_book_is_shown_before_pandas_and_sqlalchemy_are_loaded(db, db_path, tmp_path):
    make_book(db)
    db.dispose()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", START, str(db_path), str(tmp_path / "settings.ini")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    active = sum(1 for row in ROWS if row[5] == "active")  # the default view: active accounts
    assert result.stdout.split("\n")[0] == f"{active} True []"
