"""The book's totals are in the base currency; accounts without a rate are left out and named."""

from __future__ import annotations

from datetime import date

import pytest

from csdesk import currency
from csdesk.accounts import AccountData, create_account
from csdesk.book import BookFilter, compute_kpis, load_book, load_snapshot, save_snapshot, visible_rows

TODAY = date(2026, 11, 25)


@pytest.fixture
def mixed(db):
    """Two BRL, three USD (one at risk, renewing soon) and one EUR account; one USD churned."""
    renewing = date(2026, 12, 10)
    for name, cents, code, status, band, renewal in [
        ("Padaria", 100_000, "BRL", "active", "green", None),
        ("Mercado", 50_000, "BRL", "active", "red", None),
        ("Acme", 10_000, "USD", "active", "yellow", renewing),
        ("Beta", 20_000, "USD", "active", "green", None),
        ("Gamma", 30_000, "USD", "active", "green", None),
        ("Gone", 99_999, "USD", "churned", "red", None),
        ("Brio", 40_000, "EUR", "active", "green", renewing),
    ]:
        account = create_account(
            db, AccountData(name=name, mrr_cents=cents, currency=code, status=status, renewal_date=renewal)
        )
        from db.models import Account

        with db.transaction() as session:
            session.get(Account, account.id).health_band = band
    return db


def test_without_rates_only_base_accounts_are_summed_and_the_others_are_counted(mixed):
    book = load_book(mixed, today=TODAY)
    kpis = compute_kpis(book, visible_rows(book, BookFilter(status="all")))
    assert kpis.currency == "BRL"
    assert kpis.mrr_cents == 150_000  # never 150_000 + 60_000 + 40_000
    assert kpis.at_risk_mrr_cents == 50_000
    assert kpis.renewals == 2 and kpis.renewals_mrr_cents == 0
    assert kpis.unconverted == (("EUR", 1), ("USD", 3))  # active accounts only
    assert kpis.active_accounts == 6
    assert (
        currency.unconverted_text(kpis.unconverted)
        == "1 account in EUR without an exchange rate, left out of the totals; "
        "3 accounts in USD without an exchange rate, left out of the totals"
    )
    assert currency.unconverted_text(kpis.unconverted, "pt_BR").endswith(
        "3 contas em USD sem câmbio fora do total"
    )


def test_with_a_rate_accounts_are_converted_at_the_books_day(mixed):
    currency.set_rate(mixed, "USD", "5", date(2026, 1, 1))
    currency.set_rate(mixed, "USD", "6", date(2026, 12, 1))  # after the book's day: not used
    book = load_book(mixed, today=TODAY)
    kpis = compute_kpis(book, book.all_rows)
    assert kpis.mrr_cents == 150_000 + 60_000 * 5
    assert kpis.at_risk_mrr_cents == 50_000 + 10_000 * 5
    assert kpis.renewals_mrr_cents == 10_000 * 5
    assert kpis.unconverted == (("EUR", 1),)
    later = compute_kpis(load_book(mixed, today=date(2026, 12, 1)), book.all_rows)
    assert later.mrr_cents == 150_000 + 60_000 * 6
    # The MRR column keeps each account's own currency.
    row = book.column("name").tolist().index("Acme")
    assert (book.column("mrr_cents")[row], book.column("currency")[row]) == (10_000, "USD")


def test_the_filter_decides_which_accounts_are_reported(mixed):
    book = load_book(mixed, today=TODAY)
    rows = visible_rows(book, BookFilter(search="padaria"))
    assert compute_kpis(book, rows).unconverted == ()


def test_another_base_currency_needs_a_rate_for_reais(mixed):
    currency.set_base_currency(mixed, "USD")
    currency.set_rate(mixed, "BRL", "0.2", date(2026, 1, 1))
    book = load_book(mixed, today=TODAY)
    kpis = compute_kpis(book, book.all_rows)
    assert kpis.currency == "USD"
    assert kpis.mrr_cents == 60_000 + 150_000 // 5
    assert kpis.unconverted == (("EUR", 1),)


@pytest.mark.sqlite_file("the start-up snapshot is kept for a book file")
def test_the_start_up_snapshot_keeps_the_base_and_the_converted_mrr(mixed, tmp_path):
    currency.set_base_currency(mixed, "EUR")
    currency.set_rate(mixed, "USD", "0.9", date(2026, 1, 1))
    book = load_book(mixed, today=TODAY).prepare()
    path = tmp_path / "book.npz"
    assert save_snapshot(book, path, mixed.sqlite_path)
    again = load_snapshot(path, mixed.sqlite_path, TODAY)
    assert again.currency == "EUR"
    assert compute_kpis(again, again.all_rows) == compute_kpis(book, book.all_rows)
    assert compute_kpis(again, again.all_rows).unconverted == (("BRL", 2),)


def test_an_export_of_several_currencies_names_each_rows_currency(mixed, tmp_path):
    import openpyxl

    from csdesk.exporting import export_book

    book = load_book(mixed, today=TODAY)
    rows = visible_rows(book, BookFilter())
    path = tmp_path / "book.xlsx"
    export_book(path, book, rows, ["name", "mrr", "arr"], "en")
    sheet = openpyxl.load_workbook(path).active
    lines = [[c.value for c in r] for r in sheet.iter_rows()]
    assert lines[0] == ["Account", "CNPJ", "Domain", "MRR", "Currency", "ARR"]
    without_ids = [r[:1] + r[3:] for r in lines]  # CNPJ and domain follow the name
    assert ["Acme", 100, "USD", 1200] in without_ids and ["Padaria", 1000, "BRL", 12000] in without_ids
    assert "R$" not in sheet["D2"].number_format  # US$ are never shown as R$
    only_reais = visible_rows(book, BookFilter(search="padaria"))
    export_book(path, book, only_reais, ["name", "mrr"], "en")
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[1]] == ["Account", "CNPJ", "Domain", "MRR"] and "R$" in sheet[
        "D2"
    ].number_format


def test_the_portfolio_split_by_band_converts_or_leaves_out_foreign_mrr(mixed):
    from csdesk.health import band_split

    def split(day):
        return {s.band: (s.accounts, s.mrr_cents) for s in band_split(mixed, today=day)}

    before = split(TODAY)
    assert before["green"] == (4, 100_000)  # Padaria; Beta, Gamma (US$) and Brio (€) have no rate
    assert before["red"] == (1, 50_000)
    currency.set_rate(mixed, "USD", "5", date(2026, 1, 1))
    currency.set_rate(mixed, "EUR", "6", date(2026, 1, 1))
    after = split(TODAY)
    assert after["green"] == (4, 100_000 + (20_000 + 30_000) * 5 + 40_000 * 6)
    assert after["yellow"] == (1, 10_000 * 5)
    assert split(date(2025, 12, 31)) == before  # the rates start later


def test_sorting_by_mrr_compares_values_in_the_base_currency(mixed):
    from csdesk.book import sort_rows

    def by_mrr(book):
        rows = sort_rows(book, visible_rows(book, BookFilter()), "mrr", descending=True)
        return [book.column("name")[r] for r in rows]

    assert by_mrr(load_book(mixed, today=TODAY))[:2] == ["Padaria", "Mercado"]  # no rates: own amounts
    currency.set_rate(mixed, "USD", "5", date(2026, 1, 1))
    currency.set_rate(mixed, "EUR", "6", date(2026, 1, 1))
    # Brio € 400 = R$ 2.400 and Gamma US$ 300 = R$ 1.500 rank above Padaria's R$ 1.000,
    # which ties with Beta's US$ 200 (ties in name order).
    assert by_mrr(load_book(mixed, today=TODAY))[:4] == ["Brio", "Gamma", "Beta", "Padaria"]


def test_todays_renewals_carry_the_accounts_currency(mixed):
    from csdesk import formatting, tasks

    view = tasks.today_view(mixed, today=TODAY)
    shown = {a.name: formatting.money(a.mrr_cents, a.currency, "pt_BR") for a in view.renewals}
    assert shown == {"Acme": "US$ 100,00", "Brio": "€ 400,00"}
