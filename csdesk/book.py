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
from sqlalchemy import text

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
_QUERY = text(f"SELECT {', '.join(QUERY_COLUMNS)} FROM accounts ORDER BY name_key, id")

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

    def rank(self, key: str) -> np.ndarray:
        """Float sort key per row for ``key`` (NaN = missing, always sorted last)."""
        if key not in self._ranks:
            self._ranks[key] = _compute_rank(self, key)
        return self._ranks[key]


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


def _to_datetime(values: list[Any]) -> pd.Series:
    # SQLite hands back ISO text; other databases hand back date objects.
    return pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601", errors="coerce")


def build_book(records: list[tuple], today: date | None = None) -> Book:
    """A Book from rows in ``QUERY_COLUMNS`` order (what the query returns)."""
    today = today or date.today()
    columns = list(zip(*records, strict=True)) if records else [() for _ in QUERY_COLUMNS]
    data = dict(zip(QUERY_COLUMNS, columns, strict=True))
    frame = pd.DataFrame(
        {
            "id": np.asarray(data["id"], dtype=np.int64),
            "name": pd.Series(data["name"], dtype=object),
            "name_key": pd.Series(data["name_key"], dtype=object),
            "cnpj": pd.Series(data["cnpj"], dtype=object),
            "domain": pd.Series(data["domain"], dtype=object),
            "segment": pd.Series(data["segment"], dtype=object),
            "stage": pd.Series(data["stage"], dtype=object),
            "status": pd.Series(data["status"], dtype=object),
            "mrr_cents": np.asarray([v or 0 for v in data["mrr_cents"]], dtype=np.int64),
            "currency": pd.Series(data["currency"], dtype=object),
            "renewal_date": _to_datetime(list(data["renewal_date"])),
            "health_score": pd.to_numeric(pd.Series(data["health_score"], dtype=object)).astype(float),
            "health_band": pd.Series(data["health_band"], dtype=object),
            "health_trend": pd.to_numeric(pd.Series(data["health_trend"], dtype=object)).astype(float),
            "last_touch_at": _to_datetime(list(data["last_touch_at"])),
            "last_nps": pd.to_numeric(pd.Series(data["last_nps"], dtype=object)).astype(float),
            "owner": pd.Series(data["owner"], dtype=object),
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

    with db.engine.connect() as conn:
        records = conn.execute(_QUERY).fetchall()
    book = build_book([tuple(r) for r in records], today)
    statuses = plan_status_by_account(db, book.today)
    if statuses:
        mapped = book.frame["id"].map(statuses)
        book.frame["plan_status"] = mapped.astype(object).where(mapped.notna(), None)
    return book


# Filtering, searching, sorting ------------------------------------------------


def filter_mask(book: Book, flt: BookFilter) -> np.ndarray:
    """Boolean mask of the rows passing every filter except the search text."""
    f = book.frame
    mask = np.ones(len(f), dtype=bool)
    if flt.status != "all":
        mask &= f["status"].to_numpy() == flt.status
    if flt.segments:
        mask &= f["segment"].isin(flt.segments).to_numpy()
    if flt.stages:
        mask &= f["stage"].isin(flt.stages).to_numpy()
    if flt.bands:
        bands = f["health_band"]
        band_mask = bands.isin(flt.bands).to_numpy()
        if NO_SCORE in flt.bands:
            band_mask = band_mask | bands.isna().to_numpy()
        mask &= band_mask
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
    """``rows`` ordered by ``key``; ties stay in name order and missing values go last."""
    if not _is_sorted(rows):
        rows = np.sort(rows)  # positions are in name order: the tie-break
    if not key or key == "name":
        return rows[::-1].copy() if descending else rows
    rank = book.rank(key)[rows]
    if descending:
        rank = -rank
    return rows[np.argsort(np.where(np.isnan(rank), np.inf, rank), kind="stable")]


def _is_sorted(rows: np.ndarray) -> bool:
    return bool(len(rows) < 2 or np.all(rows[:-1] <= rows[1:]))


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
    """The KPI header's figures for ``rows`` (what the table shows)."""
    f = book.frame
    active = f["status"].to_numpy()[rows] == "active"
    mrr = f["mrr_cents"].to_numpy()[rows]
    bands = f["health_band"].to_numpy()[rows]
    at_risk = active & ((bands == "yellow") | (bands == "red"))
    days = f["renewal_days"].to_numpy()[rows]
    with np.errstate(invalid="ignore"):
        renewing = active & (days >= 0) & (days <= RENEWAL_HORIZON_DAYS)
    scores = f["health_score"].to_numpy()[rows]
    scored = ~np.isnan(scores)
    currencies = f["currency"].to_numpy()[rows]
    currency = str(pd.Series(currencies).mode().iat[0]) if len(rows) else "BRL"
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
        currency=currency,
    )
