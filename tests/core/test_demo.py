"""The demo book: deterministic, consistent, and valid by the app's own rules."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli.main import main
from csdesk import vocab
from csdesk.demo import generate, make_cnpj
from csdesk.errors import UserError
from csdesk.progress import Progress
from csdesk.rules.cnpj import valid_cnpj
from csdesk.rules.names import name_key
from db import open_database
from db.models import Account, Contact, Measure, RevenueChange, SurveyResponse, Task, TimelineEvent

TODAY = date(2026, 11, 25)
TABLES = (
    "accounts",
    "contacts",
    "timeline_events",
    "revenue_changes",
    "measures",
    "survey_responses",
    "tasks",
)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """One 120-account demo book shared by the read-only checks below."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    database = open_database(path)
    summary = generate(database, accounts=120, seed=7, today=TODAY)
    yield database, summary, path
    database.dispose()


def dump(path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        out = {}
        for table in TABLES:
            columns = [
                r[1]
                for r in conn.execute(f"PRAGMA table_info({table})")
                if r[1] not in ("created_at", "updated_at")
            ]
            order = "id" if "id" in columns else ", ".join(columns)  # measures: by their key
            out[table] = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}").fetchall()
        return out
    finally:
        conn.close()


def test_same_seed_gives_identical_data_and_another_seed_differs(tmp_path):
    dumps = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        database = open_database(tmp_path / f"{name}.sqlite")
        generate(database, accounts=30, seed=seed, today=TODAY)
        database.dispose()
        dumps.append(dump(tmp_path / f"{name}.sqlite"))
    assert dumps[0] == dumps[1]
    assert dumps[0]["accounts"] != dumps[2]["accounts"]


def test_counts_match_the_summary(book):
    database, summary, _ = book
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == summary.accounts == 120
        assert s.scalar(select(func.count()).select_from(Contact)) == summary.contacts
        assert s.scalar(select(func.count()).select_from(TimelineEvent)) == summary.events
        assert s.scalar(select(func.count()).select_from(RevenueChange)) == summary.revenue_changes
        assert s.scalar(select(func.count()).select_from(Measure)) == summary.measures
        assert s.scalar(select(func.count()).select_from(SurveyResponse)) == summary.surveys
        assert s.scalar(select(func.count()).select_from(Task)) == summary.tasks
        churned = s.scalar(select(func.count()).select_from(Account).where(Account.status == "churned"))
        assert churned == summary.churned
        active_mrr = s.scalar(select(func.sum(Account.mrr_cents)).where(Account.status == "active"))
        assert active_mrr == summary.mrr_cents
    assert 0 < summary.churned < summary.accounts // 2
    assert summary.events > summary.accounts * 5
    assert summary.measures > summary.accounts * 20


def test_accounts_are_valid_and_varied(book):
    database, _, _ = book
    with database.session() as s:
        accounts = s.scalars(select(Account)).all()
    assert all(valid_cnpj(a.cnpj) for a in accounts)
    assert len({a.cnpj for a in accounts}) == len(accounts)
    assert len({a.name_key for a in accounts}) == len(accounts)
    assert len({a.domain for a in accounts}) == len(accounts)
    assert all(a.name_key == name_key(a.name) for a in accounts)
    assert all(a.domain.endswith(".com.br") for a in accounts)
    assert {a.segment for a in accounts} == set(vocab.SEGMENTS)
    assert {a.stage for a in accounts} <= set(vocab.STAGES)
    assert len({a.stage for a in accounts}) >= 4
    assert len({a.owner for a in accounts}) >= 3
    suffixes = {a.name.rsplit(" ", 1)[-1] for a in accounts}
    assert {"Ltda", "EPP"} <= suffixes or {"Ltda", "ME"} <= suffixes
    # High touch goes to the biggest customers.
    active = [a for a in accounts if a.status == "active"]
    high = [a.mrr_cents for a in active if a.segment == "high_touch"]
    tech = [a.mrr_cents for a in active if a.segment == "tech_touch"]
    assert min(high) > max(tech)


def test_churned_accounts_have_a_date_and_reason_and_no_mrr(book):
    database, _, _ = book
    with database.session() as s:
        for a in s.scalars(select(Account)):
            if a.status == "churned":
                assert a.churn_date and a.churn_date <= TODAY
                assert a.churn_reason in vocab.CHURN_REASONS
                assert a.stage == "churned" and a.mrr_cents == 0 and a.renewal_date is None
            else:
                assert a.churn_date is None and a.churn_reason is None
                assert a.renewal_date > TODAY > a.contract_start
                assert a.mrr_cents > 0


def test_mrr_equals_the_last_revenue_change_and_history_chains(book):
    database, _, _ = book
    with database.session() as s:
        changes: dict[int, list[RevenueChange]] = {}
        for c in s.scalars(
            select(RevenueChange).order_by(RevenueChange.account_id, RevenueChange.effective_date)
        ):
            changes.setdefault(c.account_id, []).append(c)
        for a in s.scalars(select(Account)):
            history = changes[a.id]
            assert history[0].kind == "new" and history[0].mrr_before_cents == 0
            assert history[0].effective_date == a.contract_start
            for before, after in zip(history, history[1:], strict=False):
                assert after.mrr_before_cents == before.mrr_after_cents
                assert after.kind in vocab.REVENUE_KINDS
            assert history[-1].mrr_after_cents == a.mrr_cents
            assert (history[-1].kind == "churn") == (a.status == "churned")
    from csdesk.accounts import list_accounts

    assert all(a.arr_cents == 12 * a.mrr_cents for a in list_accounts(database))


def test_denormalised_columns_match_the_events(book):
    database, _, _ = book
    with database.session() as s:
        last_touch = dict(
            s.execute(
                select(TimelineEvent.account_id, func.max(TimelineEvent.occurred_at))
                .where(TimelineEvent.kind.in_(vocab.TOUCH_KINDS))
                .group_by(TimelineEvent.account_id)
            ).all()
        )
        nps = {}
        for r in s.scalars(
            select(SurveyResponse).where(SurveyResponse.kind == "nps").order_by(SurveyResponse.answered_at)
        ):
            nps[r.account_id] = r.score
        for a in s.scalars(select(Account)):
            assert a.last_touch_at == last_touch.get(a.id)
            assert a.last_nps == nps.get(a.id)
            assert a.active_users <= a.licensed_users
        assert sum(1 for a in s.scalars(select(Account)) if a.last_touch_at) > 60


def test_events_and_surveys_are_plausible(book):
    database, _, _ = book
    window = datetime(2024, 11, 25)
    with database.session() as s:
        events = s.scalars(select(TimelineEvent)).all()
        kinds = {e.kind for e in events}
        assert {"meeting", "call", "email", "note", "ticket", "nps", "revenue_change"} <= kinds
        assert {e.subkind for e in events if e.kind == "meeting"} >= {
            "kickoff",
            "qbr",
            "check_in",
            "training",
        }
        assert all(e.kind in vocab.EVENT_KINDS for e in events)
        assert all(window <= e.occurred_at <= datetime(2026, 11, 25, 23, 59) for e in events)
        assert all(e.severity in vocab.TICKET_SEVERITIES for e in events if e.kind == "ticket")
        assert all(e.occurred_at.weekday() < 5 for e in events if e.kind == "meeting")
        emails = s.execute(select(Contact.email, Account.domain).join(Account)).all()
        assert all(email.endswith("@" + domain) for email, domain in emails)
        roles = {c.role for c in s.scalars(select(Contact))}
        assert roles == set(vocab.CONTACT_ROLES)
        nps_events = sum(1 for e in events if e.kind == "nps")
        assert nps_events == s.scalar(select(func.count()).where(SurveyResponse.kind == "nps"))
        assert all(
            0 <= r.score <= 10 for r in s.scalars(select(SurveyResponse).where(SurveyResponse.kind == "nps"))
        )
        metrics = set(s.scalars(select(Measure.metric).distinct()))
        assert metrics >= {
            "logins",
            "active_users",
            "licensed_users",
            "key_feature_use",
            "tickets",
            "critical_tickets",
            "payment_delay_days",
            "csm_pulse",
        }
        assert all(t.status == "open" for t in s.scalars(select(Task)))


def test_a_non_empty_database_is_refused_and_untouched(db):
    generate(db, accounts=3, seed=1, today=TODAY)
    with pytest.raises(UserError, match="already has accounts"):
        generate(db, accounts=3, seed=2, today=TODAY)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 3


def test_progress_is_reported_and_cancelling_rolls_everything_back(db):
    seen = []

    def callback(done, total, message):
        seen.append((done, total))
        if done > 0:
            progress.cancel()

    progress = Progress(callback, min_interval=0)
    from csdesk.progress import Cancelled

    with pytest.raises(Cancelled):
        generate(db, accounts=600, seed=1, progress=progress, today=TODAY)
    assert seen[0] == (0, 600)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 0
        assert s.scalar(select(func.count()).select_from(TimelineEvent)) == 0


def test_a_demo_cancelled_after_its_accounts_were_written_leaves_the_book_empty(db, db_path):
    """The accounts are committed before the health history is computed, but not into the book."""
    from csdesk.demo import create_book
    from csdesk.progress import Cancelled

    def callback(done, total, message):
        if message == "Computing health scores…":
            progress.cancel()

    progress = Progress(callback, min_interval=0)
    with pytest.raises(Cancelled):
        create_book(db, accounts=5, seed=1, progress=progress, today=TODAY)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 0
    if isinstance(db_path, Path):  # a SQLite book: no scratch book left beside it
        assert sorted(p.name for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)) in (
            [db_path.name],
            [db_path.name, f"{db_path.name}-shm", f"{db_path.name}-wal"],
        )
    summary = create_book(db, accounts=5, seed=1, today=TODAY)  # and the demo can be made again
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == summary.accounts == 5


def test_make_cnpj_agrees_with_the_validator():
    assert valid_cnpj(make_cnpj("112223330001"))
    assert make_cnpj("112223330001") == "11222333000181"


def test_cli_demo_then_accounts(tmp_path, capsys):
    path = tmp_path / "cli.sqlite"
    assert main(["--db", str(path), "demo", "--accounts", "12", "--seed", "5"]) == 0
    assert "12" in capsys.readouterr().out
    assert main(["--db", str(path), "demo", "--accounts", "12"]) == 2
    assert "already has accounts" in capsys.readouterr().err
    assert main(["--db", str(tmp_path / "other.sqlite"), "demo", "--accounts", "0"]) == 2
    assert not (tmp_path / "other.sqlite").exists()


def test_nothing_happens_in_the_future_even_on_a_weekend(db):
    saturday = date(2026, 11, 28)
    generate(db, accounts=20, seed=2, today=saturday)
    with db.session() as s:
        latest = s.scalar(select(func.max(TimelineEvent.occurred_at)))
        assert latest.date() <= saturday
        assert s.scalar(select(func.max(Measure.as_of))) <= saturday


def test_demo_events_are_full_text_searchable(book):
    from db import search

    database, _, _ = book
    with database.engine.connect() as conn:
        if not search.has_fts(conn):
            pytest.skip("SQLite without FTS5")
        assert conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='trigger' AND name='timeline_fts_ai'"
        ).first()
        ids = search.search_event_ids(conn, ["kick"], limit=5)
        assert ids
        titles = [
            conn.exec_driver_sql("SELECT title FROM timeline_events WHERE id=?", (i,)).scalar() for i in ids
        ]
        assert all("kick" in t.lower() for t in titles)
        count = conn.exec_driver_sql(
            "SELECT count(*) FROM timeline_fts WHERE timeline_fts MATCH 'treinamento'"
        )
        assert count.scalar() > 0
