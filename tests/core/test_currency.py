"""Currencies: recognition, dated rates, conversion (scalar and vectorised), the rates CLI."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.main import main
from csdesk import clock, currency, formatting
from csdesk.currency import Rates
from csdesk.errors import UserError
from csdesk.importing import values as V


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("BRL", "BRL"),
        ("brl", "BRL"),
        ("R$", "BRL"),
        ("Real", "BRL"),
        ("reais", "BRL"),
        ("USD", "USD"),
        ("usd", "USD"),
        ("US$", "USD"),
        ("U$", "USD"),
        ("$", "USD"),
        ("Dólar", "USD"),
        ("dolar americano", "USD"),
        ("EUR", "EUR"),
        ("€", "EUR"),
        ("Euro", "EUR"),
        ("GBP", "GBP"),
        ("£", "GBP"),
        ("ARS", "ARS"),  # any ISO 4217 code
        ("CHF", "CHF"),
        (" usd ", "USD"),
    ],
)
def test_recognise_codes_symbols_and_names(text, code):
    assert currency.recognise(text) == code


@pytest.mark.parametrize("text", ["", "   ", "XYZ", "dinheiro", "R", "12", None])
def test_unknown_currencies_are_not_guessed(text):
    assert currency.recognise(text) is None


PT_BR_AMOUNTS = [
    ("US$ 1.000,00", "USD", 100000),
    ("U$ 300,50", "USD", 30050),
    ("USD 1.000,00", "USD", 100000),
    ("€ 500,00", "EUR", 50000),
    ("EUR 1.234,56", "EUR", 123456),
    ("R$ 1.234,56", "BRL", 123456),
    ("BRL 99,90", "BRL", 9990),
    ("1.234,56 €", "EUR", 123456),
    ("-US$ 10,00", "USD", -1000),
    ("1.234,56", None, 123456),
]
EN_AMOUNTS = [
    ("US$ 1,000.00", "USD", 100000),
    ("U$ 300.50", "USD", 30050),
    ("USD 1,000.00", "USD", 100000),
    ("$1,000.00", "USD", 100000),
    ("€500.00", "EUR", 50000),
    ("EUR 1,234.56", "EUR", 123456),
    ("1,000.00 USD", "USD", 100000),
    ("R$1,234.56", "BRL", 123456),
    ("(US$ 10.00)", "USD", -1000),
    ("1,234.56", None, 123456),
]


@pytest.mark.parametrize(
    ("amount", "code", "cents", "style"),
    [(*a, "comma") for a in PT_BR_AMOUNTS] + [(*a, "point") for a in EN_AMOUNTS],
)
def test_an_amount_says_its_currency_and_still_reads_as_a_number(amount, code, cents, style):
    assert currency.amount_currency(amount) == code
    assert currency.amount_currencies([amount, "12"]) == [code, None]
    assert V.number_style([amount]) == style or "." not in amount and "," not in amount
    assert V.parse_cents(amount, style) == cents


def test_a_column_of_bare_numbers_has_no_currency():
    assert currency.amount_currencies(["1.234,56", "10", "", "(5,00)", "12%"]) == [None] * 5


@pytest.mark.parametrize(
    ("code", "language", "text"),
    [
        ("USD", "pt_BR", "US$ 1.000,00"),
        ("USD", "en", "$1,000.00"),
        ("EUR", "pt_BR", "€ 1.000,00"),
        ("EUR", "en", "€1,000.00"),
        ("BRL", "pt_BR", "R$ 1.000,00"),
    ],
)
def test_money_of_other_currencies_is_formatted_by_the_formatting_module(code, language, text):
    assert formatting.money(100000, code, language) == text


RATES = Rates(
    "BRL",
    {
        "USD": ((date(2026, 1, 1), Decimal("5")), (date(2026, 6, 1), Decimal("5.5"))),
        "EUR": ((date(2026, 3, 1), Decimal("6.123457")),),
    },
)


def test_the_latest_rate_on_or_before_the_day_converts():
    assert RATES.to_base(100_00, "USD", date(2025, 12, 31)) is None  # before the first rate
    assert RATES.to_base(100_00, "USD", date(2026, 1, 1)) == 500_00
    assert RATES.to_base(100_00, "USD", date(2026, 5, 31)) == 500_00
    assert RATES.to_base(100_00, "USD", date(2026, 6, 1)) == 550_00
    assert RATES.to_base(100_00, "USD", date(2030, 1, 1)) == 550_00
    assert RATES.to_base(100_00, "BRL", date(2000, 1, 1)) == 100_00  # the base needs no rate
    assert RATES.to_base(100_00, None, date(2000, 1, 1)) == 100_00  # no currency: BRL
    assert RATES.to_base(100_00, "GBP", date(2030, 1, 1)) is None
    assert RATES.missing(["USD", "EUR", "GBP", "BRL", None], date(2026, 2, 1)) == ["EUR", "GBP"]


def test_conversion_rounds_half_up_to_the_cent():
    assert RATES.to_base(1, "USD", date(2026, 6, 1)) == 6  # 5.5 cents -> 6
    assert RATES.to_base(-1, "USD", date(2026, 6, 1)) == -6
    assert RATES.to_base(3, "USD", date(2026, 6, 1)) == 17  # 16.5 -> 17
    assert RATES.to_base(1_000_000, "EUR", date(2026, 3, 1)) == 6_123_457


@given(
    st.lists(st.integers(min_value=-(10**15), max_value=10**15), max_size=30),
    st.lists(st.sampled_from(["USD", "EUR", "BRL", "GBP", None]), min_size=30, max_size=30),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 1, 1)),
)
def test_the_vectorised_conversion_is_the_same_rule(cents, codes, day):
    codes = codes[: len(cents)]
    array = np.array(cents, dtype=np.int64)
    out, converted = RATES.to_base_array(array, np.array(codes, dtype=object), day)
    for i, (value, code) in enumerate(zip(cents, codes, strict=True)):
        expected = RATES.to_base(value, code, day)
        assert bool(converted[i]) == (expected is not None)
        assert int(out[i]) == (expected or 0)


@pytest.mark.parametrize(
    ("text", "rate"), [("5,43", "5.43"), ("5.43", "5.43"), ("1.234,5", "1234.5"), ("7", "7")]
)
def test_rates_are_read_in_both_number_styles(text, rate):
    assert currency.parse_rate(text) == Decimal(rate)


@pytest.mark.parametrize("text", ["0", "-1", "abc", "", "1e3", "5.1234567", "NaN", "inf"])
def test_bad_rates_are_refused(text):
    with pytest.raises(UserError):
        currency.parse_rate(text)


def test_rates_are_stored_per_base_currency(db):
    currency.set_rate(db, "US$", "5,43", date(2026, 11, 1))
    currency.set_rate(db, "EUR", "6.1", date(2026, 11, 1))
    currency.set_rate(db, "USD", "5,50", date(2026, 11, 1))  # the same day: replaced
    rates = currency.load_rates(db)
    assert rates.base == "BRL"
    assert [r.as_dict() for r in rates.entries()] == [
        {"currency": "EUR", "date": "2026-11-01", "rate": "6.1"},
        {"currency": "USD", "date": "2026-11-01", "rate": "5.50"},
    ]
    currency.set_base_currency(db, "usd")
    assert currency.load_rates(db).base == "USD" and currency.load_rates(db).entries() == []
    currency.set_rate(db, "BRL", "0.18", date(2026, 11, 1))
    currency.set_base_currency(db, "BRL")  # the BRL rates come back untouched
    assert [r.currency for r in currency.load_rates(db).entries()] == ["EUR", "USD"]
    assert currency.load_rates(db, "USD").to_base(100, "BRL", date(2026, 12, 1)) == 18
    with pytest.raises(UserError, match="base currency"):
        currency.set_rate(db, "BRL", "1", date(2026, 11, 1))
    assert currency.remove_rate(db, "EUR", date(2026, 11, 1))
    assert not currency.remove_rate(db, "EUR", date(2026, 11, 1))
    assert [r.currency for r in currency.load_rates(db).entries()] == ["USD"]


# The rates CLI --------------------------------------------------------------------


@pytest.fixture
def cli(db_path, capsys):
    def run(*args: str):
        code = main(["--db", str(db_path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def stored_settings(db_path) -> dict:
    from sqlalchemy import text

    from db import open_database

    database = open_database(db_path)
    try:
        with database.session() as session:
            return dict(session.execute(text("SELECT key, value FROM settings")).all())
    finally:
        database.dispose()


def test_rates_cli_sets_lists_and_reports_missing_rates(cli, db, db_path):
    from csdesk.accounts import AccountData, create_account

    create_account(db, AccountData(name="Acme Inc", mrr_cents=100_00, currency="USD"))
    create_account(db, AccountData(name="Brio GmbH", mrr_cents=100_00, currency="EUR"))
    create_account(db, AccountData(name="Padaria", mrr_cents=100_00, currency="BRL"))
    assert cli("rates", "set", "USD", "5,43", "--date", "2026-11-01")[0] == 0
    code, out, err = cli("rates", "set", "U$", "5.5", "--date", "2026-12-01")
    assert code == 0 and "1 USD = 5.5 BRL" in out
    code, out, _ = cli("rates", "--format", "json", "--on", "2026-11-15")
    assert code == 0
    assert json.loads(out) == {
        "base": "BRL",
        "rates": [
            {"currency": "USD", "date": "2026-11-01", "rate": 5.43},
            {"currency": "USD", "date": "2026-12-01", "rate": 5.5},
        ],
        "accounts_without_rate": {"EUR": 1},
    }
    assert json.loads(cli("rates", "--format", "json", "--on", "2026-10-31")[1])["accounts_without_rate"] == {
        "EUR": 1,
        "USD": 1,
    }
    assert cli("rates", "set", "GBP", "7")[0] == 0  # from today on (csdesk.clock)
    gbp = json.loads(cli("rates", "--format", "json")[1])["rates"][0]
    assert gbp == {"currency": "GBP", "date": clock.today().isoformat(), "rate": 7}
    code, out, _ = cli("--lang", "pt-BR", "rates", "--on", "2026-11-15")
    assert code == 0
    assert "Moeda base: BRL" in out and "01/12/2026" in out and "5,43" in out
    assert "15/11/2026: 1 conta em EUR sem câmbio fora do total" in out


@pytest.mark.parametrize(
    "args",
    [
        ("rates", "set", "XYZ", "5"),
        ("rates", "set", "USD", "0"),
        ("rates", "set", "USD", "cinco"),
        ("rates", "set", "USD", "5,43", "--date", "2026-13-01"),
        ("rates", "set", "BRL", "1"),
        ("rates", "set", "USD"),
        ("rates", "base", "XYZ"),
        ("rates", "remove", "USD", "--date", "2026-11-01"),
    ],
)
def test_bad_rates_input_exits_2_and_writes_nothing(cli, db_path, args):
    assert cli("rates", "set", "EUR", "6", "--date", "2026-01-01")[0] == 0
    before = stored_settings(db_path)
    code, out, err = cli(*args)
    assert code == 2
    assert out == "" and err.startswith("csdesk: ") and err.count("\n") == 1
    assert stored_settings(db_path) == before
