"""Shared fixtures: every test gets a fresh data folder, settings and database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# One fixed day for the whole suite and the commands it starts, whatever the
# real date, time zone or uptime (csdesk.clock); set it yourself to try another.
os.environ.setdefault("CSDESK_TODAY", "2026-11-25T10:00")
# Likewise one locale: the system's language decides the default UI language
# (tests that check that choice set it themselves), and Qt reads it at start.
os.environ["LC_ALL"] = "C.UTF-8"
os.environ.pop("LANGUAGE", None)

import pytest

from csdesk import i18n


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    """The data folder (default database, log) lives in the test's temp dir."""
    data = tmp_path / "data"
    monkeypatch.setenv("CSDESK_DATA_DIR", str(data))
    i18n.set_language("en")
    yield data
    i18n.set_language("en")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "book.sqlite"


@pytest.fixture
def db(db_path):
    from db import open_database

    database = open_database(db_path)
    yield database
    database.dispose()


@pytest.fixture
def qsettings(tmp_path, qapp):
    """QSettings in a temp INI file, so no test reads or writes the user's."""
    from PySide6.QtCore import QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield settings
    settings.sync()


@pytest.fixture
def context(db, qsettings):
    from ui.app import build_context

    return build_context(db, qsettings)


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch, request):
    """A modal QMessageBox would hang a test: fail loudly instead."""
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        yield
        return
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []

    def refuse(*args, **kwargs):
        shown.append(str(args[2] if len(args) > 2 else kwargs))
        raise AssertionError(f"unexpected modal dialog: {shown[-1]}")

    for name in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, name, refuse)
    yield
