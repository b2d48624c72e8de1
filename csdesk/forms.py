"""Reading what people type in forms: money and dates as Brazilians write them."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from csdesk import i18n, limits
from csdesk.formatting import decimal_to_cents
from csdesk.i18n import tr

_MONEY_CHARS = re.compile(r"^-?[\d.,]+$")
_DAY_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class InputError(ValueError):
    """What the user typed cannot be read; the message says what to type."""


def parse_money(text: str, language: str | None = None) -> int:
    """``1.234,56`` (pt-BR) or ``1,234.56`` (en), with or without ``R$`` -> cents.

    A lone separator followed by one or two digits is read as the decimal
    separator whatever the language (``1234.5`` is never 12 345).
    """
    language = language or i18n.current_language()
    cleaned = re.sub(r"\s|R\$|\$|BRL|USD|EUR|€", "", text or "", flags=re.IGNORECASE)
    if not cleaned:
        return 0
    example = "1.234,56" if language == "pt_BR" else "1,234.56"
    if not _MONEY_CHARS.match(cleaned):
        raise InputError(tr("Type an amount such as {example}.", example=example))
    sign = -1 if cleaned.startswith("-") else 1
    cleaned = cleaned.lstrip("-")
    decimal_sep, group_sep = (",", ".") if language == "pt_BR" else (".", ",")
    last_dot, last_comma = cleaned.rfind("."), cleaned.rfind(",")
    if decimal_sep in cleaned:
        integer, _, fraction = cleaned.rpartition(decimal_sep)
        if group_sep in fraction or decimal_sep in integer:
            raise InputError(tr("Type an amount such as {example}.", example=example))
    elif (
        group_sep in cleaned
        and cleaned.count(group_sep) == 1
        and len(cleaned) - max(last_dot, last_comma) <= 3
    ):
        # "1234.5" typed in pt-BR (or "12,5" in English): a decimal point, not grouping.
        integer, _, fraction = cleaned.rpartition(group_sep)
    else:
        integer, fraction = cleaned, ""
    groups = integer.split(group_sep)
    if any(not g for g in groups) or (len(groups) > 1 and any(len(g) != 3 for g in groups[1:])):
        raise InputError(tr("Type an amount such as {example}.", example=example))
    if len(fraction) > 2 or (fraction and not fraction.isdigit()):
        raise InputError(tr("Use at most two decimal places (cents)."))
    number = "".join(groups) + ("." + fraction if fraction else "")
    if not limits.amount_ok(Decimal(number) * 100):  # before rounding: 29 digits would not round
        raise InputError(limits.too_large_amount(text))
    return sign * decimal_to_cents(number)


def parse_day(text: str) -> date | None:
    """``25/11/2026``, ``25/11/26`` or ``2026-11-25`` -> a date; '' -> None."""
    text = (text or "").strip()
    if not text:
        return None
    match = _DAY_RE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            if year < 100:
                year += 2000
            return date(year, month, day)
        match = _ISO_RE.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        raise InputError(tr("This date does not exist: check the day and the month.")) from None
    raise InputError(tr("Type the date as dd/mm/yyyy, for example 25/11/2026."))


def format_day_input(value: date | None) -> str:
    """How a date is shown in an input field (always dd/mm/yyyy)."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if value else ""


def format_money_input(cents: int, language: str | None = None) -> str:
    """Cents as typed in a field: ``1.234,56`` (pt-BR), ``1,234.56`` (en), no symbol."""
    language = language or i18n.current_language()
    units, rest = divmod(abs(cents), 100)
    group = "." if language == "pt_BR" else ","
    dec = "," if language == "pt_BR" else "."
    sign = "-" if cents < 0 else ""
    return f"{sign}{units:,}".replace(",", group) + f"{dec}{rest:02d}"
