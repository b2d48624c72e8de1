"""Team mode on a real PostgreSQL server: a role that may only read, authors, versions, the counter.

Runs when ``CSDESK_TEST_POSTGRES_URL`` names a server role that may create databases and
roles (``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``); skipped otherwise.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import replace

import pytest

from csdesk import accounts, team, timeline
from db import open_database
from db.engine import ReadOnlyError

ADMIN_URL = os.environ.get("CSDESK_TEST_POSTGRES_URL")
pytestmark = [
    pytest.mark.postgresql,  # make test-postgres runs it (tools/pg-local.sh admin-url)
    pytest.mark.skipif(not ADMIN_URL, reason="CSDESK_TEST_POSTGRES_URL names no PostgreSQL server"),
]


@pytest.fixture
def server():
    """A new database on the server, and a login role that may only read it."""
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"csdesk_team_{uuid.uuid4().hex[:10]}"
    reader = f"{name}_reader"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'CREATE ROLE "{reader}" LOGIN'))
    url = make_url(ADMIN_URL).set(database=name)
    yield (
        url.render_as_string(hide_password=False),
        url.set(username=reader, password=None).render_as_string(hide_password=False),
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'DROP ROLE IF EXISTS "{reader}"'))
    admin.dispose()


def test_team_mode_on_postgresql(server):
    owner_url, reader_url = server
    ana = team.sign_in(open_database(owner_url), "Ana Souza")
    bruno = team.sign_in(open_database(owner_url), "Bruno Lima")
    try:
        assert ana.team and not ana.read_only
        account = accounts.create_account(
            ana, accounts.AccountData(name="Padaria Pitanga", owner="Ana Souza")
        )
        seen = ana.change_count()
        timeline.add_event(bruno, account.id, kind="note", title="Ligação do Bruno")
        now = ana.change_count()
        assert ana.changed_by_others(seen, now) and not bruno.changed_by_others(seen, now)
        assert [(e.title, e.author) for e in timeline.list_events(ana, account.id)] == [
            ("Ligação do Bruno", "Bruno Lima")
        ]
        opened = accounts.get_account(ana, account.id)
        accounts.edit_account(bruno, replace(opened.data(), tier="Gold"), seen_version=opened.version)
        with pytest.raises(accounts.EditConflict):
            accounts.edit_account(ana, replace(opened.data(), tier="Silver"), seen_version=opened.version)
        assert accounts.get_account(ana, account.id).tier == "Gold"
    finally:
        ana.dispose()
        bruno.dispose()

    from sqlalchemy import create_engine, make_url, text

    grants = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with grants.connect() as conn:
        conn.execute(
            text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{make_url(reader_url).username}"')
        )
    grants.dispose()
    reader = open_database(reader_url)
    try:
        assert reader.read_only and reader.team
        assert [a.name for a in accounts.list_accounts(reader)] == ["Padaria Pitanga"]
        assert reader.change_count() >= now  # it can still follow the others' changes
        with pytest.raises(ReadOnlyError, match="may only read"):
            timeline.add_event(reader, account.id, kind="note", title="não")
    finally:
        reader.dispose()


def test_a_role_that_may_only_read_opens_the_window_read_only(server, qtbot, qsettings):
    from sqlalchemy import create_engine, make_url, text

    from ui.app import build_context
    from ui.main_window import MainWindow
    from ui.team import read_only_reason

    owner_url, reader_url = server
    owner = open_database(owner_url)
    accounts.create_account(owner, accounts.AccountData(name="Padaria Pitanga", mrr_cents=100_000))
    owner.dispose()
    grants = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with grants.connect() as conn:
        conn.execute(
            text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{make_url(reader_url).username}"')
        )
    grants.dispose()
    reader = open_database(reader_url)
    try:
        window = MainWindow(build_context(reader, qsettings))
        qtbot.addWidget(window)
        window.show()
        page = window.pages["book"]
        qtbot.waitUntil(lambda: page.loaded, timeout=10_000)
        assert window.read_only_banner.isVisible()
        assert page.model.rowCount() == 1
        assert (
            not page.new_account_action.isEnabled()
            and page.new_account_action.toolTip() == read_only_reason()
        )
        assert not window.import_action.isEnabled()
        window.close()
    finally:
        reader.dispose()
