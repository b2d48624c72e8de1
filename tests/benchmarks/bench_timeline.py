"""Timeline figures: an account page with 10,000 events; full-text search over 1,000,000 events.

Baselines, measured in the same run:
- page: the plain indexed query of the same 10,000 rows (``sqlite3``, ``account_id, occurred_at``
  index), the floor any way of showing them pays. Goal: the page shows in under 100 ms.
- search: a plain indexed query returning the same number of rows (the newest events of one
  account through the same index). Goal: under 200 ms. The portable fallback (a scan that
  folds text in Python, used on non-SQLite backends) is reported for reference.
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

from csdesk import accounts, timeline
from csdesk.accounts import AccountData
from csdesk.rules.names import fold
from db import encoding, open_database
from db import search as db_search
from db.codes import EVENT_KIND_CODES, EVENT_SOURCE_CODES
from tests.benchmarks.conftest import best_of
from tests.benchmarks.demo_cache import demo_copy

PAGE_EVENTS = 10_000
TARGET_EVENTS = 1_000_000
DEMO_ACCOUNTS = 27_000  # ~37 events per demo account: about 1M events before topping up

pytestmark = pytest.mark.benchmark

WORDS = (
    "renovação contrato integração reunião treinamento proposta usuários relatório financeiro "
    "suporte chamado faturamento adoção painel metas diretoria expansão módulo acesso senha"
).split()


def _fill_account(db, account_id: int, count: int) -> None:
    rng = random.Random(7)
    start = datetime(2019, 1, 1, 9)
    kinds = ("note", "call", "meeting", "email", "ticket", "nps")
    rows = [
        (
            account_id,
            start + timedelta(minutes=rng.randrange(0, 60 * 24 * 365 * 7)),
            EVENT_KIND_CODES.index(rng.choice(kinds)),  # coded columns take their stored form
            " ".join(rng.sample(WORDS, 4)).capitalize(),
            "**" + " ".join(rng.sample(WORDS, 12)) + "**\n\n- " + " ".join(rng.sample(WORDS, 6)),
            EVENT_SOURCE_CODES.index(rng.choice(("manual", "import", "auto"))),
        )
        for _ in range(count)
    ]
    with db.engine.begin() as conn, db_search.bulk_insert(conn):
        conn.exec_driver_sql(
            "INSERT INTO timeline_events (account_id, occurred_at, kind, title, body, source, data) "
            "VALUES (?, ?, ?, ?, ?, ?, '{}')",
            [(a, encoding.encode_epoch_seconds(o), k, t, b, s) for a, o, k, t, b, s in rows],
        )


def _wait(predicate, timeout: float = 30.0) -> None:
    app = QApplication.instance()
    end = time.perf_counter() + timeout
    while not predicate():
        app.processEvents()
        QThreadPool.globalInstance().waitForDone(1)
        if time.perf_counter() > end:
            raise TimeoutError("page did not load")


def test_account_page_with_10000_events(qapp, tmp_path, bench_report, qsettings):
    from ui.account.page import AccountPage
    from ui.app import build_context

    db = open_database(tmp_path / "page.sqlite")
    busy = accounts.create_account(db, AccountData(name="Conta Movimentada Ltda", segment="high_touch")).id
    other = accounts.create_account(db, AccountData(name="Outra Conta", segment="low_touch")).id
    _fill_account(db, busy, PAGE_EVENTS)
    timeline.add_event(db, other, kind="note", title="única")

    def baseline() -> None:
        conn = sqlite3.connect(db.location)
        rows = conn.execute(
            "SELECT id, account_id, occurred_at, kind, subkind, title, body, channel, severity, source, "
            "contact_id, data FROM timeline_events WHERE account_id = ? ORDER BY occurred_at DESC, id DESC",
            (busy,),
        ).fetchall()
        conn.close()
        assert len(rows) == PAGE_EVENTS

    context = build_context(db, qsettings)
    page = AccountPage(context)
    page.resize(1300, 800)
    page.show()

    def show(account_id: int, everything: bool) -> None:
        page.set_account(account_id)
        wanted = PAGE_EVENTS if account_id == busy and everything else 1
        _wait(
            lambda: (
                page.overview is not None
                and page.overview.account.id == account_id
                and len(page.timeline_tab.model.events()) >= wanted
            )
        )
        page.repaint()  # the list paints its visible rows through the delegate

    def show_busy(everything: bool) -> float:
        show(other, True)  # leave, so each run loads the busy account from scratch
        start = time.perf_counter()
        show(busy, everything)
        elapsed = (time.perf_counter() - start) * 1000
        _wait(lambda: page.timeline_tab.complete)  # let the rest finish before the next run
        return elapsed

    show(busy, True)  # warm-up: imports, fonts, icon cache
    first = min(show_busy(False) for _ in range(5))
    full = min(show_busy(True) for _ in range(5))
    service = best_of(lambda: timeline.list_events(db, busy), 5)
    base = best_of(baseline, 5)
    bench_report.add(
        "account page shown (header + newest events), 10,000 events",
        first,
        baseline_name="indexed query of all the rows",
        baseline=base,
        goal="< 100 ms",
    )
    bench_report.add(
        "  all 10,000 events in the list (background)",
        full,
        baseline_name="indexed query of all the rows",
        baseline=base,
    )
    bench_report.add(
        "  of which timeline.list_events", service, baseline_name="indexed query of the rows", baseline=base
    )
    page.close()
    QThreadPool.globalInstance().waitForDone()
    db.dispose()


def test_full_text_search_over_a_million_events(tmp_path, bench_report):
    path = demo_copy(tmp_path / "search.sqlite", accounts=DEMO_ACCOUNTS)
    db = open_database(path)
    with db.engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM timeline_events").scalar()
    if count < TARGET_EVENTS:
        # Top the demo book up with copies of its own events, a few years back.
        missing = TARGET_EVENTS - count
        with db.engine.begin() as conn, db_search.bulk_insert(conn):
            conn.exec_driver_sql(
                "INSERT INTO timeline_events (account_id, occurred_at, kind, subkind, title, body, channel, "
                "severity, source, data) SELECT account_id, occurred_at - 3 * 365 * 86400, kind, subkind, "
                "title, body, channel, severity, source, data FROM timeline_events ORDER BY id LIMIT ?",
                (missing,),
            )
    rare_account = accounts.list_accounts(db)[1234].id
    rare = timeline.add_event(
        db,
        rare_account,
        kind="note",
        title="Reunião com a diretoria",
        body="Querem integrar com o **Xerimbabo**.",
        occurred_at=datetime(2021, 5, 4, 10),
    )
    with db.engine.connect() as conn:
        total = conn.exec_driver_sql("SELECT count(*) FROM timeline_events").scalar()
    assert total >= TARGET_EVENTS

    hits = timeline.search(db, "xerimbabo")
    assert [h.event.id for h in hits] == [rare.id]
    common = timeline.search(db, "renovação")
    assert len(common) == 200

    busiest = None
    with db.engine.connect() as conn:
        busiest = conn.exec_driver_sql(
            "SELECT account_id FROM timeline_events GROUP BY account_id ORDER BY count(*) DESC LIMIT 1"
        ).scalar()

    def baseline() -> None:
        conn = sqlite3.connect(db.location)
        conn.execute(
            "SELECT id, title, body FROM timeline_events WHERE account_id = ? ORDER BY occurred_at DESC LIMIT 200",
            (busiest,),
        ).fetchall()
        conn.close()

    base = best_of(baseline, 5)
    label = f"search over {total:,} events"
    for name, text in (
        ("a rare word", "xerimbabo"),
        ("a rare word without its accents, as a prefix", "XERIMB"),
        ("two words", "diretoria xerimbabo"),
        ("a common word (200 newest of many)", "renovação"),
        ("a common prefix (200 newest of many)", "reun"),
    ):
        ms = best_of(lambda t=text: timeline.search(db, t), 5)
        bench_report.add(
            f"{label}: {name}", ms, baseline_name="indexed query of 200 rows", baseline=base, goal="< 200 ms"
        )
    with db.engine.connect() as conn:
        fallback = best_of(lambda: db_search.search_event_ids_portable(conn, ["renovacao"], fold=fold), 1)
    bench_report.add(
        f"{label}: portable fallback, common word",
        fallback,
        baseline_name="indexed query of 200 rows",
        baseline=base,
        goal="reference (non-SQLite backends)",
    )
    db.dispose()


def test_today_view_over_50000_accounts(tmp_path, bench_report):
    """Today's sections over the 50,000-account demo book; baseline: one indexed scan of the accounts."""
    from csdesk import tasks

    path = demo_copy(tmp_path / "today.sqlite", accounts=50_000)
    db = open_database(path)

    def baseline() -> None:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        conn.execute(
            "SELECT id, name, segment, last_touch_at FROM accounts WHERE status = 'active' "
            "ORDER BY last_touch_at LIMIT 200"
        ).fetchall()
        conn.close()

    view = tasks.today_view(db)
    assert view.totals["untouched"] >= 0
    bench_report.add(
        "Today view, 50,000 accounts (5 sections, 200 items each)",
        best_of(lambda: tasks.today_view(db), 5),
        baseline_name="one indexed query of 200 accounts",
        baseline=best_of(baseline, 5),
        goal="off the GUI thread; < 1 s",
    )
    db.dispose()
