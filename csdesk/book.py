"""The book of business for display: every account in column-wise numpy arrays.

The main window shows up to 50,000 accounts and must search, filter, sort and
total them between two keystrokes. So the book is loaded with a single query
into one numpy array per column and every operation here works on whole arrays
of row positions, never row by row in Python.

This module is on the start-up path: it imports numpy only (no pandas, no
SQLAlchemy), and reads the database through one DB-API connection.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from csdesk import clock, team, vocab
from csdesk.currency import DEFAULT_BASE, SETTING_KEYS, Rates
from csdesk.rules.names import digits, fold, fold_many, fold_value
from csdesk.rules.plans import WORST_FIRST, statuses_by_account

if TYPE_CHECKING:
    from collections.abc import Sequence

    from db import Database

# Columns read from the accounts table, in query order. Plain SQL (no ORM
# objects, no per-row type conversion) keeps 50,000 rows well under a second.
QUERY_COLUMNS = (
    "id",
    "name",
    "name_key",
    "cnpj",
    "domain",
    "segment",
    "stage",
    "status",
    "mrr_cents",
    "currency",
    "renewal_date",
    "health_score",
    "health_band",
    "health_trend",
    "last_touch_at",
    "last_nps",
    "owner",
    "licensed_users",
    "active_users",
)
# No ORDER BY: walking the name index costs a random row lookup per account
# (~1.7x a plain table scan at 50,000); build_book sorts by (name_key, id) itself.
_QUERY_TEXT = f"SELECT {', '.join(QUERY_COLUMNS)} FROM accounts"
# The base currency and exchange rates (csdesk.currency): the keys are constants, not user input.
_RATES_QUERY_TEXT = "SELECT key, value FROM settings WHERE key IN ({})".format(
    ", ".join(f"'{key}'" for key in SETTING_KEYS)
)
# Each live plan with its milestones, for the book's plan column (see _plan_statuses).
_PLAN_QUERY_TEXT = (
    "SELECT p.id, p.account_id, p.status, m.status, m.due_date FROM success_plans p"
    " LEFT JOIN milestones m ON m.plan_id = p.id WHERE p.status != 'archived'"
)

STATUS_FILTERS = ("active", "churned", "all")
NO_SCORE = "none"  # health-band filter value for accounts without a score yet
RENEWAL_HORIZON_DAYS = 90
_LIST_COLUMNS = (
    "id",
    "name",
    "cnpj",
    "domain",
    "segment",
    "stage",
    "status",
    "mrr_cents",
    "arr_cents",
    "currency",
    "health_score",
    "health_band",
    "health_trend",
    "last_nps",
    "owner",
    "renewal_days",
    "touch_days",
    "plan_status",
)
_CODE_ORDERS = {
    "status": vocab.STATUSES,
    "segment": vocab.SEGMENTS,
    "stage": vocab.STAGES,
    "health_band": vocab.HEALTH_BANDS,
}
AT_RISK_BANDS = ("yellow", "red")
PLAN_STATUS_ORDER = WORST_FIRST

_CNPJ_TERM = re.compile(r"^[\d./\-]+$")
_DOMAIN_TERM = re.compile(r"^[a-z0-9.\-]+$")
_NON_WORD = re.compile(r"[^a-z0-9]+")


_REAL_COLUMNS = ("health_score", "health_trend", "last_nps", "licensed_users", "active_users")
_DAY_COLUMNS = ("renewal_date", "last_touch_at")
# The other queried columns, but the id and the money, are text.
_TEXT_COLUMNS = tuple(c for c in QUERY_COLUMNS if c not in ("id", "mrr_cents", *_REAL_COLUMNS, *_DAY_COLUMNS))


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object array holding ``values`` as they are (text columns: None for missing)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _reals(values: np.ndarray) -> np.ndarray:
    """Number column (object array) as float, NaN for missing or unreadable values."""
    try:
        return values.astype(float)  # None -> NaN
    except (TypeError, ValueError):
        return np.array([_real(v) for v in values], dtype=float)


def _real(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _ints(values: np.ndarray) -> np.ndarray:
    """Id column (object array) as int64."""
    return values.astype(np.int64)


def _cents(values: np.ndarray) -> np.ndarray:
    """Money column (object array) as int64 cents, 0 for missing."""
    try:
        return values.astype(np.int64)
    except (TypeError, ValueError):
        reals = _reals(values)
        return np.where(np.isnan(reals), 0, reals).astype(np.int64)


def _day_text(value: Any) -> str:
    # SQLite hands back ISO text (a DateTime as "2026-11-16 13:00:00", see db.encoding);
    # other databases hand back date or datetime objects.
    if value is None:
        return "NaT"
    if isinstance(value, str):
        return value[:10] or "NaT"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "NaT"


def _days(values: np.ndarray) -> np.ndarray:
    """Date column as datetime64[D] (the day of a date-time), NaT for missing or unreadable."""
    try:
        # numpy reads ISO dates, ISO date-times ("2026-11-16 13:00:00", with or without a fraction), date
        # and datetime objects and None (NaT) in C; the per-value path is the fallback.
        return np.array(values, dtype="datetime64[us]").astype("datetime64[D]")
    except (TypeError, ValueError):
        pass
    texts = [_day_text(v) for v in values]
    try:
        return np.array(texts, dtype="datetime64[D]")
    except ValueError:
        return np.array([_day_or_nat(t) for t in texts], dtype="datetime64[D]")


def _day_or_nat(text: str) -> np.datetime64:
    try:
        return np.datetime64(text, "D")
    except ValueError:
        return np.datetime64("NaT", "D")


def _days_between(later: np.ndarray, earlier: np.ndarray | np.datetime64) -> np.ndarray:
    """Whole days from ``earlier`` to ``later`` as float, NaN where either is NaT."""
    delta = (later - earlier).astype("timedelta64[D]")
    out = delta.astype(np.int64).astype(float)
    out[np.isnat(delta)] = np.nan
    return out


@dataclass(frozen=True)
class BookFilter:
    """What a view shows: a search text plus filters (empty set = no filter)."""

    search: str = ""
    status: str = "active"
    segments: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    bands: frozenset[str] = frozenset()  # green | yellow | red | NO_SCORE
    renewal_within: int | None = None  # days from today, renewals already past excluded
    no_touch_for: int | None = None  # days without a touch (never touched counts)
    expansion: bool = False  # only expansion candidates (csdesk.expansion.candidate_mask)
    owner: str | None = None  # one CSM's accounts (team mode's "My book"): csdesk.team.is_mine
    # The accounts behind a figure of the Indicadores page (a drill-down), with what they are.
    accounts: frozenset[int] = frozenset()
    accounts_label: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = {
            "owner": self.owner,
            "search": self.search,
            "status": self.status,
            "segments": sorted(self.segments),
            "stages": sorted(self.stages),
            "bands": sorted(self.bands),
            "renewal_within": self.renewal_within,
            "no_touch_for": self.no_touch_for,
            "expansion": self.expansion,
        }
        if self.accounts:
            data |= {"accounts": sorted(self.accounts), "accounts_label": self.accounts_label}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BookFilter:
        def days(value: Any) -> int | None:
            try:
                return int(value) if value not in (None, "") else None
            except (TypeError, ValueError):
                return None

        status = data.get("status", "active")
        return cls(
            search=str(data.get("search") or ""),
            status=status if status in STATUS_FILTERS else "active",
            segments=frozenset(s for s in data.get("segments") or () if s in vocab.SEGMENTS),
            stages=frozenset(s for s in data.get("stages") or () if s in vocab.STAGES),
            bands=frozenset(b for b in data.get("bands") or () if b in (*vocab.HEALTH_BANDS, NO_SCORE)),
            renewal_within=days(data.get("renewal_within")),
            no_touch_for=days(data.get("no_touch_for")),
            expansion=bool(data.get("expansion")),
            owner=str(data["owner"]) if data.get("owner") else None,
            accounts=frozenset(int(a) for a in data.get("accounts") or () if str(a).isdigit()),
            accounts_label=str(data.get("accounts_label") or ""),
        )

    def without_search(self) -> BookFilter:
        return replace(self, search="")


@dataclass
class Book:
    """All accounts, column-wise, loaded at ``today``; rows are positions in every column.

    ``columns`` maps a name to one numpy array per column, all in name order:
    text as object arrays (None = missing), ``id``/``mrr_cents``/``arr_cents`` as
    int64, scores, NPS and day counts as float (NaN = missing), ``renewal_date``
    and ``last_touch_at`` (its day) as datetime64[D] (NaT = missing).
    ``base_mrr_cents`` is the MRR in the base currency at ``today``'s rate, where
    ``in_base`` says a rate exists (the account's own currency is in ``currency``).
    """

    columns: dict[str, np.ndarray]
    today: date
    _ranks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _search_keys: np.ndarray | None = field(default=None, repr=False)
    _codes: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _currency: str | None = field(default=None, repr=False)
    _lists: dict[str, list | np.ndarray] | None = field(default=None, repr=False)
    _orders: dict[tuple[str | None, bool], np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.columns["id"])

    @property
    def all_rows(self) -> np.ndarray:
        return np.arange(len(self), dtype=np.int64)

    def column(self, name: str) -> np.ndarray:
        return self.columns[name]

    def position_of(self, account_id: int) -> int | None:
        hits = np.flatnonzero(self.columns["id"] == account_id)
        return int(hits[0]) if len(hits) else None

    def owners(self) -> list[str]:
        """Distinct owners, in name order of their first account."""
        return [str(o) for o in dict.fromkeys(self.columns["owner"].tolist()) if o is not None]

    def set_plan_statuses(self, statuses: dict[int, str]) -> None:
        """Fill the plan column (account id -> on_track | late | done; others None)."""
        get = statuses.get
        self.columns["plan_status"] = _objects([get(i) for i in self.columns["id"].tolist()])
        self._ranks.pop("plan", None)
        self._orders = {k: v for k, v in self._orders.items() if k[0] != "plan"}
        if self._lists is not None:
            self._lists["plan_status"] = self.columns["plan_status"].tolist()

    @property
    def search_keys(self) -> np.ndarray:
        """Name key, CNPJ digits, domain and folded owner of each row, one string per row.

        ``name_key`` is already folded by whoever wrote the account (see
        csdesk.rules.names.name_key), so only the few distinct owners are folded here.
        """
        if self._search_keys is None:
            c = self.columns
            self._search_keys = _objects(
                [
                    f"{n or ''}\x1f{k or ''}\x1f{d or ''}\x1f{o}"
                    for n, k, d, o in zip(
                        c["name_key"].tolist(),
                        [k.lower() if k else k for k in c["cnpj"].tolist()],  # alphanumeric ones too
                        c["domain"].tolist(),
                        fold_many(c["owner"].tolist()),
                        strict=True,
                    )
                ]
            )
        return self._search_keys

    def codes(self, name: str) -> np.ndarray:
        """Small-integer codes of a vocabulary column (-1 = none), for fast vectorised tests.

        Comparing 50,000 Python strings costs milliseconds; comparing int8 codes, microseconds.
        """
        if name not in self._codes:
            self._codes[name] = _vocab_codes(self.columns[name], _CODE_ORDERS[name])
        return self._codes[name]

    @property
    def currency(self) -> str:
        """The base currency: totals are in it (csdesk.currency)."""
        return self._currency or DEFAULT_BASE

    @property
    def lists(self) -> dict[str, list | np.ndarray]:
        """Display columns as lists or arrays: indexing a list per cell is the cheapest lookup."""
        if self._lists is None:
            c = self.columns
            # Numbers stay numpy arrays (no 50,000 float objects per column); text
            # columns become lists sharing the arrays' string objects.
            self._lists = {
                name: c[name] if c[name].dtype.kind in "if" else c[name].tolist() for name in _LIST_COLUMNS
            }
            self._lists["renewal_date"] = c["renewal_date"].astype(object).tolist()  # date or None
        return self._lists

    def prepare(self) -> Book:
        """Compute the lazy arrays now (call it in the background thread that loaded the book)."""
        self.search_keys  # noqa: B018
        self.lists  # noqa: B018
        for name in _CODE_ORDERS:
            self.codes(name)
        self.currency  # noqa: B018
        return self

    def rank(self, key: str) -> np.ndarray:
        """Float sort key per row for ``key`` (NaN = missing, always sorted last)."""
        if key not in self._ranks:
            self._ranks[key] = _compute_rank(self, key)
        return self._ranks[key]

    def order(self, key: str | None, descending: bool = False) -> np.ndarray:
        """Every row position in display order for ``key`` (ties in name order, missing last)."""
        if (key, descending) not in self._orders:
            if not key or key == "name":
                positions = np.arange(len(self), dtype=np.int64)
                order = positions[::-1].copy() if descending else positions
            else:
                rank = -self.rank(key) if descending else self.rank(key)
                order = np.argsort(np.where(np.isnan(rank), np.inf, rank), kind="stable")
            self._orders[(key, descending)] = order
        return self._orders[(key, descending)]


def _vocab_codes(values: np.ndarray, order: tuple[str, ...]) -> np.ndarray:
    """int8 position of each value in ``order``, -1 for None or unknown values."""
    mapping = {key: i for i, key in enumerate(order)}
    # map() over the array calls dict.get in C: no Python frame per value.
    return np.fromiter(map(mapping.get, values, repeat(-1)), dtype=np.int8, count=len(values))


def _codes(values: np.ndarray, order: tuple[str, ...] | None = None) -> np.ndarray:
    """Rank strings: by a vocabulary's order, else alphabetically (folded); NaN for none."""
    items = values.tolist()
    if order is not None:
        mapping = {key: float(i) for i, key in enumerate(order)}
    else:
        distinct = {v for v in items if v is not None}
        folded = {v: fold_value(v) for v in distinct}
        ranks = {f: float(i) for i, f in enumerate(sorted(set(folded.values())))}
        mapping = {v: ranks[f] for v, f in folded.items()}
    return np.fromiter(map(mapping.get, items, repeat(np.nan)), dtype=float, count=len(items))


def _compute_rank(book: Book, key: str) -> np.ndarray:
    c = book.columns
    if key == "name":
        return np.arange(len(book), dtype=float)  # build_book orders by name_key
    if key in ("mrr", "arr"):
        # By value in the base currency where a rate exists (US$ 10.000 above R$ 20.000),
        # else by the account's own amount.
        return np.where(c["in_base"], c["base_mrr_cents"], c["mrr_cents"]).astype(float)
    if key == "renewal":
        return c["renewal_days"].astype(float)
    if key == "health":
        return c["health_score"].astype(float)
    if key == "last_touch":
        return c["touch_days"].astype(float)
    if key == "nps":
        return c["last_nps"].astype(float)
    if key == "segment":
        return _codes(c["segment"], vocab.SEGMENTS)
    if key == "stage":
        return _codes(c["stage"], vocab.STAGES)
    if key == "status":
        return _codes(c["status"], vocab.STATUSES)
    if key in ("owner", "cnpj", "domain"):
        return _codes(c[key])
    if key == "plan":
        return _codes(c["plan_status"], PLAN_STATUS_ORDER)
    raise KeyError(key)


def _name_order(name_keys: list[Any], ids: np.ndarray) -> np.ndarray:
    """Row order of ``ORDER BY name_key, id`` (binary collation; NULL first)."""
    # Python's sort is stable and compares str by code point, which is SQLite's
    # BINARY order on UTF-8; sorting positions already in id order keeps id ties.
    by_id = range(len(ids)) if len(ids) < 2 or bool((ids[1:] > ids[:-1]).all()) else np.argsort(ids).tolist()
    keys = [k or "" for k in name_keys]
    return np.array(sorted(by_id, key=keys.__getitem__), dtype=np.int64)


def build_book(
    records: Sequence[Sequence[Any]], today: date | None = None, rates: Rates | None = None
) -> Book:
    """A Book from rows in ``QUERY_COLUMNS`` order (what the query returns), in any row order.

    Totals are in ``rates.base`` (BRL without rates), converted at ``today``'s rates.
    """
    today = today or clock.today()
    rates = rates or Rates()
    n = len(records)
    # One C-level pass turns the driver's tuples into a 2-D object block, about twice
    # as fast as transposing them with zip(*records) and building each column.
    table = np.array(records, dtype=object) if n else np.empty((0, len(QUERY_COLUMNS)), dtype=object)
    at = {name: j for j, name in enumerate(QUERY_COLUMNS)}
    ids = _ints(table[:, at["id"]])
    order = _name_order(table[:, at["name_key"]].tolist(), ids)

    def raw(name: str) -> np.ndarray:
        return table[:, at[name]]  # a strided view of the driver's values, in scan order

    # Every pass over the driver's objects runs in scan order, the order they were
    # made in (memory order), which is ~1.5x faster than in name order; the results
    # are then put in name order, text columns by copying pointers only.
    codes = {name: _vocab_codes(raw(name), vocab_order)[order] for name, vocab_order in _CODE_ORDERS.items()}
    columns: dict[str, np.ndarray] = {"id": ids}
    for name in _TEXT_COLUMNS:
        columns[name] = raw(name)
    columns["mrr_cents"] = _cents(raw("mrr_cents"))
    for name in _REAL_COLUMNS:
        columns[name] = _reals(raw(name))
    for name in _DAY_COLUMNS:
        columns[name] = _days(raw(name))
    columns = {name: values[order] for name, values in columns.items()}
    columns["arr_cents"] = columns["mrr_cents"] * 12
    columns["base_mrr_cents"], columns["in_base"] = rates.to_base_array(
        columns["mrr_cents"], columns["currency"], today
    )
    day0 = np.datetime64(today, "D")
    columns["renewal_days"] = _days_between(columns["renewal_date"], day0)
    columns["touch_days"] = _days_between(day0, columns["last_touch_at"])
    # Filled by load_book (or set_plan_statuses); the column keeps the table's shape stable.
    columns["plan_status"] = np.full(n, None, dtype=object)
    return Book(columns=columns, today=today, _codes=codes, _currency=rates.base)


def load_book(db: Database, today: date | None = None) -> Book:
    """Every account, for the book table, with its success-plan status: two plain queries."""
    # Through the driver (sqlite3 for a file, before SQLAlchemy is even imported):
    # no per-row Row objects, and the SQL is portable.
    records, plan_rows, setting_rows = db.read_all(_QUERY_TEXT, _PLAN_QUERY_TEXT, _RATES_QUERY_TEXT)
    settings = dict(setting_rows)
    rates = Rates.from_settings(*(settings.get(key) for key in SETTING_KEYS))
    book = build_book(records, today, rates)
    statuses = _plan_statuses(plan_rows, book.today)
    if statuses:
        book.set_plan_statuses(statuses)
    return book


def _plan_statuses(rows: Sequence[Sequence[Any]], today: date) -> dict[int, str]:
    """Account id -> on_track | late | done (csdesk.rules.plans), from the raw query's rows."""
    days = [
        (plan_id, account_id, plan_state, state, None if due is None else date.fromisoformat(_day_text(due)))
        for plan_id, account_id, plan_state, state, due in rows
    ]
    return statuses_by_account(days, today)


# Filtering, searching, sorting ------------------------------------------------


def _code_mask(book: Book, name: str, keys: frozenset[str] | set[str], with_none: bool = False) -> np.ndarray:
    order = _CODE_ORDERS[name]
    wanted = [order.index(k) for k in keys if k in order] + ([-1] if with_none else [])
    return np.isin(book.codes(name), np.asarray(wanted, dtype=np.int8))


def filter_mask(book: Book, flt: BookFilter) -> np.ndarray:
    """Boolean mask of the rows passing every filter except the search text."""
    mask = np.ones(len(book), dtype=bool)
    if flt.status != "all":
        mask &= _code_mask(book, "status", {flt.status})
    if flt.segments:
        mask &= _code_mask(book, "segment", flt.segments)
    if flt.stages:
        mask &= _code_mask(book, "stage", flt.stages)
    if flt.bands:
        mask &= _code_mask(book, "health_band", flt.bands, with_none=NO_SCORE in flt.bands)
    if flt.renewal_within is not None:
        days = book.columns["renewal_days"]
        with np.errstate(invalid="ignore"):
            mask &= (days >= 0) & (days <= flt.renewal_within)
    if flt.no_touch_for is not None:
        days = book.columns["touch_days"]
        with np.errstate(invalid="ignore"):
            mask &= np.isnan(days) | (days >= flt.no_touch_for)
    if flt.expansion:
        from csdesk.expansion import candidate_mask  # loaded only when the filter is used

        c = book.columns
        mask &= candidate_mask(c["health_band"], c["last_nps"], c["active_users"], c["licensed_users"])
    if flt.owner:
        owners = book.columns["owner"]
        mine = {owner: team.is_mine(owner, flt.owner) for owner in set(owners.tolist())}  # once per CSM
        mask &= np.fromiter(map(mine.__getitem__, owners), dtype=bool, count=len(owners))
    if flt.accounts:
        mask &= np.isin(
            book.columns["id"], np.fromiter(flt.accounts, dtype=np.int64, count=len(flt.accounts))
        )
    return mask


def search_terms(query: str) -> list[str]:
    """Terms of a search, folded like ``name_key``; a CNPJ fragment becomes its digits."""
    terms = []
    for term in fold(query).split():
        if _CNPJ_TERM.match(term) and any(c.isdigit() for c in term):
            terms.append(digits(term))
        elif "." in term and _DOMAIN_TERM.match(term):
            terms.append(term)  # part of a domain: keep its dots
        else:
            terms.extend(_NON_WORD.sub(" ", term).split())
    return terms


def search_rows(book: Book, query: str, rows: np.ndarray) -> np.ndarray:
    """The rows among ``rows`` whose name, CNPJ, domain or owner contain every term."""
    terms = search_terms(query)
    if not terms or len(rows) == 0:
        return rows
    keys = book.search_keys[rows]
    keep = np.ones(len(rows), dtype=bool)
    for term in terms:
        # A plain substring test per key in a comprehension is the fastest pure
        # Python way over object arrays (about as fast as pandas .str.contains).
        keep &= np.fromiter((term in k for k in keys), dtype=bool, count=len(keys))
    return rows[keep]


def sort_rows(book: Book, rows: np.ndarray, key: str | None, descending: bool = False) -> np.ndarray:
    """``rows`` ordered by ``key``; ties stay in name order and missing values go last.

    The whole book's order per key is computed once; a subset is picked out of it
    with a membership mask, which is linear (no sort per click or keystroke).
    """
    order = book.order(key, descending)
    member = np.zeros(len(order), dtype=bool)
    member[rows] = True
    return order[member[order]]


def visible_rows(
    book: Book, flt: BookFilter, sort_key: str | None = None, descending: bool = False
) -> np.ndarray:
    """Rows passing ``flt`` in display order."""
    rows = np.flatnonzero(filter_mask(book, flt))
    rows = search_rows(book, flt.search, rows)
    return sort_rows(book, rows, sort_key, descending)


# KPIs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpis:
    """Portfolio figures over a set of rows. Money counts active accounts only, in ``currency``
    (the base); active accounts of a currency without a rate are left out of the money and
    listed in ``unconverted`` as (currency, accounts)."""

    accounts: int
    active_accounts: int
    mrr_cents: int
    at_risk_mrr_cents: int
    at_risk_accounts: int
    renewals: int  # active accounts renewing within RENEWAL_HORIZON_DAYS
    renewals_mrr_cents: int
    average_health: float | None  # over the rows that have a score
    scored_accounts: int
    currency: str = "BRL"
    unconverted: tuple[tuple[str, int], ...] = ()

    @property
    def arr_cents(self) -> int:
        return self.mrr_cents * 12


def compute_kpis(book: Book, rows: np.ndarray) -> Kpis:
    """The KPI header's figures for ``rows`` (what the table shows); numeric arrays only."""
    c = book.columns
    active = book.codes("status")[rows] == vocab.STATUSES.index("active")
    converted = c["in_base"][rows]
    mrr = np.where(converted, c["base_mrr_cents"][rows], 0)
    left_out = active & ~converted
    bands = book.codes("health_band")[rows]
    at_risk = active & np.isin(bands, [vocab.HEALTH_BANDS.index(b) for b in AT_RISK_BANDS])
    days = book.columns["renewal_days"][rows]
    with np.errstate(invalid="ignore"):
        renewing = active & (days >= 0) & (days <= RENEWAL_HORIZON_DAYS)
    scores = c["health_score"][rows]
    scored = ~np.isnan(scores)
    return Kpis(
        accounts=int(len(rows)),
        active_accounts=int(active.sum()),
        mrr_cents=int(mrr[active].sum()),
        at_risk_mrr_cents=int(mrr[at_risk].sum()),
        at_risk_accounts=int(at_risk.sum()),
        renewals=int(renewing.sum()),
        renewals_mrr_cents=int(mrr[renewing].sum()),
        average_health=float(scores[scored].mean()) if scored.any() else None,
        scored_accounts=int(scored.sum()),
        currency=book.currency,
        unconverted=_count_currencies(c["currency"][rows][left_out]) if left_out.any() else (),
    )


def _count_currencies(codes: np.ndarray) -> tuple[tuple[str, int], ...]:
    counts = Counter(code or DEFAULT_BASE for code in codes.tolist())
    return tuple(sorted(counts.items()))


# The start-up snapshot -----------------------------------------------------------
#
# Reading 50,000 accounts costs about half a second (building ~1M Python objects),
# so the window first shows the book as the last session left it, read from a
# snapshot in a few tens of milliseconds, and replaces it with the database's
# rows as soon as they are loaded. The file holds plain arrays only (np.load with
# allow_pickle=False): a text column is stored as its distinct values, joined in
# one UTF-8 string, and each row's position among them (-1 for None).

SNAPSHOT_VERSION = 3  # 2: the base currency and the MRR in it; 3: licensed and active users
_SEPARATOR = "\x1e"  # ASCII record separator: never part of a name (search keys use \x1f)


def snapshot_path(db: Database) -> Path | None:
    """Where the book of this database file is kept between sessions (None: not a file)."""
    from csdesk.paths import cache_dir

    if db.sqlite_path is None:
        return None
    key = hashlib.sha1(str(db.sqlite_path).encode()).hexdigest()[:16]
    return cache_dir() / f"book-{key}.npz"


def _file_identity(source: Path) -> np.ndarray:
    stat = source.stat()
    return np.array([stat.st_dev, stat.st_ino], dtype=np.uint64)


def save_snapshot(book: Book, path: Path, source: Path) -> bool:
    """Keep a prepared ``book`` of database file ``source`` for the next start.

    The file is written whole or not at all; False (nothing written) when a text
    value holds the separator or the folder cannot be written.
    """
    arrays: dict[str, np.ndarray] = {
        "version": np.array([SNAPSHOT_VERSION]),
        "source": _file_identity(source),
        "size": np.array([len(book)]),
        "base_currency": np.array([book.currency]),
    }
    texts = {f"text:{name}": values for name, values in book.columns.items() if values.dtype == object}
    texts["search_keys"] = book.search_keys
    for key, values in texts.items():
        positions: dict[str, int] = {}
        arrays[f"rows:{key}"] = np.fromiter(
            (
                -1 if item is None else positions.setdefault(str(item), len(positions))
                for item in values.tolist()
            ),
            dtype=np.int32,
            count=len(values),
        )
        joined = _SEPARATOR.join(positions)
        if joined.count(_SEPARATOR) != max(len(positions) - 1, 0):
            return False
        arrays[key] = np.frombuffer(joined.encode("utf-8"), dtype=np.uint8)
        arrays[f"distinct:{key}"] = np.array([len(positions)])
    for name, values in book.columns.items():
        if values.dtype != object:
            arrays[f"column:{name}"] = values
    for name in _CODE_ORDERS:
        arrays[f"codes:{name}"] = book.codes(name)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    try:
        with partial.open("wb") as handle:
            np.savez(handle, **arrays)
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)
        return False
    return True


def load_snapshot(path: Path, source: Path, today: date | None = None) -> Book | None:
    """The prepared book saved by the last session for ``source``, with day counts as of ``today``.

    None when there is none, or it is unreadable, of another format or of another file.
    """
    today = today or clock.today()
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"][0]) != SNAPSHOT_VERSION or not np.array_equal(
                data["source"], _file_identity(source)
            ):
                return None
            size = int(data["size"][0])
            base = str(data["base_currency"][0])
            columns: dict[str, np.ndarray] = {}
            texts: dict[str, np.ndarray] = {}
            codes: dict[str, np.ndarray] = {}
            for key in data.files:
                kind, _, name = key.partition(":")
                if kind == "column":
                    columns[name] = data[key]
                elif kind == "codes":
                    codes[name] = data[key]
                elif kind in ("text", "search_keys"):
                    count = int(data[f"distinct:{key}"][0])
                    distinct = data[key].tobytes().decode("utf-8").split(_SEPARATOR) if count else []
                    if len(distinct) != count:
                        return None
                    rows = data[f"rows:{key}"]
                    if len(rows) and not -1 <= int(rows.min()) <= int(rows.max()) < count:
                        return None
                    texts[key] = _objects([*distinct, None])[rows]  # -1 picks the None at the end
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    search_keys = texts.pop("search_keys", None)
    columns.update({key.partition(":")[2]: values for key, values in texts.items()})
    if any(len(values) != size for values in columns.values()):
        return None
    day0 = np.datetime64(today, "D")
    columns["renewal_days"] = _days_between(columns["renewal_date"], day0)
    columns["touch_days"] = _days_between(day0, columns["last_touch_at"])
    book = Book(columns=columns, today=today, _currency=base)
    book._search_keys = search_keys
    book._codes = codes
    return book.prepare()
