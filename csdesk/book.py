"""The book of business for display: every account in one column-wise frame.

The main window shows up to 50,000 accounts and must search, filter, sort and
total them between two keystrokes. So the book is loaded with a single query
into a pandas DataFrame (one numpy array per column) and every operation here
works on whole arrays of row positions, never row by row in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from csdesk import vocab
from csdesk.text import digits, fold
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
)
_QUERY_TEXT = f"SELECT {', '.join(QUERY_COLUMNS)} FROM accounts ORDER BY name_key, id"

# Keys a view can sort on; each maps to a rank array computed once per load.
SORT_KEYS = (
    "name",
    "segment",
    "stage",
    "status",
    "mrr",
    "arr",
    "renewal",
    "health",
    "last_touch",
    "nps",
    "owner",
    "cnpj",
    "domain",
    "plan",
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
PLAN_STATUS_ORDER = ("late", "on_track", "done")  # csdesk.plans: the worst first

# A str.translate table for the accented letters of Portuguese (and other
# Latin-1 text): much faster than unicodedata per row; fold() is the fallback.
_ACCENTS = str.maketrans(
    {c: fold(c) for c in "áàâãäåçéèêëíìîïñóòôõöúùûüýÿÁÀÂÃÄÅÇÉÈÊËÍÌÎÏÑÓÒÔÕÖÚÙÛÜÝ" if len(fold(c)) == 1}
)
_CNPJ_TERM = re.compile(r"^[\d./\-]+$")
_DOMAIN_TERM = re.compile(r"^[a-z0-9.\-]+$")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _fold_one(value: object) -> str:
    if value is None or value != value:  # None or NaN
        return ""
    folded = str(value).lower().translate(_ACCENTS)
    return folded if folded.isascii() else fold(folded)


def fast_fold(values: pd.Series) -> pd.Series:
    """Vectorised ``csdesk.text.fold``: lower case, accents removed, '' for None.

    Repeated values (owners, segments) are folded once each.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    folded = np.array([_fold_one(u) for u in uniques] + [""], dtype=object)
    return pd.Series(folded[codes], index=values.index, dtype=object)


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "search": self.search,
            "status": self.status,
            "segments": sorted(self.segments),
            "stages": sorted(self.stages),
            "bands": sorted(self.bands),
            "renewal_within": self.renewal_within,
            "no_touch_for": self.no_touch_for,
        }

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
        )

    def without_search(self) -> BookFilter:
        return replace(self, search="")


@dataclass
class Book:
    """All accounts, column-wise, loaded at ``today``; rows are positions in ``frame``."""

    frame: pd.DataFrame
    today: date
    _ranks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _search_keys: np.ndarray | None = field(default=None, repr=False)
    _codes: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _currency: str | None = field(default=None, repr=False)
    _lists: dict[str, list | np.ndarray] | None = field(default=None, repr=False)
    _orders: dict[tuple[str | None, bool], np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def all_rows(self) -> np.ndarray:
        return np.arange(len(self.frame), dtype=np.int64)

    def column(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy()

    def position_of(self, account_id: int) -> int | None:
        hits = np.flatnonzero(self.frame["id"].to_numpy() == account_id)
        return int(hits[0]) if len(hits) else None

    @property
    def search_keys(self) -> np.ndarray:
        """Name key, CNPJ digits, domain and folded owner of each row, one string per row.

        ``name_key`` is already folded by whoever wrote the account (see
        csdesk.text.name_key), so only the few distinct owners are folded here.
        """
        if self._search_keys is None:
            f = self.frame
            names = f["name_key"].fillna("").to_numpy(dtype=object)
            owners = fast_fold(f["owner"]).to_numpy(dtype=object)
            cnpjs = f["cnpj"].fillna("").to_numpy(dtype=object)
            domains = f["domain"].fillna("").to_numpy(dtype=object)
            self._search_keys = np.array(
                ["\x1f".join(parts) for parts in zip(names, cnpjs, domains, owners, strict=True)],
                dtype=object,
            )
        return self._search_keys

    def codes(self, name: str) -> np.ndarray:
        """Small-integer codes of a vocabulary column (-1 = none), for fast vectorised tests.

        Comparing 50,000 Python strings costs milliseconds; comparing int8 codes, microseconds.
        """
        if name not in self._codes:
            order = _CODE_ORDERS[name]
            mapping = {key: i for i, key in enumerate(order)}
            values = self.frame[name].map(mapping).fillna(-1).to_numpy(dtype=np.int8)
            self._codes[name] = values
        return self._codes[name]

    @property
    def currency(self) -> str:
        """The book's main currency (totals are shown in it)."""
        if self._currency is None:
            counts = self.frame["currency"].value_counts()
            self._currency = str(counts.index[0]) if len(counts) else "BRL"
        return self._currency

    @property
    def lists(self) -> dict[str, list | np.ndarray]:
        """Display columns as lists or arrays: indexing one per cell is ~20x cheaper than pandas."""
        if self._lists is None:
            f = self.frame
            # Numbers stay numpy arrays (views of the frame: no copy, no 50,000 float objects
            # per column); text columns become lists sharing the frame's string objects.
            self._lists = {
                name: f[name].to_numpy() if f[name].dtype.kind in "if" else f[name].tolist()
                for name in _LIST_COLUMNS
            }
            self._lists["renewal_date"] = [
                None if day != day else day.date()  # NaT != NaT
                for day in f["renewal_date"]
            ]
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
                positions = np.arange(len(self.frame), dtype=np.int64)
                order = positions[::-1].copy() if descending else positions
            else:
                rank = -self.rank(key) if descending else self.rank(key)
                order = np.argsort(np.where(np.isnan(rank), np.inf, rank), kind="stable")
            self._orders[(key, descending)] = order
        return self._orders[(key, descending)]


def _codes(values: pd.Series, order: tuple[str, ...] | None = None) -> np.ndarray:
    """Rank strings: by a vocabulary's order, else alphabetically (folded)."""
    if order is not None:
        mapping = {key: float(i) for i, key in enumerate(order)}
        return values.map(mapping).astype(float).to_numpy()
    folded = fast_fold(values)
    codes, _ = pd.factorize(folded.where(values.notna()), sort=True, use_na_sentinel=True)
    result = codes.astype(float)
    result[codes < 0] = np.nan
    return result


def _compute_rank(book: Book, key: str) -> np.ndarray:
    f = book.frame
    if key == "name":
        return np.arange(len(f), dtype=float)  # the query orders by name_key
    if key in ("mrr", "arr"):
        return f["mrr_cents"].to_numpy(dtype=float)
    if key == "renewal":
        return f["renewal_days"].to_numpy(dtype=float)
    if key == "health":
        return f["health_score"].to_numpy(dtype=float)
    if key == "last_touch":
        return f["touch_days"].to_numpy(dtype=float)
    if key == "nps":
        return f["last_nps"].to_numpy(dtype=float)
    if key == "segment":
        return _codes(f["segment"], vocab.SEGMENTS)
    if key == "stage":
        return _codes(f["stage"], vocab.STAGES)
    if key == "status":
        return _codes(f["status"], vocab.STATUSES)
    if key in ("owner", "cnpj", "domain"):
        return _codes(f[key])
    if key == "plan":
        return _codes(f["plan_status"], PLAN_STATUS_ORDER)
    raise KeyError(key)


def _to_datetime(values: pd.Series) -> pd.Series:
    # SQLite hands back ISO text; other databases hand back date objects.
    return pd.to_datetime(values.astype(object), format="ISO8601", errors="coerce").astype("datetime64[ns]")


def build_book(records: list[tuple], today: date | None = None) -> Book:
    """A Book from rows in ``QUERY_COLUMNS`` order (what the query returns)."""
    today = today or date.today()
    raw = pd.DataFrame.from_records(records, columns=list(QUERY_COLUMNS), coerce_float=False)

    def text(name: str) -> pd.Series:
        return raw[name].astype(object).where(raw[name].notna(), None)

    def real(name: str) -> np.ndarray:
        return pd.to_numeric(raw[name], errors="coerce").to_numpy(dtype=float)

    frame = pd.DataFrame(
        {
            "id": raw["id"].to_numpy(dtype=np.int64),
            "name": text("name"),
            "name_key": text("name_key"),
            "cnpj": text("cnpj"),
            "domain": text("domain"),
            "segment": text("segment"),
            "stage": text("stage"),
            "status": text("status"),
            "mrr_cents": raw["mrr_cents"].fillna(0).to_numpy(dtype=np.int64),
            "currency": text("currency"),
            "renewal_date": _to_datetime(raw["renewal_date"]),
            "health_score": real("health_score"),
            "health_band": text("health_band"),
            "health_trend": real("health_trend"),
            "last_touch_at": _to_datetime(raw["last_touch_at"]),
            "last_nps": real("last_nps"),
            "owner": text("owner"),
        }
    )
    frame["arr_cents"] = frame["mrr_cents"] * 12
    day0 = pd.Timestamp(today)
    frame["renewal_days"] = (frame["renewal_date"] - day0).dt.days.astype(float)
    frame["touch_days"] = (day0 - frame["last_touch_at"].dt.normalize()).dt.days.astype(float)
    # Filled by the success-plan area when it lands; the column keeps the table's shape stable.
    frame["plan_status"] = pd.Series([None] * len(frame), dtype=object)
    return Book(frame=frame, today=today)


def load_book(db: Database, today: date | None = None) -> Book:
    """Every account, for the book table, with one query."""
    from csdesk.plans import plan_status_by_account

    # The driver's own cursor: no per-row Row objects, and the SQL is portable.
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(_QUERY_TEXT)
        records = cursor.fetchall()
        cursor.close()
    finally:
        connection.close()
    book = build_book(records, today)
    statuses = plan_status_by_account(db, book.today)
    if statuses:
        mapped = book.frame["id"].map(statuses)
        book.frame["plan_status"] = mapped.astype(object).where(mapped.notna(), None)
    return book


# Filtering, searching, sorting ------------------------------------------------


def _code_mask(book: Book, name: str, keys: frozenset[str] | set[str], with_none: bool = False) -> np.ndarray:
    order = _CODE_ORDERS[name]
    wanted = [order.index(k) for k in keys if k in order] + ([-1] if with_none else [])
    return np.isin(book.codes(name), np.asarray(wanted, dtype=np.int8))


def filter_mask(book: Book, flt: BookFilter) -> np.ndarray:
    """Boolean mask of the rows passing every filter except the search text."""
    f = book.frame
    mask = np.ones(len(f), dtype=bool)
    if flt.status != "all":
        mask &= _code_mask(book, "status", {flt.status})
    if flt.segments:
        mask &= _code_mask(book, "segment", flt.segments)
    if flt.stages:
        mask &= _code_mask(book, "stage", flt.stages)
    if flt.bands:
        mask &= _code_mask(book, "health_band", flt.bands, with_none=NO_SCORE in flt.bands)
    if flt.renewal_within is not None:
        days = f["renewal_days"].to_numpy()
        with np.errstate(invalid="ignore"):
            mask &= (days >= 0) & (days <= flt.renewal_within)
    if flt.no_touch_for is not None:
        days = f["touch_days"].to_numpy()
        with np.errstate(invalid="ignore"):
            mask &= np.isnan(days) | (days >= flt.no_touch_for)
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
        # Python way over object arrays (faster than pandas .str.contains here).
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
    """Portfolio figures over a set of rows. Money counts active accounts only."""

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

    @property
    def arr_cents(self) -> int:
        return self.mrr_cents * 12


def compute_kpis(book: Book, rows: np.ndarray) -> Kpis:
    """The KPI header's figures for ``rows`` (what the table shows); numeric arrays only."""
    f = book.frame
    active = book.codes("status")[rows] == vocab.STATUSES.index("active")
    mrr = f["mrr_cents"].to_numpy()[rows]
    bands = book.codes("health_band")[rows]
    at_risk = active & np.isin(bands, [vocab.HEALTH_BANDS.index(b) for b in AT_RISK_BANDS])
    days = f["renewal_days"].to_numpy()[rows]
    with np.errstate(invalid="ignore"):
        renewing = active & (days >= 0) & (days <= RENEWAL_HORIZON_DAYS)
    scores = f["health_score"].to_numpy()[rows]
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
    )
