"""Reading money and dates typed in forms."""

from datetime import date

import pytest

from csdesk.forms import InputError, format_money_input, parse_day, parse_money


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1.234,56", 123456),
        ("R$ 1.234,56", 123456),
        ("1234,5", 123450),
        ("1.234", 123400),
        ("1234.56", 123456),
        ("1.234.567", 123456700),
        ("", 0),
        ("-12,00", -1200),
    ],
)
def test_parse_money_pt_br(text, cents):
    assert parse_money(text, "pt_BR") == cents


def test_parse_money_english():
    assert parse_money("$1,234.56", "en") == 123456
    assert parse_money("1234", "en") == 123400


@pytest.mark.parametrize("text", ["abc", "1,2,3", "12,345", "1.23.4", "1,234.5,6"])
def test_parse_money_refuses_nonsense(text):
    with pytest.raises(InputError):
        parse_money(text, "pt_BR")


def test_money_input_roundtrip():
    assert format_money_input(123456, "pt_BR") == "1.234,56"
    assert format_money_input(123456, "en") == "1,234.56"
    assert parse_money(format_money_input(987654321, "pt_BR"), "pt_BR") == 987654321


def test_parse_day():
    assert parse_day("25/11/2026") == date(2026, 11, 25)
    assert parse_day("5/1/27") == date(2027, 1, 5)
    assert parse_day("2026-11-25") == date(2026, 11, 25)
    assert parse_day(" ") is None
    with pytest.raises(InputError):
        parse_day("31/02/2026")
    with pytest.raises(InputError):
        parse_day("next week")
