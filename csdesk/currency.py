"""Currencies: the one place for the rules of accounts kept in different currencies.

Each account keeps its contract currency (``Account.currency``, an ISO 4217
code). Portfolio totals are in the book's *base currency* (BRL unless the user
changes it), through dated exchange rates the user enters: a rate says how
many units of the base one unit of a currency is worth from its date on. An
amount is converted with the latest rate dated on or before the day asked
for; without one there is no conversion (``None``), and totals leave the
account out and say so. US$ are never summed as R$.

Recognising a currency (``recognise``) accepts ISO codes (``USD``), symbols
(``US$``, ``U$``, ``R$``, ``€``, ``$``) and pt-BR/English names (``Dólar``,
``reais``); ``amount_currency`` finds the currency an amount is written in
(``US$ 1.000,00``, ``1,000.00 USD``). Money is formatted by
``csdesk.formatting.money(cents, code)`` (``US$ 1.000,00`` / ``$1,000.00``).

For the metrics (and any per-period figure), per account at the period's end::

    rates = currency.load_rates(db)               # once per computation
    base_cents = rates.to_base(mrr_cents, account_currency, period_end)
    if base_cents is None: ...                    # no rate: leave it out, report rates.missing(...)

``Rates.to_base_array(cents, currencies, day)`` is the same rule over numpy
arrays (the book of business). Both round half up to the cent, exactly.

Storage: two data settings (``db.models.Setting``), no table of their own:
``currency.base`` (a code) and ``currency.rates`` = ``{base: {code: [[iso day,
"rate"], ...]}}``. Rates are kept per base currency, so changing the base
never reads rates entered against another one.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Any

from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.rules.names import fold

if TYPE_CHECKING:
    import numpy as np

    from db import Database

DEFAULT_BASE = "BRL"
BASE_KEY = "currency.base"
RATES_KEY = "currency.rates"
SETTING_KEYS = (BASE_KEY, RATES_KEY)
RATE_DECIMALS = 6  # 1 USD = 5.432100 BRL: finer than any published rate
MAX_RATE = Decimal(10) ** 9

# Symbols and names, folded and upper-cased (see _key). "$" alone is the US dollar:
# Brazilian files write R$ for reais, so a bare $ is never taken for reais.
_SYMBOLS = {
    "R$": "BRL",
    "US$": "USD",
    "U$": "USD",
    "U$S": "USD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "C$": "CAD",
    "CA$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "MX$": "MXN",
    "AR$": "ARS",
    "CLP$": "CLP",
    "COL$": "COP",
    "S/": "PEN",
    "$U": "UYU",
    "GS": "PYG",
    "REAL": "BRL",
    "REAIS": "BRL",
    "REAL BRASILEIRO": "BRL",
    "BRAZILIAN REAL": "BRL",
    "DOLAR": "USD",
    "DOLARES": "USD",
    "DOLAR AMERICANO": "USD",
    "DOLLAR": "USD",
    "DOLLARS": "USD",
    "US DOLLAR": "USD",
    "EURO": "EUR",
    "EUROS": "EUR",
    "LIBRA": "GBP",
    "LIBRA ESTERLINA": "GBP",
    "POUND": "GBP",
    "PESO ARGENTINO": "ARS",
    "PESO CHILENO": "CLP",
    "PESO MEXICANO": "MXN",
}

# The currency marks an amount may carry; values.parse_decimal strips these before reading
# the number, amount_currency reads them. Longest first, so "US$" is never read as "$".
AMOUNT_MARKS = tuple(
    sorted(
        {
            *(s for s in _SYMBOLS if not s.isalpha() and " " not in s),
            *("BRL", "USD", "EUR", "GBP", "ARS", "CLP", "MXN", "COP", "PEN", "UYU", "PYG", "CAD"),
        },
        key=lambda s: (-len(s), s),
    )
)
_COMMON_CODES = frozenset(m for m in AMOUNT_MARKS if m.isalpha() and len(m) == 3)  # no Babel for these
MARK_RE = re.compile("(?i)(" + "|".join(re.escape(m) for m in AMOUNT_MARKS) + ")")
# What an amount is made of besides its currency mark.
_NUMBER_CHARS = re.compile(r"[\d\s\u00a0\u202f.,'()+\-%]+")
# A column with none of these characters carries no currency mark at all.
_MAYBE_MARK = re.compile(r"[^\d\s\u00a0\u202f.,'()+\-%\x00]")


def _key(text: str) -> str:
    return " ".join(fold(text).upper().replace(".", " ").split())


@cache
def iso_codes() -> frozenset[str]:
    """Every ISO 4217 code Babel knows (BRL, USD, EUR, ARS...)."""
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def recognise(text: str | None) -> str | None:
    """The ISO code a code, symbol or name stands for (``US$`` -> USD); None when unknown."""
    if text is None:
        return None
    key = _key(text)
    if not key:
        return None
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    compact = key.replace(" ", "")
    if compact in _SYMBOLS:
        return _SYMBOLS[compact]
    if len(compact) == 3 and compact.isalpha() and (compact in _COMMON_CODES or compact in iso_codes()):
        return compact
    return None


def code(text: str) -> str:
    """``recognise`` for the user's own input: the code, or a UserError saying what to type."""
    found = recognise(text)
    if found is None:
        raise UserError(
            tr('"{value}" is not a currency; use a code such as BRL, USD or EUR.', value=text.strip())
        )
    return found


_recognised_mark = cache(recognise)  # a column repeats a handful of marks


def amount_currency(raw: str) -> str | None:
    """The currency an amount is written in (``US$ 1.000,00`` -> USD), None when it has no mark."""
    mark = _NUMBER_CHARS.sub("", raw)
    return _recognised_mark(mark) if mark else None


def amount_currencies(texts: list[str]) -> list[str | None]:
    """``amount_currency`` of each text, as one pass over the texts joined by NUL."""
    joined = "\x00".join(texts)
    if not texts or not _MAYBE_MARK.search(joined):
        return [None] * len(texts)
    marks = _NUMBER_CHARS.sub("", joined).split("\x00")
    if len(marks) != len(texts):  # a NUL inside a cell
        return [amount_currency(text) for text in texts]
    return [_recognised_mark(mark) if mark else None for mark in marks]


_RATE_RE = re.compile(r"\d+(?:\.\d+)?|\.\d+")


def parse_rate(text: str | Decimal | float | int) -> Decimal:
    """A rate as typed: ``5,43`` or ``5.43`` (also ``1.234,5`` / ``1,234.5``); above zero."""
    raw = str(text).strip()
    value = raw.replace(" ", "")
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    else:
        value = value.replace(",", ".")
    rate = Decimal(value) if _RATE_RE.fullmatch(value) else None
    if rate is None or rate <= 0 or rate >= MAX_RATE:
        raise UserError(
            tr('"{value}" is not an exchange rate; use a number above zero, such as 5,43.', value=raw)
        )
    if rate != rate.quantize(Decimal(1).scaleb(-RATE_DECIMALS), rounding=ROUND_HALF_UP):
        raise UserError(
            tr("{value}: an exchange rate has at most {n} decimal places.", value=raw, n=RATE_DECIMALS)
        )
    return rate


def _fraction(rate: Decimal) -> tuple[int, int]:
    numerator, denominator = rate.as_integer_ratio()
    return numerator, denominator


def _scale(cents: int, numerator: int, denominator: int) -> int:
    """cents x numerator / denominator, rounded half up (away from zero), exactly."""
    magnitude = (2 * abs(cents) * numerator + denominator) // (2 * denominator)
    return -magnitude if cents < 0 else magnitude


@dataclass(frozen=True)
class Rate:
    currency: str
    day: date
    rate: Decimal  # units of the base per unit of ``currency``

    def as_dict(self) -> dict[str, Any]:
        return {"currency": self.currency, "date": self.day.isoformat(), "rate": str(self.rate)}


@dataclass(frozen=True)
class Rates:
    """The base currency and the dated rates into it; converts amounts (see the module doc)."""

    base: str = DEFAULT_BASE
    table: dict[str, tuple[tuple[date, Decimal], ...]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, base: Any = None, rates: Any = None) -> Rates:
        """From the two stored settings' values (JSON text or already decoded; None = unset)."""
        base, rates = _decoded(base), _decoded(rates)
        base_code = recognise(base) if isinstance(base, str) else None
        base_code = base_code or DEFAULT_BASE
        by_currency = rates.get(base_code) if isinstance(rates, dict) else None
        table: dict[str, tuple[tuple[date, Decimal], ...]] = {}
        for currency, entries in (by_currency or {}).items():
            days: dict[date, Decimal] = {}
            for entry in entries if isinstance(entries, list) else ():
                try:
                    day, value = date.fromisoformat(entry[0]), Decimal(str(entry[1]))
                except (TypeError, ValueError, IndexError, InvalidOperation):
                    continue  # a hand-edited setting: skip what cannot be read
                if value.is_finite() and value > 0:
                    days[day] = value
            if days and currency != base_code:
                table[currency] = tuple(sorted(days.items()))
        return cls(base_code, table)

    def settings_value(self, stored: Any) -> dict[str, Any]:
        """The ``currency.rates`` setting with this base's rates replaced by ``table``."""
        stored = _decoded(stored)
        value = dict(stored) if isinstance(stored, dict) else {}
        value[self.base] = {
            currency: [[day.isoformat(), str(rate)] for day, rate in entries]
            for currency, entries in sorted(self.table.items())
        }
        return value

    def entries(self) -> list[Rate]:
        """Every rate, by currency then date."""
        return [
            Rate(currency, day, rate)
            for currency, entries in sorted(self.table.items())
            for day, rate in entries
        ]

    def rate(self, currency: str | None, day: date) -> Decimal | None:
        """Units of the base per unit of ``currency`` on ``day``: the latest rate on or before it."""
        currency = currency or DEFAULT_BASE
        if currency == self.base:
            return Decimal(1)
        entries = self.table.get(currency)
        if not entries:
            return None
        position = bisect.bisect_right(entries, day, key=lambda entry: entry[0])
        return entries[position - 1][1] if position else None

    def to_base(self, cents: int, currency: str | None, day: date) -> int | None:
        """``cents`` of ``currency`` in cents of the base on ``day``; None without a rate."""
        rate = self.rate(currency, day)
        if rate is None:
            return None
        if rate == 1:
            return int(cents)
        return _scale(int(cents), *_fraction(rate))

    def to_base_array(
        self, cents: np.ndarray, currencies: np.ndarray, day: date
    ) -> tuple[np.ndarray, np.ndarray]:
        """``to_base`` over arrays: (int64 cents in the base, 0 where not converted; converted mask).

        ``currencies`` is an object array of codes (None = the default, BRL).
        """
        import numpy as np

        cents = np.asarray(cents, dtype=np.int64)
        out = np.zeros(len(cents), dtype=np.int64)
        converted = np.zeros(len(cents), dtype=bool)
        values = np.asarray(currencies, dtype=object)
        # Small-int codes per row (dict lookups in C), then one int comparison per currency.
        index = {code: i for i, code in enumerate(set(values.tolist()))}
        positions = np.fromiter(map(index.__getitem__, values), dtype=np.int32, count=len(values))
        for currency, k in index.items():
            mask = positions == k
            rate = self.rate(currency, day)
            if rate is None:
                continue
            converted |= mask
            if rate == 1:
                out[mask] = cents[mask]
                continue
            numerator, denominator = _fraction(rate)
            amounts = cents[mask]
            peak = int(np.abs(amounts).max()) if len(amounts) else 0
            if 2 * peak * numerator + denominator < 2**62:
                magnitude = (2 * np.abs(amounts) * numerator + denominator) // (2 * denominator)
                out[mask] = np.where(amounts < 0, -magnitude, magnitude)
            else:  # beyond int64: Python's integers
                out[mask] = [_scale(v, numerator, denominator) for v in amounts.tolist()]
        return out, converted

    def missing(self, currencies, day: date) -> list[str]:
        """The currencies among ``currencies`` that have no rate on ``day``, sorted."""
        return sorted({c or DEFAULT_BASE for c in currencies if self.rate(c, day) is None})

    def with_rate(self, currency: str, day: date, rate: Decimal) -> Rates:
        entries = dict(self.table.get(currency, ()))
        entries[day] = rate
        return Rates(self.base, {**self.table, currency: tuple(sorted(entries.items()))})

    def without_rate(self, currency: str, day: date) -> Rates:
        entries = dict(self.table.get(currency, ()))
        entries.pop(day, None)
        table = {**self.table, currency: tuple(sorted(entries.items()))}
        if not entries:
            table.pop(currency)
        return Rates(self.base, table)


def _decoded(value: Any) -> Any:
    if isinstance(value, str | bytes) and value[:1] in ('"', "{", "[", b'"', b"{", b"["):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def unconverted_text(unconverted, language: str | None = None) -> str:
    """``3 contas em USD sem câmbio fora do total``: one part per (currency, accounts) pair."""
    from csdesk import formatting

    parts = [
        tr("1 account in {code} without an exchange rate, left out of the totals", language, code=code)
        if count == 1
        else tr(
            "{n} accounts in {code} without an exchange rate, left out of the totals",
            language,
            n=formatting.number(count, 0, language),
            code=code,
        )
        for code, count in unconverted
    ]
    return "; ".join(parts)


# Stored settings -------------------------------------------------------------------


def _read_settings(db: Database) -> tuple[Any, Any]:
    from db.models import Setting

    with db.session() as session:
        base = session.get(Setting, BASE_KEY)
        rates = session.get(Setting, RATES_KEY)
        return (base.value if base else None, rates.value if rates else None)


def load_rates(db: Database, base: str | None = None) -> Rates:
    """The base currency and its rates as stored in ``db`` (or the rates entered into ``base``)."""
    stored_base, stored_rates = _read_settings(db)
    return Rates.from_settings(base or stored_base, stored_rates)


def base_currency(db: Database) -> str:
    return load_rates(db).base


def _write(session, key: str, value: Any) -> None:
    from db.models import Setting

    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def _save(db: Database, change) -> Rates:
    """Apply ``change(rates) -> rates`` in one write transaction (read and write together)."""
    from db.models import Setting

    with db.transaction() as session:
        base = session.get(Setting, BASE_KEY)
        stored = session.get(Setting, RATES_KEY)
        rates = Rates.from_settings(base.value if base else None, stored.value if stored else None)
        updated = change(rates)
        _write(session, RATES_KEY, updated.settings_value(stored.value if stored else None))
    return updated


def set_rate(db: Database, currency: str, rate: str | Decimal | float, day: date) -> Rate:
    """Store (or replace) the rate of ``currency`` into the base from ``day`` on."""
    currency = code(currency)
    value = parse_rate(rate)
    base = base_currency(db)
    if currency == base:
        raise UserError(tr("{code} is the base currency: its rate is always 1.", code=currency))
    _save(db, lambda rates: rates.with_rate(currency, day, value))
    return Rate(currency, day, value)


def remove_rate(db: Database, currency: str, day: date) -> bool:
    """Forget one dated rate; False when there was none."""
    currency = code(currency)
    found = load_rates(db).table.get(currency, ())
    if not any(d == day for d, _ in found):
        return False
    _save(db, lambda rates: rates.without_rate(currency, day))
    return True


def save_rates(db: Database, base: str, entries: list[Rate]) -> Rates:
    """Make ``base`` the base currency and ``entries`` exactly its rates, in one transaction
    (the settings dialog saves this way). Rates entered into other bases are kept."""
    from db.models import Setting

    base = code(base)
    table: dict[str, dict[date, Decimal]] = {}
    for entry in entries:
        if entry.currency == base:
            raise UserError(tr("{code} is the base currency: its rate is always 1.", code=entry.currency))
        table.setdefault(code(entry.currency), {})[entry.day] = parse_rate(entry.rate)
    rates = Rates(base, {c: tuple(sorted(days.items())) for c, days in table.items()})
    with db.transaction() as session:
        stored = session.get(Setting, RATES_KEY)
        _write(session, BASE_KEY, base)
        _write(session, RATES_KEY, rates.settings_value(stored.value if stored else None))
    return rates


def set_base_currency(db: Database, currency: str) -> str:
    found = code(currency)
    with db.transaction() as session:
        _write(session, BASE_KEY, found)
    return found


def account_currencies(db: Database) -> dict[str, int]:
    """How many active accounts are kept in each currency (the ones the totals count)."""
    from sqlalchemy import func, select

    from db.models import Account

    query = (
        select(Account.currency, func.count()).where(Account.status == "active").group_by(Account.currency)
    )
    with db.session() as session:
        rows = session.execute(query).all()
    counts: dict[str, int] = {}
    for currency, count in rows:
        key = currency or DEFAULT_BASE
        counts[key] = counts.get(key, 0) + int(count)
    return counts
