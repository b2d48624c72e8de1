"""The book of business core: loading, searching, filtering, sorting, KPIs, snapshots."""

from __future__ import annotations

from datetime import date

import pytest

from csdesk import accounts
from csdesk.book import BookFilter, compute_kpis, load_book, search_terms, sort_rows, visible_rows
from csdesk.errors import UserError
from db.models import Contact, TimelineEvent
from tests.support.book_data import make_book


@pytest.fixture
def book_db(db):
    ids = make_book(db)
    return db, ids


def names(book, rows):
    return [book.frame["name"].iat[r] for r in rows]


def test_load_book_reads_every_account_column_wise(book_db):
    db, ids = book_db
    book = load_book(db)
    assert len(book) == 6
    row = book.position_of(ids["Padaria Pitanga Ltda"])
    assert book.frame["mrr_cents"].iat[row] == 123456
    assert book.frame["arr_cents"].iat[row] == 123456 * 12
    assert book.frame["renewal_days"].iat[row] == 30
    assert book.frame["touch_days"].iat[row] == 3
    assert book.frame["health_band"].iat[row] == "green"
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
    by_mrr = [book.frame["mrr_cents"].iat[r] for r in sort_rows(book, rows, "mrr", descending=True)]
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
    assert snapshot.count("contacts") == 1 and snapshot.count("timeline_events") == 1
    accounts.delete_account(db, account_id)
    with pytest.raises(UserError):
        accounts.get_account(db, account_id)
    accounts.restore_account(db, snapshot)
    restored = accounts.get_account(db, account_id)
    assert restored.name == "Café Paraíso S/A" and restored.health_band == "red"
    with db.session() as session:
        assert session.query(Contact).filter_by(account_id=account_id).count() == 1
        assert session.query(TimelineEvent).filter_by(account_id=account_id).count() == 1
    with pytest.raises(UserError):
        accounts.restore_account(db, snapshot)


def test_book_today_is_fixed_at_load(book_db):
    book = load_book(book_db[0], today=date(2000, 1, 1))
    assert book.today == date(2000, 1, 1)
