"""The domain's rules, written once in csdesk.rules: names, the CNPJ (numeric and alphanumeric)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from csdesk import importing
from csdesk.rules import calendar, cnpj, names
from db.models import Account


def test_the_alphanumeric_cnpj_is_valid_and_its_check_digits_are_the_receitas():
    assert cnpj.valid_cnpj("12.ABC.345/01DE-35")
    assert cnpj.valid_cnpj("12.abc.345/01de-35")  # written in lower case
    assert not cnpj.valid_cnpj("12.ABC.345/01DE-36")
    assert not cnpj.valid_cnpj("12.ABC.345/01DE-3A")  # check digits are digits
    assert cnpj.valid_cnpj("11.222.333/0001-81") and cnpj.valid_cnpj("CNPJ 11.222.333/0001-81")
    assert not cnpj.valid_cnpj("11.111.111/1111-11") and not cnpj.valid_cnpj("")
    assert cnpj.normalize_cnpj("12.abc.345/01de-35") == "12ABC34501DE35"
    assert cnpj.format_cnpj("12ABC34501DE35") == "12.ABC.345/01DE-35"
    assert cnpj.format_cnpj("11222333000181") == "11.222.333/0001-81"


@given(st.lists(st.text(alphabet="0123456789ABCDEFabc./- ", max_size=20), max_size=20))
def test_a_column_of_cnpjs_is_the_rule_per_value(values):
    numbers = cnpj.normalize_many(values)
    assert numbers == [cnpj.normalize_cnpj(v) for v in values]
    assert cnpj.valid_many(numbers).tolist() == [cnpj.valid_cnpj(v) for v in values]


@given(st.text())
def test_folding_by_table_is_the_rule(text):
    assert names.fold(text) == names._fold_definition(text)


@given(st.lists(st.text(), max_size=12))
def test_a_column_of_name_keys_is_the_rule_per_name(values):
    assert names.name_keys(values) == [names.name_key(v) for v in values]


def test_an_alphanumeric_cnpj_is_imported_and_matched(db, tmp_path):
    path = tmp_path / "carteira.csv"
    path.write_text("Empresa;CNPJ;MRR\nHotel Pitanga;12.ABC.345/01DE-35;R$ 890,18\n", encoding="utf-8")
    result = importing.run_import(db, importing.prepare(path))
    assert (result.created, result.rejected) == (1, 0)
    with db.session() as session:
        assert session.query(Account.cnpj).scalar() == "12ABC34501DE35"
    # Another file names the account by its CNPJ, written another way.
    renamed = tmp_path / "novo_nome.csv"
    renamed.write_text("Empresa;CNPJ;MRR\nPitanga Hotéis;12abc34501de35;R$ 890,18\n", encoding="utf-8")
    result = importing.run_import(db, importing.prepare(renamed))
    assert (result.created, result.rejected) == (0, 0)  # the same account, not a new one
    with db.session() as session:
        assert session.query(Account).count() == 1


def test_one_add_months_keeps_the_day_clamped_to_the_months_end():
    assert calendar.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert calendar.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert calendar.add_months(date(2026, 3, 1), -14) == date(2025, 1, 1)
    assert calendar.add_months(date(2026, 11, 25), 2) == date(2027, 1, 25)


def test_months_between_counts_calendar_months_then_the_days_left_over():
    assert calendar.months_between(date(2026, 1, 1), date(2026, 4, 1)) == 3
    assert calendar.months_between(date(2026, 1, 10), date(2026, 4, 10)) == 3
    assert calendar.months_between(date(2026, 2, 1), date(2026, 3, 1)) == 1  # 28 days, one month
    assert calendar.months_between(date(2026, 1, 1), date(2026, 1, 16)) == 15 / 30.4375
    assert calendar.months_between(date(2026, 1, 31), date(2026, 3, 1)) == 2 - 30 / 30.4375
    assert calendar.whole_months_between(date(2025, 3, 10), date(2026, 3, 9)) == 11
    assert calendar.whole_months_between(date(2025, 3, 10), date(2026, 3, 10)) == 12
    assert calendar.whole_months_between(date(2026, 3, 10), date(2025, 3, 10)) == 0


DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))


@given(DAYS, DAYS, DAYS)
def test_months_between_adds_up_and_its_column_form_is_the_same_rule(a, b, c):
    a, b, c = sorted((a, b, c))
    whole = calendar.months_between(a, c)
    assert abs(calendar.months_between(a, b) + calendar.months_between(b, c) - whole) < 1e-9
    epoch = date(1970, 1, 1)
    column = calendar.months_between_days([(a - epoch).days, (b - epoch).days], [(c - epoch).days] * 2)
    assert abs(column[0] - whole) < 1e-9
    assert abs(column[1] - calendar.months_between(b, c)) < 1e-9


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 28)), st.integers(0, 240))
def test_months_between_a_day_and_the_same_day_months_later_is_whole(day, months):
    later = calendar.add_months(day, months)
    if later.day == day.day:  # not clamped to a shorter month's end
        assert calendar.months_between(day, later) == months
        assert calendar.whole_months_between(day, later) == months


def test_quarters_are_calendar_quarters():
    assert calendar.quarter_of(date(2026, 11, 25)) == (date(2026, 10, 1), date(2026, 12, 31), "2026Q4")
    assert calendar.quarter_number(date(2026, 3, 31)) == 1
    assert calendar.last_full_quarter(date(2026, 1, 5)) == (date(2025, 10, 1), date(2025, 12, 31))
