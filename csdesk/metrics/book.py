"""The metrics' data loaded once into arrays (MetricsBook): accounts, the revenue ledger, surveys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import case, select

from csdesk import currency
from csdesk.ledger import ACTIVATING
from db import Database
from db.bulk import day_number, fetch_numeric
from db.models import Account, RevenueChange, SurveyResponse

_OFFSET = 1 << 23  # day numbers shifted positive, so (account, day) packs into one sortable int64
_STRIDE = 1 << 24
_BEFORE_ALL = -_OFFSET + 1  # the day an opening balance stands for: before any period
_NEVER = _OFFSET - 1


def money_sum(cents: np.ndarray, mask: np.ndarray | None = None) -> int:
    """The one place the metrics add up money (in the base currency)."""
    return int(cents.sum() if mask is None else cents[mask].sum())


def _day_numbers(days) -> np.ndarray:
    return np.array([np.datetime64(d, "D").astype(np.int64) for d in days], dtype=np.int64)


@dataclass
class MetricsBook:
    """The data the metrics need, loaded once into arrays; any number of periods computed in memory.

    Accounts are sorted by id (position = row); revenue rows by (account, date, id),
    synthetic rows included. Every "state at the end of day D" question is one
    ``searchsorted`` on the packed (account position, day) keys: all accounts and
    all days of all periods at once, no per-period grouping.
    """

    ids: np.ndarray  # account ids, ascending
    segment_of: np.ndarray  # object
    default_active: np.ndarray  # bool: state before the first (de)activation event
    mrr_now: np.ndarray  # int64 cents: MRR when an account has no revenue rows
    reason_code: np.ndarray  # int64 index into reasons (len(reasons) - 1 = no reason)
    reasons: tuple[str | None, ...]
    rev_pos: np.ndarray  # account position of each revenue row
    rev_day: np.ndarray  # day numbers
    rev_kind: np.ndarray  # 1 activating (new/reactivation), 2 churn, 0 other
    rev_before: np.ndarray  # int64 cents
    rev_after: np.ndarray  # int64 cents
    sur_day: np.ndarray
    sur_nps: np.ndarray  # bool: NPS (else CSAT)
    sur_score: np.ndarray
    segment: str | None = None
    history_complete_from: date | None = None
    currency_of: np.ndarray | None = None  # object: each account's contract currency
    rates: currency.Rates | None = None  # None: every amount is already in the base
    sur_kind: np.ndarray | None = None  # 1 NPS, 0 CSAT, 2 CES
    start_day: np.ndarray | None = None  # float day numbers of the contract start, NaN: none
    _first_active: np.ndarray | None = field(default=None, repr=False)
    _rev_key: np.ndarray | None = field(default=None, repr=False)
    _rev_first: np.ndarray | None = field(default=None, repr=False)
    _ev_key: np.ndarray | None = field(default=None, repr=False)
    _ev_active: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        self._rev_key = self.rev_pos * _STRIDE + (self.rev_day + _OFFSET)
        first = np.full(n, -1, dtype=np.int64)
        if len(self.rev_pos):
            starts = np.flatnonzero(np.r_[True, self.rev_pos[1:] != self.rev_pos[:-1]])
            first[self.rev_pos[starts]] = starts
        self._rev_first = first
        ev = self.rev_kind > 0
        self._ev_key = self._rev_key[ev]
        self._ev_active = self.rev_kind[ev] == 1
        ev_pos = self.rev_pos[ev]
        if len(ev_pos):
            starts = np.flatnonzero(np.r_[True, ev_pos[1:] != ev_pos[:-1]])
            # Before its first event an account is in the opposite state of that event.
            self.default_active = self.default_active.copy()
            self.default_active[ev_pos[starts]] = ~self._ev_active[starts]
        # The first day each account was a customer (before any day when it always was).
        first_active = np.full(n, _NEVER, dtype=np.int64)
        act = self.rev_kind == 1
        np.minimum.at(first_active, self.rev_pos[act], self.rev_day[act])
        first_active[self.default_active] = _BEFORE_ALL - 1
        self._first_active = first_active

    def __len__(self) -> int:
        return len(self.ids)

    def _last_upto(self, keys: np.ndarray, days: np.ndarray) -> np.ndarray:
        """(accounts × days): index of each account's last keyed row on or before each day, -1 if none."""
        pos = np.arange(len(self.ids), dtype=np.int64)
        query = pos[:, None] * _STRIDE + (days[None, :] + _OFFSET)
        idx = np.searchsorted(keys, query, side="right") - 1
        # A hit belongs to the account when it is not below the account's own key range.
        ok = (idx >= 0) & (keys[np.maximum(idx, 0)] >= pos[:, None] * _STRIDE) if len(keys) else idx >= 0
        return np.where(ok, idx, -1)

    def active_on(self, days: np.ndarray) -> np.ndarray:
        """(accounts × days) bool: a customer at the end of each day."""
        idx = self._last_upto(self._ev_key, days)
        if len(self._ev_active) == 0:
            return np.repeat(self.default_active[:, None], len(days), axis=1)
        return np.where(idx >= 0, self._ev_active[np.maximum(idx, 0)], self.default_active[:, None])

    def mrr_on(self, days: np.ndarray, active: np.ndarray) -> np.ndarray:
        """(accounts × days) MRR in cents at the end of each day; 0 when not a customer."""
        idx = self._last_upto(self._rev_key, days)
        first = self._rev_first[:, None]
        if len(self.rev_after):
            # The last movement's "after"; before any movement, the first one's "before".
            mrr = np.where(
                idx >= 0,
                self.rev_after[np.maximum(idx, 0)],
                np.where(first >= 0, self.rev_before[np.maximum(first, 0)], self.mrr_now[:, None]),
            )
        else:
            mrr = np.repeat(self.mrr_now[:, None], len(days), axis=1)
        return np.where(active, mrr, 0)

    @property
    def base_currency(self) -> str:
        return self.rates.base if self.rates is not None else currency.DEFAULT_BASE

    def in_base(self, day: date, *cents: np.ndarray) -> tuple[np.ndarray, ...]:
        """Each account's amounts in the base currency at ``day``'s rate, and the mask of accounts priced.

        One rate per account for all the amounts of a period (those of its end), so a
        period's movements still reconcile; an account without a rate is left out.
        """
        everyone = np.ones(len(self.ids), dtype=bool)
        if self.rates is None or self.currency_of is None:
            return (*cents, everyone)
        if not len(self.ids) or not (self.currency_of != self.rates.base).any():
            return (*cents, everyone)
        converted = []
        priced = everyone
        for amounts in cents:
            value, priced = self.rates.to_base_array(amounts, self.currency_of, day)
            converted.append(value)
        return (*converted, priced)

    def active_at(self, day: date) -> pd.Series:
        """Whether each account is a customer at the end of ``day`` (by account id)."""
        return pd.Series(self.active_on(_day_numbers([day]))[:, 0], index=pd.Index(self.ids, name="id"))

    def mrr_at(self, day: date, active: pd.Series | None = None) -> pd.Series:
        """MRR (cents) of each account at the end of ``day``; 0 when not a customer."""
        days = _day_numbers([day])
        act = self.active_on(days) if active is None else active.to_numpy()[:, None]
        return pd.Series(self.mrr_on(days, act)[:, 0], index=pd.Index(self.ids, name="id"))


_KIND_CODE = case(
    (RevenueChange.kind == "opening", 3),
    (RevenueChange.kind.in_(ACTIVATING), 1),
    (RevenueChange.kind == "churn", 2),
    else_=0,
)


def load_book(
    db: Database, segment: str | None = None, account_id: int | None = None, surveys: bool = True
) -> MetricsBook:
    """Accounts, revenue movements and survey answers of the book (or one segment, or one account).

    ``surveys=False`` leaves the answers out, for what needs only the ledger (cohorts, the health check).
    """
    with db.session() as session:
        acc_q = select(
            Account.id,
            Account.segment,
            Account.status,
            day_number(Account.contract_start),
            day_number(Account.churn_date),
            Account.churn_reason,
            Account.mrr_cents,
            Account.currency,
        ).order_by(Account.id)
        rev_q = select(
            RevenueChange.account_id,
            day_number(RevenueChange.effective_date),
            _KIND_CODE,
            RevenueChange.mrr_before_cents,
            RevenueChange.mrr_after_cents,
            RevenueChange.id,
        )
        sur_q = select(
            SurveyResponse.account_id,
            case((SurveyResponse.kind == "nps", 1), (SurveyResponse.kind == "ces", 2), else_=0),
            SurveyResponse.score,
            day_number(SurveyResponse.answered_at),
        ).where(SurveyResponse.kind.in_(("nps", "csat", "ces")))
        if account_id is not None:
            acc_q = acc_q.where(Account.id == account_id)
            rev_q = rev_q.where(RevenueChange.account_id == account_id)
            sur_q = sur_q.where(SurveyResponse.account_id == account_id)
        if segment:
            acc_q = acc_q.where(Account.segment == segment)
            ids = select(Account.id).where(Account.segment == segment)
            rev_q = rev_q.where(RevenueChange.account_id.in_(ids))
            sur_q = sur_q.where(SurveyResponse.account_id.in_(ids))
        acc_rows = session.execute(acc_q).all()
        rev = fetch_numeric(session, rev_q, 6)
        sur = fetch_numeric(session, sur_q, 4) if surveys else np.zeros((0, 4))
    return build_book(acc_rows, rev, sur, segment, currency.load_rates(db))


def build_book(
    acc_rows,
    rev: np.ndarray,
    sur: np.ndarray,
    segment: str | None = None,
    rates: currency.Rates | None = None,
) -> MetricsBook:
    """A MetricsBook from account rows (id, segment, status, start day, churn day, reason, MRR[, currency])
    and numeric revenue (account, day, kind code, before, after, id) and survey (account, is NPS,
    score, day) arrays; amounts are converted into the base currency of ``rates`` when given."""
    width = len(acc_rows[0]) if acc_rows else 8
    cols = list(zip(*acc_rows, strict=True)) if acc_rows else [()] * width
    ids = np.array(cols[0], dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]

    def col(i, dtype=object):
        return np.array(cols[i], dtype=dtype)[order] if len(ids) else np.array([], dtype=dtype)

    status = col(2)
    start_day = col(3, np.float64)  # NaN: none
    churn_day = col(4, np.float64)
    mrr_now = np.nan_to_num(col(6, np.float64)).astype(np.int64)
    reason_codes, reason_values = pd.factorize(pd.Series(col(5)), sort=True)
    reasons = (*(str(r) for r in reason_values), None)
    reason_codes = np.where(reason_codes < 0, len(reasons) - 1, reason_codes).astype(np.int64)

    rev = rev.reshape(-1, 6)
    rev_pos = np.searchsorted(ids, rev[:, 0].astype(np.int64))
    known = (
        (rev_pos < len(ids)) & (ids[np.minimum(rev_pos, max(len(ids) - 1, 0))] == rev[:, 0])
        if len(ids)
        else (np.zeros(len(rev), dtype=bool))
    )
    rev, rev_pos = rev[known], rev_pos[known]
    rev_days, rev_kinds = rev[:, 1].astype(np.int64), rev[:, 2].astype(np.int64)
    opening = rev_kinds == 3
    history_complete_from = (
        date(1970, 1, 1) + timedelta(days=int(rev_days[opening].max())) if opening.any() else None
    )
    # An opening balance stands for the account's state before its date too: not a new logo.
    rev_days = np.where(opening, _BEFORE_ALL, rev_days)
    rev_kinds = np.where(opening, 1, rev_kinds)
    parts = [(rev_pos, rev_days, rev_kinds, rev[:, 3], rev[:, 4], rev[:, 5])]
    # Accounts with no revenue history: their contract start is a "new", their churn date a "churn".
    bare = np.ones(len(ids), dtype=bool)
    bare[rev_pos] = False
    starts = np.flatnonzero(bare & ~np.isnan(start_day))
    parts.append(
        (
            starts,
            start_day[starts].astype(np.int64),
            np.ones(len(starts), np.int64),
            np.zeros(len(starts)),
            mrr_now[starts],
            np.full(len(starts), -1.0),
        )
    )
    churns = np.flatnonzero(bare & ~np.isnan(churn_day) & (status == "churned"))
    parts.append(
        (
            churns,
            churn_day[churns].astype(np.int64),
            np.full(len(churns), 2, np.int64),
            mrr_now[churns],
            np.zeros(len(churns)),
            np.zeros(len(churns)),
        )
    )
    pos, day, kind, before, after, row_id = (np.concatenate(p) for p in zip(*parts, strict=True))
    sort = np.lexsort((row_id, day, pos))

    sur = sur.reshape(-1, 4)
    return MetricsBook(
        ids=ids,
        segment_of=col(1),
        default_active=status == "active",
        mrr_now=mrr_now,
        reason_code=reason_codes,
        reasons=reasons,
        rev_pos=pos[sort].astype(np.int64),
        rev_day=day[sort].astype(np.int64),
        rev_kind=kind[sort].astype(np.int64),
        rev_before=before[sort].astype(np.int64),
        rev_after=after[sort].astype(np.int64),
        sur_day=sur[:, 3].astype(np.int64),
        sur_nps=sur[:, 1] == 1,
        sur_score=sur[:, 2],
        sur_kind=sur[:, 1].astype(np.int64),
        start_day=start_day,
        segment=segment,
        history_complete_from=history_complete_from,
        currency_of=(
            np.array([c or currency.DEFAULT_BASE for c in col(7)], dtype=object) if width > 7 else None
        ),
        rates=rates,
    )
