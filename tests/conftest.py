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

from pathlib import Path

import pytest

from csdesk import i18n
from tests.support import servers


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    """The data folder (default database, log) lives in the test's temp dir."""
    data = tmp_path / "data"
    monkeypatch.setenv("CSDESK_DATA_DIR", str(data))
    i18n.set_language("en")
    yield data
    i18n.set_language("en")


# The database engine of the run. `make test` uses SQLite files; `make test-postgres` sets
# CSDESK_TEST_DB (or pass --db-url) to a PostgreSQL URL: every test that takes its database from
# `db_path`, `db` or `new_database` then gets a fresh schema of that server instead.
def pytest_addoption(parser):
    parser.addoption(
        "--db-url",
        default=os.environ.get("CSDESK_TEST_DB", ""),
        help="run the database tests on this server (a SQLAlchemy URL, e.g. postgresql+psycopg://...)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "sqlite_file(reason): needs a SQLite file (backup API, file locks, damaged files); "
        "skipped when the suite runs on another engine",
    )
    config.addinivalue_line("markers", "postgresql: needs the PostgreSQL server of make test-postgres")
    servers.configure(config.getoption("--db-url") or None)


def pytest_collection_modifyitems(config, items):
    if servers.URL is None:
        for item in items:
            if item.get_closest_marker("postgresql"):
                item.add_marker(pytest.mark.skip(reason="needs a PostgreSQL server: make test-postgres"))
        return
    for item in items:
        if item.get_closest_marker("benchmark"):
            continue  # make bench: each benchmark chooses its engines
        marker = item.get_closest_marker("sqlite_file")
        if marker is not None:
            reason = marker.args[0] if marker.args else "needs a SQLite file"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))
        elif item.get_closest_marker("postgresql"):
            continue  # written for the server
        elif not servers.USES_DATABASE.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.skip(reason="uses no test database (runs in make test)"))


def pytest_sessionfinish(session, exitstatus):
    servers.drop_schemas()


@pytest.fixture
def new_database(tmp_path):
    """Makes fresh, empty databases of the run's engine: a file path or a server URL each."""

    def make(name: str = "book") -> str | Path:
        if servers.URL is None:
            return tmp_path / f"{name}.sqlite"
        return servers.schema_url(servers.create_schema())

    yield make
    # The schemas are dropped when the run ends (servers.drop_schemas): a test's background
    # worker may still be reading from its book while the next test starts.


@pytest.fixture
def db_path(new_database):
    return new_database()


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

    # A server book is a team book: its window would open on the first-run name question and
    # on "My book". Window tests see the whole book on both engines; the team-mode tests
    # (tests/ui/test_team_ui.py) turn team mode on themselves.
    db.team = False
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


@pytest.fixture(autouse=True)
def background_jobs_end_with_their_test(request):
    """Jobs a test's windows started are cancelled and waited for when it ends.

    The thread pool is shared by the whole run: a job left behind (a recompute, a playbook
    check) would hold a thread while the next test waits for its own job to start.
    """
    if "qtbot" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("qtbot")  # set up first, so this ends before its widgets are closed
    yield
    from PySide6.QtCore import QThreadPool

    from ui import workers

    for job in list(workers._running):  # noqa: SLF001 - the test run's own bookkeeping
        job.cancel()
    QThreadPool.globalInstance().waitForDone(60_000)
