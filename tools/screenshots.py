"""Screenshots of the main pages at two window sizes, offscreen.

    CSDESK_TODAY=2026-11-25T10:00 QT_QPA_PLATFORM=offscreen \
        python tools/screenshots.py DEMO.sqlite OUT_DIR [--lang pt-BR] [--sizes 1024x700,1920x1080]

DEMO.sqlite is a book made by ``csdesk demo``. Writes ``<page>-<width>.png``
for Hoje, Carteira, an account page, Indicadores and Modelos.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PAGES = (
    ("today", "today"),
    ("book", "book"),
    ("account", None),
    ("portfolio", "portfolio"),
    ("templates", "templates"),
    ("search", "search"),
)


def _settle(app, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("out")
    parser.add_argument("--lang", default="pt-BR")
    parser.add_argument("--sizes", default="1024x700,1920x1080")
    parser.add_argument("--pages", default="today,book,account,portfolio,templates")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QSettings

    from csdesk import i18n
    from db import open_database
    from ui.app import build_context, create_application, install_qt_translations
    from ui.main_window import MainWindow

    app = create_application()
    language = i18n.set_language(args.lang)
    install_qt_translations(app, language)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    db = open_database(args.database)
    window = MainWindow(build_context(db, settings))
    window.show()
    book = window.pages["book"]
    deadline = time.monotonic() + 20
    while not book.loaded and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wanted = args.pages.split(",")
    for size in args.sizes.split(","):
        width, height = (int(v) for v in size.split("x"))
        for name, key in PAGES:
            if name not in wanted:
                continue
            if key is None:
                window.open_account(book.model.account_id(0))
            else:
                window.show_page(key)
            window.resize(width, height)
            _settle(app, float(os.environ.get("SETTLE", "1.5")))
            shown = window.size()
            path = out / f"{name}-{width}.png"
            window.grab().save(str(path))
            print(f"{path}: window {shown.width()}x{shown.height()}, minimum {window.minimumSizeHint().width()}")
    window.close()
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
