from datetime import date

import pytest

from csdesk import formatting
from csdesk.rules.cnpj import format_cnpj, valid_cnpj
from csdesk.rules.names import name_key, normalize_domain


@pytest.mark.parametrize(
    ("cents", "language", "expected"),
    [
        (123456, "pt_BR", "R$ 1.234,56"),
        (123456, "en", "R$1,234.56"),
        (5, "pt_BR", "R$ 0,05"),
        (-100000, "pt_BR", "-R$ 1.000,00"),
        (123456789, "pt_BR", "R$ 1.234.567,89"),
    ],
)
def test_money(cents, language, expected):
    assert formatting.money(cents, "BRL", language) == expected


def test_dates_and_percentages():
    assert formatting.day(date(2026, 11, 25), "pt_BR") == "25/11/2026"
    assert formatting.day(date(2026, 11, 5), "en") == "Nov 5, 2026"
    assert formatting.percent(0.0625, 2, "pt_BR") == "6,25%"
    assert formatting.percent(0.0625, 1, "en") == "6.3%"
    assert formatting.percent(None) == ""


def test_decimal_to_cents_is_exact():
    assert formatting.decimal_to_cents("0.1") + formatting.decimal_to_cents("0.2") == 30
    assert formatting.decimal_to_cents("1234.565") == 123457


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Padaria Pitanga S/A", "padaria pitanga"),
        ("Rede Conceição S.A.", "REDE CONCEICAO"),
        ("Indústria Ipê Amarelo EPP", "Industria Ipe Amarelo"),
        ("Laboratório Cerrado EIRELI", "laboratorio cerrado"),
        ("Açougue Conceição ME", "Acougue Conceicao Ltda."),
    ],
)
def test_name_key_ignores_case_accents_punctuation_and_legal_suffixes(a, b):
    assert name_key(a) == name_key(b)


def test_name_key_keeps_different_companies_apart():
    assert name_key("Padaria Pitanga") != name_key("Padaria Cerrado")


def test_cnpj():
    assert valid_cnpj("59.083.016/0001-58")
    assert not valid_cnpj("59.083.016/0001-59")
    assert not valid_cnpj("11111111111111")
    assert format_cnpj("59083016000158") == "59.083.016/0001-58"


def test_domain():
    assert normalize_domain("https://www.Acme.com.br/contato") == "acme.com.br"
    assert normalize_domain("ana@acme.com.br") == "acme.com.br"


@pytest.mark.parametrize("language", ["pt_BR", "en"])
def test_written_out_separators_and_symbols_match_babels_cldr_data(language):
    from babel import Locale
    from babel.numbers import get_currency_symbol

    babel_locale = formatting._BABEL_LOCALE[language]
    symbols = Locale.parse(babel_locale).number_symbols["latn"]
    assert formatting.SEPARATORS[language] == (symbols["decimal"], symbols["group"])
    assert formatting._symbol("BRL", language) == get_currency_symbol("BRL", locale=babel_locale)
    assert formatting.money(150, "USD", language).startswith(get_currency_symbol("USD", locale=babel_locale))


@pytest.mark.parametrize(
    ("cents", "pt_br", "en"),
    [
        (123456, "R$ 1.235", "R$1,235"),
        (999_999_999, "R$ 10.000.000", "R$10,000,000"),  # below ten million: every digit
        (14_908_318_500, "R$ 149,1 mi", "R$149.1M"),
        (178_899_822_000, "R$ 1,79 bi", "R$1.79B"),
        (-250_000_000_000, "-R$ 2,50 bi", "-R$2.50B"),
    ],
)
def test_compact_money_for_headlines(cents, pt_br, en):
    assert formatting.compact_money(cents, "BRL", "pt_BR") == pt_br
    assert formatting.compact_money(cents, "BRL", "en") == en


@pytest.mark.parametrize(
    ("cents", "pt_br", "en"),
    [
        (95_000, "R$ 950", "R$950"),
        (150_000, "R$ 1,5 mil", "R$1.5k"),
        (77_500_000, "R$ 775 mil", "R$775k"),
        (123_456_789, "R$ 1,2 mi", "R$1.2M"),
        (123_456_789_012, "R$ 1,2 bi", "R$1.2B"),  # the headline's scale table, billions included
        (-77_500_000, "-R$ 775 mil", "-R$775k"),
        (12_345.6, "R$ 123", "R$123"),  # chart ticks are floats
    ],
)
def test_axis_money_for_chart_labels(cents, pt_br, en):
    assert formatting.axis_money(cents, "BRL", "pt_BR") == pt_br
    assert formatting.axis_money(cents, "BRL", "en") == en
    assert formatting.axis_money(None, "BRL", "en") == ""
