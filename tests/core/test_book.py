"""The book of business core: loading, searching, filtering, sorting, KPIs, snapshots."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pytest

from csdesk import accounts, clock
from csdesk.book import BookFilter, compute_kpis, load_book, search_terms, sort_rows, visible_rows
from csdesk.errors import UserError
from db.models import Contact, TimelineEvent
from tests.support.book_data import make_book


@pytest.fixture
def book_db(db):
    ids = make_book(db)
    return db, ids


def names(book, rows):
    return [book.column("name")[r] for r in rows]


def test_load_book_reads_every_account_column_wise(book_db):
    db, ids = book_db
    book = load_book(db)
    assert len(book) == 6
    row = book.position_of(ids["Padaria Pitanga Ltda"])
    assert book.column("mrr_cents")[row] == 123456
    assert book.column("arr_cents")[row] == 123456 * 12
    assert book.column("renewal_days")[row] == 30
    assert book.column("touch_days")[row] == 3
    assert book.column("health_band")[row] == "green"
    assert names(book, book.all_rows)[0] == "Açougue São João"  # ordered by folded name


def test_load_empty_book(db):
    book = load_book(db)
    assert len(book) == 0
    assert list(visible_rows(book, BookFilter())) == []
    assert compute_kpis(book, book.all_rows).mrr_cents == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("padaria", {"Padaria Pitanga Ltda"}),
        ("PADARIA", {"Padaria Pitanga Ltda"}),
        ("acougue sao", {"Açougue São João"}),
        ("Açougue", {"Açougue São João"}),
        ("11.222.333/0001", {"Padaria Pitanga Ltda"}),
        ("11222333", {"Padaria Pitanga Ltda"}),
        ("cafeparaiso.com", {"Café Paraíso S/A"}),
        ("carla", {"Ótica Visão Clara", "Construtora Horizonte"}),
        ("nothing-like-this", set()),
    ],
)
def test_search_name_cnpj_domain_owner(book_db, query, expected):
    book = load_book(book_db[0])
    assert set(names(book, visible_rows(book, BookFilter(search=query)))) == expected


def test_search_terms_fold_and_strip_cnpj_punctuation():
    assert search_terms("  São  12.345/0001-") == ["sao", "123450001"]


def test_filters(book_db):
    book = load_book(book_db[0])

    def shown(**kwargs):
        return set(names(book, visible_rows(book, BookFilter(**kwargs))))

    assert "Padaria do Zé" not in shown()
    assert shown(status="churned") == {"Padaria do Zé"}
    assert len(shown(status="all")) == 6
    assert shown(segments=frozenset({"high_touch"})) == {"Padaria Pitanga Ltda"}
    assert shown(stages=frozenset({"renewal"})) == {"Café Paraíso S/A"}
    assert shown(bands=frozenset({"red"})) == {"Café Paraíso S/A"}
    assert shown(bands=frozenset({"none"})) == {"Ótica Visão Clara"}
    assert shown(renewal_within=90) == {"Padaria Pitanga Ltda", "Café Paraíso S/A"}
    assert shown(no_touch_for=30) == {"Açougue São João", "Café Paraíso S/A", "Ótica Visão Clara"}


def test_sort_by_mrr_and_missing_values_last(book_db):
    book = load_book(book_db[0])
    rows = visible_rows(book, BookFilter(status="all"))
    by_mrr = [book.column("mrr_cents")[r] for r in sort_rows(book, rows, "mrr", descending=True)]
    assert by_mrr == sorted(by_mrr, reverse=True)
    by_health = names(book, sort_rows(book, rows, "health"))
    assert by_health[-1] == "Ótica Visão Clara"
    assert names(book, sort_rows(book, rows, "health", descending=True))[-1] == "Ótica Visão Clara"
    assert names(book, sort_rows(book, rows, "name", descending=True))[0] == "Padaria Pitanga Ltda"


def test_kpis(book_db):
    book = load_book(book_db[0])
    kpis = compute_kpis(book, visible_rows(book, BookFilter(status="all")))
    assert kpis.accounts == 6
    assert kpis.active_accounts == 5
    assert kpis.mrr_cents == 123456 + 50000 + 990000 + 20000 + 300000
    assert kpis.arr_cents == kpis.mrr_cents * 12
    assert kpis.at_risk_mrr_cents == 50000 + 990000 + 300000  # the churned red one is out
    assert kpis.renewals == 2
    assert kpis.average_health == pytest.approx((85 + 65 + 40 + 30 + 72) / 5)


def test_filter_roundtrips_through_a_dict():
    flt = BookFilter(search="x", status="all", segments=frozenset({"high_touch"}), renewal_within=30)
    assert BookFilter.from_dict(flt.to_dict()) == flt
    assert BookFilter.from_dict({"status": "bogus", "segments": ["nope"]}) == BookFilter()


def test_snapshot_and_restore_bring_back_contacts_and_events(book_db):
    db, ids = book_db
    account_id = ids["Café Paraíso S/A"]
    snapshot = accounts.snapshot_account(db, account_id)
    # Its timeline: the event logged, and the revenue movement of its creation (csdesk.ledger).
    assert snapshot.count("contacts") == 1 and snapshot.count("timeline_events") == 2
    assert snapshot.count("revenue_changes") == 1
    accounts.delete_account(db, account_id)
    with pytest.raises(UserError):
        accounts.get_account(db, account_id)
    accounts.restore_account(db, snapshot)
    restored = accounts.get_account(db, account_id)
    assert restored.name == "Café Paraíso S/A" and restored.health_band == "red"
    with db.session() as session:
        assert session.query(Contact).filter_by(account_id=account_id).count() == 1
        assert session.query(TimelineEvent).filter_by(account_id=account_id).count() == 2
    with pytest.raises(UserError):
        accounts.restore_account(db, snapshot)


def test_book_today_is_fixed_at_load(book_db):
    book = load_book(book_db[0], today=date(2000, 1, 1))
    assert book.today == date(2000, 1, 1)


def test_plan_column_follows_the_plans_rule(book_db):
    """load_book's plain-SQL plan status agrees with csdesk.plans for every kind of plan."""
    from datetime import timedelta

    from csdesk import plans

    db, ids = book_db
    today = clock.today()
    m = plans.MilestoneData

    def plan(name, *milestones, status="active"):
        saved = plans.save_plan(db, plans.PlanData(ids[name], "p", milestones=milestones))
        if status != "active":
            plans.save_plan(db, replace(saved, status=status))

    plan("Padaria Pitanga Ltda", m("a", due_date=today))  # on track
    plan("Padaria Pitanga Ltda", m("b", due_date=today - timedelta(1)), m("c", status="done"))  # late
    plan("Açougue São João", m("a", status="done"), m("b", status="cancelled"))  # done
    plan("Café Paraíso S/A", m("a", status="late", due_date=today + timedelta(9)))  # late (marked)
    plan("Café Paraíso S/A", m("a", due_date=today - timedelta(9)), status="archived")  # ignored
    plan("Ótica Visão Clara", m("a", due_date=today - timedelta(5)), status="done")  # done (closed)
    plan("Construtora Horizonte", m("a", status="cancelled", due_date=today - timedelta(3)))  # on track
    expected = plans.plan_status_by_account(db, today)
    book = load_book(db, today=today)
    shown = {int(i): s for i, s in zip(book.column("id"), book.column("plan_status"), strict=True) if s}
    assert shown == expected
    assert set(expected.values()) == {"on_track", "late", "done"}
    assert book.lists["plan_status"][book.position_of(ids["Café Paraíso S/A"])] == "late"
    assert names(book, sort_rows(book, book.all_rows, "plan"))[0] in (
        "Padaria Pitanga Ltda",
        "Café Paraíso S/A",
    )


def test_build_book_orders_by_name_key_then_id_and_reads_odd_values():
    from csdesk.book import QUERY_COLUMNS, build_book

    def row(id_, name_key, **values):
        base = dict.fromkeys(QUERY_COLUMNS)
        base.update({"id": id_, "name": name_key.title(), "name_key": name_key, "mrr_cents": 100, **values})
        return tuple(base[c] for c in QUERY_COLUMNS)

    records = [
        row(5, "beta", renewal_date="2030-01-31", last_touch_at="2029-12-30 10:00:00.000000"),
        row(2, "beta", renewal_date=date(2030, 1, 2), last_touch_at=datetime(2029, 12, 31, 23, 59)),
        row(9, "alfa", mrr_cents=None, renewal_date="not a date", health_score="12.5", last_nps=None),
    ]
    book = build_book(records, today=date(2030, 1, 1))
    assert book.column("id").tolist() == [9, 2, 5]
    assert book.column("mrr_cents").tolist() == [0, 100, 100]
    assert book.column("renewal_days").tolist()[1:] == [1.0, 30.0]
    assert np.isnan(book.column("renewal_days")[0]) and np.isnan(book.column("last_nps")[0])
    assert book.column("touch_days").tolist()[1:] == [1.0, 2.0]
    assert book.column("health_score")[0] == 12.5
    assert book.lists["renewal_date"] == [None, date(2030, 1, 2), date(2030, 1, 31)]
    assert book.owners() == [] and book.currency == "BRL"


NO_HEAVY_IMPORTS = """
import sys
from datetime import date
import numpy as np
from csdesk.book import QUERY_COLUMNS, BookFilter, build_book, compute_kpis, visible_rows
rows = []
for i in range(1, 40):
    row = dict.fromkeys(QUERY_COLUMNS)
    row.update(id=i, name=f"Conta {i}", name_key=f"conta {i}", status="active", segment="low_touch",
               mrr_cents=i * 100, currency="BRL", renewal_date="2030-01-01", owner="Ana Souza",
               last_touch_at="2029-12-01 10:00:00.000000", health_score=50.0, health_band="yellow")
    rows.append(tuple(row[c] for c in QUERY_COLUMNS))
book = build_book(rows, today=date(2029, 12, 31)).prepare()
for key in ("name", "mrr", "renewal", "health", "owner", "plan", "segment"):
    shown = visible_rows(book, BookFilter(search="conta 1", segments=frozenset({"low_touch"}),
                                          renewal_within=90, no_touch_for=3), key, True)
kpis = compute_kpis(book, shown)
assert kpis.accounts == 13 and kpis.at_risk_accounts == 13, kpis  # terms "conta", "1"
print(sorted(m for m in ("pandas", "sqlalchemy") if m in sys.modules))
"""


def test_book_needs_neither_pandas_nor_sqlalchemy():
    """The book is on the start-up path: loading those two costs more than half a second."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", NO_HEAVY_IMPORTS], capture_output=True, text=True, cwd=root, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _same_book(a, b) -> None:
    assert set(a.columns) == set(b.columns)
    for name, values in a.columns.items():
        other = b.columns[name]
        if values.dtype.kind in "fmM":
            assert np.array_equal(values, other, equal_nan=True), name
        else:
            assert values.tolist() == other.tolist(), name


@pytest.mark.sqlite_file("the start-up snapshot is kept for a book file")
def test_a_start_up_snapshot_brings_back_the_same_book(book_db, tmp_path):
    from csdesk.book import load_snapshot, save_snapshot

    db, ids = book_db
    book = load_book(db).prepare()
    path = tmp_path / "book.npz"
    assert save_snapshot(book, path, db.sqlite_path)
    again = load_snapshot(path, db.sqlite_path, book.today)
    _same_book(book, again)
    for query in ("pitanga", "11.222", "ana souza", ""):
        flt = BookFilter(search=query, status="all")
        assert visible_rows(again, flt, "mrr", True).tolist() == visible_rows(book, flt, "mrr", True).tolist()
    assert compute_kpis(again, again.all_rows) == compute_kpis(book, book.all_rows)
    # Day counts follow the day it is read, not the day it was saved.
    later = load_snapshot(path, db.sqlite_path, date.fromordinal(book.today.toordinal() + 10))
    row = later.position_of(ids["Padaria Pitanga Ltda"])
    assert later.column("renewal_days")[row] == 20 and later.column("touch_days")[row] == 13


@pytest.mark.sqlite_file("the start-up snapshot is kept for a book file")
def test_a_snapshot_of_another_file_or_a_damaged_one_is_not_used(book_db, tmp_path):
    from csdesk.book import load_snapshot, save_snapshot

    db, _ids = book_db
    book = load_book(db).prepare()
    path = tmp_path / "book.npz"
    assert save_snapshot(book, path, db.sqlite_path)
    other = tmp_path / "other.sqlite"
    other.write_bytes(db.sqlite_path.read_bytes())
    assert load_snapshot(path, other) is None  # a copy is another file: its rows may differ
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert load_snapshot(path, db.sqlite_path) is None
    assert load_snapshot(tmp_path / "missing.npz", db.sqlite_path) is None


@pytest.mark.sqlite_file("the start-up snapshot is kept for a book file")
def test_a_book_whose_text_holds_the_separator_is_not_snapshotted(book_db, tmp_path):
    from csdesk.book import save_snapshot

    db, ids = book_db
    book = load_book(db).prepare()
    book.columns["owner"][0] = "Ana\x1eSouza"
    path = tmp_path / "book.npz"
    assert not save_snapshot(book, path, db.sqlite_path)
    assert not path.exists() and not list(tmp_path.glob("*.partial"))
