"""Money, numbers and dates as each language writes them.

Hand-rolled on purpose: the book formats hundreds of thousands of cells, and
Babel's general formatter is ~50x slower than this. The separators of the two
UI languages are written out (a test holds them to Babel's CLDR data: loading
it costs start-up ~30 ms); currency symbols come from Babel.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from csdesk import i18n

_BABEL_LOCALE = {"pt_BR": "pt_BR", "en": "en_US"}
# Not strftime's %b: Qt sets the C locale, which would translate month names.
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


SEPARATORS = {"pt_BR": (",", "."), "en": (".", ",")}  # (decimal, group)
_COMMON_SYMBOLS = {("BRL", "pt_BR"): "R$", ("BRL", "en"): "R$"}


@cache
def _symbol(currency: str, language: str) -> str:
    if (currency, language) in _COMMON_SYMBOLS:
        return _COMMON_SYMBOLS[(currency, language)]
    from babel.numbers import get_currency_symbol

    return get_currency_symbol(currency, locale=_BABEL_LOCALE[language])


def _group(integer: int, group_sep: str) -> str:
    return f"{integer:,}".replace(",", group_sep)


def decimal_to_cents(value: Decimal | int | float | str) -> int:
    """Exact conversion to integer cents, rounding half up."""
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(
    cents: int | None, currency: str = "BRL", language: str | None = None, *, decimals: bool = True
) -> str:
    """``R$ 1.234,56`` in pt-BR, ``R$1,234.56`` in English; '' for None."""
    if cents is None:
        return ""
    language = language or i18n.current_language()
    dec, grp = SEPARATORS[language]
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    if decimals:
        number = f"{_group(units, grp)}{dec}{rest:02d}"
    else:
        number = _group(units + (1 if rest >= 50 else 0), grp)
    symbol = _symbol(currency, language)
    gap = " " if language == "pt_BR" else ""
    return f"{sign}{symbol}{gap}{number}"


# Big totals as the Brazilian financial press writes them: R$ 149,1 mi, R$ 1,79 bi, R$ 775 mil.
_SCALES = {
    "pt_BR": ((10**9, "bi"), (10**6, "mi"), (10**3, "mil")),
    "en": ((10**9, "B"), (10**6, "M"), (10**3, "k")),
}


def _scaled(
    cents: float, currency: str, language: str, units: float, scale: int, suffix: str, digits: int
) -> str:
    value = number(units / scale, digits, language)
    sign = "-" if cents < 0 else ""
    gap = " " if language == "pt_BR" else ""
    return f"{sign}{_symbol(currency, language)}{gap}{value}{gap}{suffix}"


def compact_money(cents: int | None, currency: str = "BRL", language: str | None = None) -> str:
    """Money for a headline: whole units below ten million, then ``R$ 149,1 mi`` / ``R$149.1M``."""
    if cents is None:
        return ""
    language = language or i18n.current_language()
    units = abs(cents) / 100
    if units < 10**7:
        return money(cents, currency, language, decimals=False)
    scale, suffix = next((s, x) for s, x in _SCALES[language] if units >= s)
    return _scaled(cents, currency, language, units, scale, suffix, 2 if units < 10 * scale else 1)


def axis_money(cents: float | None, currency: str = "BRL", language: str | None = None) -> str:
    """Money for a chart label, as short as it reads: ``R$ 1,2 mi``, ``R$ 775 mil``, ``R$ 1,5 mil``, ``R$ 950``.

    The same scales and symbols as :func:`compact_money`, from a thousand up (and one
    decimal, but none for ten thousand or more).
    """
    if cents is None:
        return ""
    language = language or i18n.current_language()
    units = abs(cents) / 100
    if units < 1000:
        sign = "-" if cents < 0 else ""
        gap = " " if language == "pt_BR" else ""
        return f"{sign}{_symbol(currency, language)}{gap}{number(units, 0, language)}"
    scale, suffix = next((s, x) for s, x in _SCALES[language] if units >= s)
    digits = 0 if scale == 1000 and units >= 10_000 else 1
    return _scaled(cents, currency, language, units, scale, suffix, digits)


def number(value: float | int | None, digits: int = 0, language: str | None = None) -> str:
    if value is None:
        return ""
    language = language or i18n.current_language()
    dec, grp = SEPARATORS[language]
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{exact:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", dec).replace("\x00", grp)


def percent(fraction: float | None, digits: int = 1, language: str | None = None) -> str:
    """0.0625 -> ``6,3%`` (pt-BR) / ``6.3%`` (en); '' for None (undefined)."""
    if fraction is None:
        return ""
    return number(fraction * 100, digits, language) + "%"


def day(value: date | None, language: str | None = None) -> str:
    """``25/11/2026`` in pt-BR, ``Nov 25, 2026`` in English."""
    if value is None:
        return ""
    language = language or i18n.current_language()
    if language == "en":
        return f"{_EN_MONTHS[value.month - 1]} {value.day}, {value.year}"
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def moment(value: datetime | None, language: str | None = None) -> str:
    if value is None:
        return ""
    language = language or i18n.current_language()
    return f"{day(value.date(), language)} {value:%H:%M}"
