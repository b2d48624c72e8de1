"""The Indicadores presets: each a different, correct period, on every day of a year."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from csdesk.periods import PRESETS, preset_period


def days_of(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def test_december():
    today = date(2026, 12, 6)
    assert preset_period("last_12_months", today) == (date(2025, 12, 1), date(2026, 11, 30))
    assert preset_period("this_year", today) == (date(2026, 1, 1), today)
    assert preset_period("this_month", today) == (date(2026, 12, 1), today)
    assert preset_period("last_month", today) == (date(2026, 11, 1), date(2026, 11, 30))
    assert preset_period("last_quarter", today) == (date(2026, 7, 1), date(2026, 9, 30))
    assert preset_period("custom", today) is None


@pytest.mark.parametrize("year", [2026, 2028])  # and a leap year
def test_every_day_presets_are_distinct_and_well_formed(year):
    for today in days_of(year):
        periods = {key: preset_period(key, today) for key in PRESETS if key != "custom"}
        for start, end in periods.values():
            assert start <= end <= today
        last12 = periods["last_12_months"]
        assert (last12[1] - last12[0]).days + 1 in (365, 366)  # twelve full months
        assert last12[1] == today.replace(day=1) - timedelta(days=1)
        different = [p for k, p in periods.items() if k != "this_month" or today.month != 1]
        if today.month == 1:  # January: this month and this year are the same days, by definition
            assert periods["this_month"] == periods["this_year"]
        assert len(set(different)) == len(different), today
