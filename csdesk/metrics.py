"""Portfolio metrics (domain §3): churn, retention, GRR/NRR, MRR movements, NPS, CSAT.

Period semantics: ``start`` and ``end`` are inclusive dates. The state at start
is the state at the end of the day before ``start``; movements dated within
[start, end] count in the period. Only accounts active at start (the cohort)
count in retention metrics; accounts new in the period never count as
expansion, their MRR is new MRR.

Everything is computed from the revenue ledger (``csdesk.ledger``) plus the
accounts' contract start, status and churn date (accounts without revenue rows
get a synthetic "new" at contract start and "churn" at churn date), and from
survey answers. A rate whose denominator is empty is ``None`` (undefined), never zero.

The movements of a period come from each account's state at start and at end,
so they always reconcile: start + new + reactivation + expansion − contraction −
churn = end. Cohort accounts are judged by their net change; an account that was
a customer before and is one again at the end is a reactivation, not a new logo.
An opening balance (an account first seen without a known start) stands for the
account's state before its date too: ``history_complete_from`` says from which
date the book's history is complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select

from csdesk import clock, currency
from csdesk.ledger import ACTIVATING
from csdesk.nps import nps_groups
from csdesk.rules.calendar import add_months, month_start
from db import Database
from db.bulk import day_number, fetch_numeric
from db.models import Account, HealthSnapshot, RevenueChange, SurveyResponse


@dataclass(frozen=True)
class PortfolioMetrics:
    """The metrics of one period; money in cents, rates as fractions, None = undefined."""

    start: date
    end: date
    segment: str | None
    accounts_start: int
    accounts_end: int
    new_accounts: int
    churned_accounts: int
    logo_churn_rate: float | None
    customer_retention_rate: float | None
    mrr_start: int
    mrr_end: int
    new_mrr: int
    expansion_mrr: int
    contraction_mrr: int
    churned_mrr: int
    revenue_churn_rate: float | None
    net_revenue_churn_rate: float | None
    grr: float | None
    nrr: float | None
    nps: float | None
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    csat: float | None  # fraction of satisfied answers (4-5 on 1-5)
    csat_responses: int
    csat_satisfied: int
    # (reason or None, accounts, MRR lost in cents), most accounts first
    churn_by_reason: tuple[tuple[str | None, int, int], ...] = ()
    # (band or None, accounts, MRR in cents) for the accounts active at end
    mrr_by_band: tuple[tuple[str | None, int, int], ...] = ()
    reactivated_accounts: int = 0
    reactivation_mrr: int = 0
    history_complete_from: date | None = None  # None: every account's history is known
    base_currency: str = currency.DEFAULT_BASE
    # (currency, accounts) left out of every figure for want of an exchange rate on the period's end
    unconverted: tuple[tuple[str, int], ...] = ()
    # Renewals due in the period (csdesk.renewals): closed and still open; rates over the closed ones.
    renewals_due: int = 0
    renewals_closed: int = 0
    gross_renewal_rate: float | None = None
    net_renewal_rate: float | None = None
    # Ticket médio: MRR at end ÷ customers at end (cents); forward LTV: ARPA ÷ monthly revenue churn.
    arpa: int | None = None
    ltv_forward: int | None = None
    # The period's rates as a monthly rate, compounded over twelve months (1 − (1 − m)^12).
    annualised_logo_churn: float | None = None
    annualised_revenue_churn: float | None = None
    ces: float | None = None  # mean answer on 1-7
    ces_responses: int = 0
    ces_easy: int = 0  # answers 5-7
    csat_scale: str = "1-5"  # the scale the book's CSAT answers use (CSAT_SCALES)
    # Onboarding (the accounts whose contract started in the period): days from kickoff (or
    # contract start) to first value, median overall and by segment ((segment, median, accounts)).
    ttfv_days_median: float | None = None
    ttfv_accounts: int = 0
    ttfv_by_segment: tuple[tuple[str | None, float, int], ...] = ()
    onboarding_started: int = 0  # contract start in the period, at least ONBOARDING_DAYS before its end
    onboarding_completed: int = 0  # of them, first value within ONBOARDING_DAYS
    first_green_days_median: float | None = None  # contract start → first green score
    first_green_accounts: int = 0

    @property
    def ces_easy_rate(self) -> float | None:
        """Share of CES answers 5-7 (easy)."""
        return _ratio(self.ces_easy, self.ces_responses)

    @property
    def nps_zone(self) -> str | None:
        return nps_zone(self.nps)

    @property
    def onboarding_completion_rate(self) -> float | None:
        return _ratio(self.onboarding_completed, self.onboarding_started)

    def bridge_steps(self) -> tuple[tuple[str, int], ...]:
        """The movements between MRR at start and at end, signed, in the bridge's order."""
        return (
            ("new", self.new_mrr),
            ("reactivation", self.reactivation_mrr),
            ("expansion", self.expansion_mrr),
            ("contraction", -self.contraction_mrr),
            ("churn", -self.churned_mrr),
        )

    @property
    def bridge_end(self) -> int:
        """start + new + reactivation + expansion − contraction − churn (equals ``mrr_end``)."""
        return (
            self.mrr_start
            + self.new_mrr
            + self.reactivation_mrr
            + self.expansion_mrr
            - self.contraction_mrr
            - self.churned_mrr
        )

    @property
    def arr_end(self) -> int:
        return self.mrr_end * 12

    @property
    def mrr_at_risk(self) -> int:
        """MRR of accounts at risk or critical (yellow + red) at the end of the period."""
        return sum(mrr for band, _n, mrr in self.mrr_by_band if band in ("yellow", "red"))

    def to_json(self) -> dict:
        """The CLI's JSON record: money in currency units, rates as fractions."""

        def money(cents: int) -> float:
            return round(cents / 100, 2)

        def rate(value: float | None) -> float | None:
            return None if value is None else round(value, 6)

        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "accounts_start": self.accounts_start,
            "accounts_end": self.accounts_end,
            "new_accounts": self.new_accounts,
            "churned_accounts": self.churned_accounts,
            "logo_churn_rate": rate(self.logo_churn_rate),
            "customer_retention_rate": rate(self.customer_retention_rate),
            "mrr_start": money(self.mrr_start),
            "mrr_end": money(self.mrr_end),
            "new_mrr": money(self.new_mrr),
            "expansion_mrr": money(self.expansion_mrr),
            "contraction_mrr": money(self.contraction_mrr),
            "churned_mrr": money(self.churned_mrr),
            "revenue_churn_rate": rate(self.revenue_churn_rate),
            "net_revenue_churn_rate": rate(self.net_revenue_churn_rate),
            "grr": rate(self.grr),
            "nrr": rate(self.nrr),
            "nps": None if self.nps is None else round(self.nps, 2),
            "nps_responses": self.nps_responses,
            "csat": rate(self.csat),
            "csat_responses": self.csat_responses,
            "reactivated_accounts": self.reactivated_accounts,
            "reactivation_mrr": money(self.reactivation_mrr),
            "base_currency": self.base_currency,
            "accounts_without_rate": dict(self.unconverted),
            "history_complete_from": (
                None if self.history_complete_from is None else self.history_complete_from.isoformat()
            ),
            "renewals_due": self.renewals_due,
            "renewals_closed": self.renewals_closed,
            "gross_renewal_rate": rate(self.gross_renewal_rate),
            "net_renewal_rate": rate(self.net_renewal_rate),
            "nps_zone": self.nps_zone,
            "csat_scale": self.csat_scale,
            "arpa": None if self.arpa is None else money(self.arpa),
            "ltv_forward": None if self.ltv_forward is None else money(self.ltv_forward),
            "annualised_logo_churn": rate(self.annualised_logo_churn),
            "annualised_revenue_churn": rate(self.annualised_revenue_churn),
            "ces": None if self.ces is None else round(self.ces, 4),
            "ces_responses": self.ces_responses,
            "ces_easy_rate": rate(self.ces_easy_rate),
            "ttfv_days_median": self.ttfv_days_median,
            "ttfv_accounts": self.ttfv_accounts,
            "ttfv_days_median_by_segment": {
                (seg or "none"): {"days": days, "accounts": n} for seg, days, n in self.ttfv_by_segment
            },
            "onboarding_completion_rate": rate(self.onboarding_completion_rate),
            "onboarding_started": self.onboarding_started,
            "onboarding_completed": self.onboarding_completed,
            "time_to_first_green_days_median": self.first_green_days_median,
            "time_to_first_green_accounts": self.first_green_accounts,
        }


def annualised_churn(monthly_rate: float | None) -> float | None:
    """1 − (1 − m)^12: compounded, not 12 × m."""
    if monthly_rate is None:
        return None
    return 1 - (1 - monthly_rate) ** 12


def period_months(start: date, end: date) -> float:
    """How many months [start, end] spans: whole calendar months count exactly, else days ÷ 30.4375."""
    after = end + timedelta(days=1)
    if start.day == 1 and after.day == 1:
        return float((after.year - start.year) * 12 + after.month - start.month)
    return ((end - start).days + 1) / DAYS_PER_MONTH


def monthly_rate(rate: float | None, months: float) -> float | None:
    """The constant monthly rate that compounds to ``rate`` over ``months`` months."""
    if rate is None or months <= 0:
        return None
    if rate >= 1:
        return 1.0
    return 1 - (1 - rate) ** (1 / months)


def forward_ltv(arpa: int | None, monthly_revenue_churn: float | None) -> int | None:
    """ARPA ÷ monthly revenue churn (cents); undefined without churn (no finite estimate)."""
    if arpa is None or not monthly_revenue_churn or monthly_revenue_churn <= 0:
        return None
    return int(round(arpa / monthly_revenue_churn))


def nps_zone(nps: float | None) -> str | None:
    """Zona de classificação: crítica −100..0, aperfeiçoamento 1..50, qualidade 51..75, excelência 76..100."""
    if nps is None:
        return None
    for zone, top in NPS_ZONES:
        if nps <= top:
            return zone
    return NPS_ZONES[-1][0]


def csat_scale_of(scores: np.ndarray) -> str:
    """The scale a book's CSAT answers use: a 0 means 0-10, anything above 5 means 1-10, else 1-5."""
    if len(scores) and scores.min() < 1:
        return "0-10"
    if len(scores) and scores.max() > 5:
        return "1-10"
    return "1-5"


def nps_score(promoters: int, passives: int, detractors: int) -> float | None:
    total = promoters + passives + detractors
    if total == 0:
        return None
    return (promoters - detractors) / total * 100


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


DAYS_PER_MONTH = 365.25 / 12
# (zone, highest NPS in it); a fraction above a limit belongs to the next zone.
NPS_ZONES = (("critical", 0), ("improvement", 50), ("quality", 75), ("excellence", 100))
NPS_ZONE_LABELS = {
    "critical": "Critical zone",
    "improvement": "Improvement zone",
    "quality": "Quality zone",
    "excellence": "Excellence zone",
}
# CSAT counts the top answers of its scale as satisfied: 4-5 on 1-5, 8-10 on 1-10 and 0-10.
CSAT_SCALES = {"1-5": 4, "1-10": 8, "0-10": 8}
CES_EASY_MIN = 5  # 5-7 on 1-7
ONBOARDING_DAYS = 90  # an onboarding is complete when first value comes within this many days
EARLY_CHURN_DAYS = (90, 180)

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


def compute_book(book: MetricsBook, start: date, end: date) -> PortfolioMetrics:
    """The metrics of [start, end] from an already loaded book."""
    return compute_periods(book, [(start, end)])[0]


def compute_periods(book: MetricsBook, periods: Sequence[tuple[date, date]]) -> list[PortfolioMetrics]:
    """The metrics of each (start, end) period: the states at all boundaries computed at once."""
    for start, end in periods:
        if end < start:
            raise ValueError(f"the period ends ({end}) before it starts ({start})")
    if not periods:
        return []
    bounds = sorted({d for s, e in periods for d in (s - timedelta(days=1), e)})
    column = {d: i for i, d in enumerate(bounds)}
    days = _day_numbers(bounds)
    active = book.active_on(days)
    mrr = book.mrr_on(days, active)
    n_reasons = len(book.reasons)
    return [_period(book, s, e, active, mrr, column, n_reasons) for s, e in periods]


def _masks(book, cohort, active_end, mrr_start, mrr_end, start_day) -> dict[str, np.ndarray]:
    """Which accounts make each movement of a period (the one place its rules are written).

    Cohort accounts by their net change between start and end; customers at the end that were
    not at the start are new logos, or reactivations when they were customers before.
    """
    arrived = ~cohort & active_end
    returning = arrived & (book._first_active < start_day)
    return {
        "start": cohort,
        "end": active_end,
        "expansion": cohort & (mrr_end > mrr_start),
        "churn": cohort & (mrr_end == 0) & (mrr_start > 0),
        "contraction": cohort & (mrr_end > 0) & (mrr_end < mrr_start),
        "churned": cohort & ~active_end,  # logos lost (churn MRR is "churn")
        "reactivation": returning,
        "new": arrived & ~returning,
    }


MOVEMENTS = ("start", "end", "new", "reactivation", "expansion", "contraction", "churn", "churned")


def period_accounts(book: MetricsBook, start: date, end: date, which: str) -> list[int]:
    """The ids behind one figure of [start, end]: ``which`` is one of MOVEMENTS."""
    b_day, e_day = start - timedelta(days=1), end
    days = _day_numbers([b_day, e_day])
    active = book.active_on(days)
    mrr = book.mrr_on(days, active)
    mrr_start, mrr_end, priced = book.in_base(end, mrr[:, 0], mrr[:, 1])
    masks = _masks(book, active[:, 0] & priced, active[:, 1] & priced, mrr_start, mrr_end, days[0] + 1)
    return book.ids[masks[which]].tolist()


def _period(book, start, end, active, mrr, column, n_reasons) -> PortfolioMetrics:
    b, e = column[start - timedelta(days=1)], column[end]
    mrr_start_s, mrr_end_s, priced = book.in_base(end, mrr[:, b], mrr[:, e])
    # Accounts without an exchange rate are left out of every figure, counts included.
    cohort, active_end = active[:, b] & priced, active[:, e] & priced
    unpriced = ~priced & (active[:, b] | active[:, e])
    unconverted = (
        tuple(
            (str(code), int(n))
            for code, n in zip(*np.unique(book.currency_of[unpriced], return_counts=True), strict=True)
        )
        if unpriced.any()
        else ()
    )
    s_n, e_n = _day_numbers([start, end])

    masks = _masks(book, cohort, active_end, mrr_start_s, mrr_end_s, s_n)
    up, gone, down = masks["expansion"], masks["churn"], masks["contraction"]
    returning, joined = masks["reactivation"], masks["new"]
    expansion_mrr = money_sum(mrr_end_s - mrr_start_s, up)
    contraction_mrr = money_sum(mrr_start_s - mrr_end_s, down)
    churned_mrr = money_sum(mrr_start_s, gone)
    new_accounts = int(joined.sum())
    reactivated_accounts = int(returning.sum())
    new_mrr = money_sum(mrr_end_s, joined)
    reactivation_mrr = money_sum(mrr_end_s, returning)

    accounts_start = int(cohort.sum())
    accounts_end = int(active_end.sum())
    churned_mask = masks["churned"]
    churned_accounts = int(churned_mask.sum())
    mrr_start = money_sum(mrr_start_s)
    mrr_end = money_sum(mrr_end_s)

    codes = book.reason_code[churned_mask]
    counts = np.bincount(codes, minlength=n_reasons)
    lost = np.bincount(codes, weights=mrr_start_s[churned_mask], minlength=n_reasons).astype(np.int64)
    # Most accounts first, then most MRR; ties keep the reasons' order (no reason last).
    order = [i for i in np.lexsort((-lost, -counts)) if counts[i]]
    churn_by_reason = tuple((book.reasons[i], int(counts[i]), int(lost[i])) for i in order)

    in_window = (book.sur_day >= s_n) & (book.sur_day <= e_n)
    nps_scores = book.sur_score[in_window & book.sur_nps]
    promoters, passives, detractors = nps_groups(nps_scores)
    kind = book.sur_kind if book.sur_kind is not None else np.where(book.sur_nps, 1, 0)
    # The scale is the book's (all its answers), so every period reads CSAT alike.
    csat_scale = csat_scale_of(book.sur_score[kind == 0])
    csat_scores = book.sur_score[in_window & (kind == 0)]
    satisfied = int((csat_scores >= CSAT_SCALES[csat_scale]).sum())
    ces_scores = book.sur_score[in_window & (kind == 2)]

    logo_churn = _ratio(churned_accounts, accounts_start)
    revenue_churn = _ratio(churned_mrr + contraction_mrr, mrr_start)
    months = period_months(start, end)
    monthly_logo, monthly_revenue = monthly_rate(logo_churn, months), monthly_rate(revenue_churn, months)
    arpa = None if accounts_end == 0 else int(round(mrr_end / accounts_end))

    return PortfolioMetrics(
        start=start,
        end=end,
        segment=book.segment,
        accounts_start=accounts_start,
        accounts_end=accounts_end,
        new_accounts=new_accounts,
        churned_accounts=churned_accounts,
        logo_churn_rate=logo_churn,
        # The accounts at the end less those that arrived in the period: the cohort retained.
        customer_retention_rate=_ratio(accounts_end - new_accounts - reactivated_accounts, accounts_start),
        mrr_start=mrr_start,
        mrr_end=mrr_end,
        new_mrr=new_mrr,
        expansion_mrr=expansion_mrr,
        contraction_mrr=contraction_mrr,
        churned_mrr=churned_mrr,
        revenue_churn_rate=revenue_churn,
        net_revenue_churn_rate=_ratio(churned_mrr + contraction_mrr - expansion_mrr, mrr_start),
        grr=_ratio(mrr_start - churned_mrr - contraction_mrr, mrr_start),
        nrr=_ratio(mrr_start - churned_mrr - contraction_mrr + expansion_mrr, mrr_start),
        nps=nps_score(promoters, passives, detractors),
        nps_responses=len(nps_scores),
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        csat=_ratio(satisfied, len(csat_scores)),
        csat_responses=len(csat_scores),
        csat_satisfied=satisfied,
        churn_by_reason=churn_by_reason,
        mrr_by_band=(),
        reactivated_accounts=reactivated_accounts,
        reactivation_mrr=reactivation_mrr,
        history_complete_from=book.history_complete_from,
        base_currency=book.base_currency,
        unconverted=unconverted,
        arpa=arpa,
        ltv_forward=forward_ltv(arpa, monthly_revenue),
        annualised_logo_churn=annualised_churn(monthly_logo),
        annualised_revenue_churn=annualised_churn(monthly_revenue),
        ces=float(ces_scores.mean()) if len(ces_scores) else None,
        ces_responses=len(ces_scores),
        ces_easy=int((ces_scores >= CES_EASY_MIN).sum()),
        csat_scale=csat_scale,
    )


def bands_at(db: Database, day: date, account_ids: pd.Index | None = None) -> pd.Series:
    """Each account's health band at the end of ``day`` (latest snapshot on or before it).

    Snapshots are weekly: an account without one in the week to ``day`` had no score
    then (No data), whatever band it had before.
    """
    with db.session() as session:
        if day >= clock.today():
            rows = session.execute(select(Account.id, Account.health_band)).all()
        else:
            latest = (
                select(HealthSnapshot.account_id, func.max(HealthSnapshot.as_of).label("as_of"))
                .where(HealthSnapshot.as_of <= day, HealthSnapshot.as_of > day - timedelta(days=7))
                .group_by(HealthSnapshot.account_id)
                .subquery()
            )
            rows = session.execute(
                select(HealthSnapshot.account_id, HealthSnapshot.band).join(
                    latest,
                    (latest.c.account_id == HealthSnapshot.account_id)
                    & (latest.c.as_of == HealthSnapshot.as_of),
                )
            ).all()
    bands = pd.Series(dict(rows), dtype="object")
    if account_ids is not None:
        bands = bands.reindex(account_ids)
    return bands


def scores_at(db: Database, day: date, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(score, band code) of the accounts ``ids`` at the end of ``day``: NaN and -1 without a score.

    The latest snapshot in the week to ``day`` (snapshots are weekly), as ``bands_at``;
    band codes index ``BAND_KEYS`` (0 green, 1 yellow, 2 red). Read through the model's
    column types, so the way the history is stored stays the health module's business.
    """
    with db.session() as session:
        rows = session.execute(
            select(
                HealthSnapshot.account_id, HealthSnapshot.as_of, HealthSnapshot.score, HealthSnapshot.band
            ).where(HealthSnapshot.as_of <= day, HealthSnapshot.as_of > day - timedelta(days=7))
        ).all()
    score = np.full(len(ids), np.nan)
    band = np.full(len(ids), -1, dtype=np.int64)
    if rows and len(ids):
        codes = {key: i for i, key in enumerate(BAND_KEYS)}
        data = np.array([(a, d.toordinal(), s, codes.get(b, -1)) for a, d, s, b in rows], dtype=np.float64)
        data = data[np.lexsort((data[:, 1], data[:, 0]))]
        data = data[np.r_[data[1:, 0] != data[:-1, 0], True]]  # each account's latest
        pos = np.minimum(np.searchsorted(ids, data[:, 0].astype(np.int64)), len(ids) - 1)
        ok = ids[pos] == data[:, 0]
        score[pos[ok]] = data[ok, 2]
        band[pos[ok]] = data[ok, 3].astype(np.int64)
    return score, band


BAND_KEYS = ("green", "yellow", "red")


def mrr_by_band(book: MetricsBook, db: Database, day: date) -> tuple[tuple[str | None, int, int], ...]:
    """(band, accounts, MRR) of the accounts active at ``day``: green, yellow, red, then unscored."""
    days = _day_numbers([day])
    active = book.active_on(days)
    mrr, priced = book.in_base(day, book.mrr_on(days, active)[:, 0])
    active = active[:, 0] & priced
    bands = bands_at(db, day, pd.Index(book.ids[active])).to_numpy(dtype=object)
    mrr = mrr[active]
    result = []
    for band in ("green", "yellow", "red", None):
        mask = pd.isna(bands) if band is None else bands == band
        result.append((band, int(mask.sum()), int(mrr[mask].sum())))
    return tuple(result)


@dataclass(frozen=True)
class Onboarding:
    """Per account of a Book (same order): the days onboarding is measured by (NaN: none)."""

    kickoff: np.ndarray  # first kickoff meeting
    first_value: np.ndarray  # first "first value" event, or first quick win completed
    first_green: np.ndarray  # first green health score


def _first_day_by_account(session, book: MetricsBook, statement) -> np.ndarray:
    rows = fetch_numeric(session, statement, 2)
    out = np.full(len(book.ids), np.nan)
    if len(rows) and len(book.ids):
        pos = np.searchsorted(book.ids, rows[:, 0].astype(np.int64))
        pos = np.minimum(pos, len(book.ids) - 1)
        ok = book.ids[pos] == rows[:, 0]
        np.fmin.at(out, pos[ok], rows[ok, 1])
    return out


def load_onboarding(db: Database, book: MetricsBook) -> Onboarding:
    """Kickoff, first value and first green days of the book's accounts (three grouped queries)."""
    from db.models import Milestone, SuccessPlan, TimelineEvent

    def first(day_column, account_column, *where, joins=()):
        q = select(account_column, func.min(day_number(day_column)))
        for target, on in joins:
            q = q.join(target, on)
        return q.where(*where).group_by(account_column)

    with db.session() as session:
        kickoff = _first_day_by_account(
            session,
            book,
            first(
                TimelineEvent.occurred_at,
                TimelineEvent.account_id,
                TimelineEvent.kind == "meeting",
                TimelineEvent.subkind == "kickoff",
            ),
        )
        value = _first_day_by_account(
            session,
            book,
            first(TimelineEvent.occurred_at, TimelineEvent.account_id, TimelineEvent.kind == "first_value"),
        )
        quick_win = _first_day_by_account(
            session,
            book,
            first(
                Milestone.completed_on,
                SuccessPlan.account_id,
                Milestone.is_quick_win.is_(True),
                Milestone.completed_on.is_not(None),
                joins=((SuccessPlan, SuccessPlan.id == Milestone.plan_id),),
            ),
        )
        # The health history through its column types (its storage is the health module's).
        epoch = date(1970, 1, 1)
        green_rows = session.execute(
            select(HealthSnapshot.account_id, func.min(HealthSnapshot.as_of))
            .where(HealthSnapshot.band == "green")
            .group_by(HealthSnapshot.account_id)
        ).all()
        green = np.full(len(book.ids), np.nan)
        if green_rows and len(book.ids):
            acc = np.array([r[0] for r in green_rows], dtype=np.int64)
            days = np.array([(r[1] - epoch).days for r in green_rows], dtype=np.float64)
            pos = np.minimum(np.searchsorted(book.ids, acc), len(book.ids) - 1)
            ok = book.ids[pos] == acc
            green[pos[ok]] = days[ok]
    return Onboarding(kickoff, np.fmin(value, quick_win), green)


def _median(values: np.ndarray) -> float | None:
    return None if len(values) == 0 else round(float(np.median(values)), 1)


def onboarding_metrics(book: MetricsBook, ob: Onboarding, start: date, end: date) -> dict:
    """TTFV, onboarding completion and time to first green of [start, end] (PortfolioMetrics fields).

    TTFV: onboardings that reached first value in the period, days from the kickoff (or, without
    one, the contract start). Completion: onboardings begun in the period at least
    ONBOARDING_DAYS before its end, and how many reached first value within ONBOARDING_DAYS.
    Time to first green: accounts whose contract started in the period and turned green by its end.
    """
    s_n, e_n = (int(d) for d in _day_numbers([start, end]))
    contract = book.start_day if book.start_day is not None else np.full(len(book.ids), np.nan)
    anchor = np.where(np.isnan(ob.kickoff), contract, ob.kickoff)
    with np.errstate(invalid="ignore"):
        reached = (ob.first_value >= s_n) & (ob.first_value <= e_n) & (ob.first_value >= anchor)
        ttfv = ob.first_value - anchor
        segments = pd.Series(book.segment_of[reached], dtype=object).fillna("")
        by_segment = tuple(
            (seg or None, _median(days.to_numpy()), len(days))
            for seg, days in pd.Series(ttfv[reached]).groupby(segments.to_numpy(), sort=True)
        )
        begun = (anchor >= s_n) & (anchor <= e_n - ONBOARDING_DAYS)
        completed = begun & (ob.first_value <= anchor + ONBOARDING_DAYS)
        new = (contract >= s_n) & (contract <= e_n) & (ob.first_green >= contract) & (ob.first_green <= e_n)
    return {
        "ttfv_days_median": _median(ttfv[reached]),
        "ttfv_accounts": int(reached.sum()),
        "ttfv_by_segment": by_segment,
        "onboarding_started": int(begun.sum()),
        "onboarding_completed": int(completed.sum()),
        "first_green_days_median": _median((ob.first_green - contract)[new]),
        "first_green_accounts": int(new.sum()),
    }


def compute(db: Database, start: date, end: date, segment: str | None = None) -> PortfolioMetrics:
    """The portfolio metrics of [start, end] (inclusive), overall or for one segment."""
    book = load_book(db, segment)
    result = compute_book(book, start, end)
    onboarding = onboarding_metrics(book, load_onboarding(db, book), start, end)
    return with_renewals(db, replace(result, mrr_by_band=mrr_by_band(book, db, end), **onboarding), segment)
def historic_ltv(book: MetricsBook, as_of: date) -> np.ndarray:
    """Revenue received by each account (cents, contract currency) up to the end of ``as_of``.

    Each revenue row's MRR counts from its date to the next row (or ``as_of``), by calendar
    months and the day fraction of 30.4375 days: R$ 1.000 from 1 January to 1 July is R$ 6.000.
    """
    out = np.zeros(len(book.ids), dtype=np.float64)
    if not len(book.rev_pos):
        return out.astype(np.int64)
    end = int(_day_numbers([as_of])[0]) + 1
    pos, day = book.rev_pos, book.rev_day
    nxt = np.r_[day[1:], end]
    last_of_account = np.r_[pos[1:] != pos[:-1], True]
    nxt = np.where(last_of_account, end, nxt)
    # An opening balance stands for "before any period": the revenue before it is unknown, so it
    # counts from the contract start (or, without one, the day the book's history is complete).
    floor = (
        int(_day_numbers([book.history_complete_from])[0]) if book.history_complete_from is not None else end
    )
    if book.start_day is not None:
        floor = np.where(np.isnan(book.start_day[pos]), floor, book.start_day[pos]).astype(np.int64)
    begin = np.where(day == _BEFORE_ALL, floor, day)
    begin = np.minimum(begin, end)
    stop = np.clip(nxt, begin, end)
    rate = np.where(book.rev_kind == 2, 0, book.rev_after)
    months = _months_between(begin, stop)
    np.add.at(out, pos, rate * months)
    return np.round(out).astype(np.int64)


def _months_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Calendar months from day numbers ``a`` to ``b`` plus the leftover days ÷ 30.4375."""
    da, db_ = a.astype("datetime64[D]"), b.astype("datetime64[D]")
    ma, mb = da.astype("datetime64[M]"), db_.astype("datetime64[M]")
    whole = (mb - ma).astype(np.int64)
    dom_a = (da - ma.astype("datetime64[D]")).astype(np.int64)
    dom_b = (db_ - mb.astype("datetime64[D]")).astype(np.int64)
    return whole + (dom_b - dom_a) / DAYS_PER_MONTH


def with_renewals(db: Database, result: PortfolioMetrics, segment: str | None = None) -> PortfolioMetrics:
    """``result`` with the renewals due in its period and their gross and net renewal rates."""
    from csdesk import renewals

    due = renewals.renewal_rates(db, result.start, result.end, segment)
    return replace(
        result,
        renewals_due=due.due,
        renewals_closed=due.closed,
        gross_renewal_rate=due.gross,
        net_renewal_rate=due.net,
    )


def month_periods(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar months overlapping [start, end], clipped to it."""
    periods = []
    cursor = month_start(start)
    while cursor <= end:
        nxt = add_months(cursor, 1)
        periods.append((max(cursor, start), min(nxt - timedelta(days=1), end)))
        cursor = nxt
    return periods


def monthly(db: Database, start: date, end: date, segment: str | None = None) -> list[PortfolioMetrics]:
    """The metrics of each calendar month in [start, end] (NRR/GRR/NPS by month)."""
    return compute_periods(load_book(db, segment), month_periods(start, end))


@dataclass(frozen=True)
class RenewalMonth:
    month: date
    accounts: int
    mrr_cents: int
    at_risk_mrr_cents: int  # of accounts in the yellow or red band
    critical_mrr_cents: int = 0  # the red band's part of it


def renewals_by_month(
    db: Database, start: date, months: int = 12, segment: str | None = None
) -> list[RenewalMonth]:
    """Active accounts renewing in each month from ``start``'s month on."""
    first = month_start(start)
    last = add_months(first, months) - timedelta(days=1)
    with db.session() as session:
        query = select(
            day_number(Account.renewal_date),
            func.coalesce(Account.mrr_cents, 0),
            case((Account.health_band.in_(("yellow", "red")), 1), else_=0),
            case((Account.health_band == "red", 1), else_=0),
        ).where(
            Account.status == "active",
            Account.renewal_date >= first,
            Account.renewal_date <= last,
        )
        if segment:
            query = query.where(Account.segment == segment)
        rows = fetch_numeric(session, query, 4)
    bounds = _day_numbers([add_months(first, i) for i in range(months + 1)])
    month = np.searchsorted(bounds, rows[:, 0].astype(np.int64), side="right") - 1
    counts = np.bincount(month, minlength=months)
    mrr = np.bincount(month, weights=rows[:, 1], minlength=months)
    risky = np.bincount(month, weights=rows[:, 1] * rows[:, 2], minlength=months)
    critical = np.bincount(month, weights=rows[:, 1] * rows[:, 3], minlength=months)
    return [
        RenewalMonth(
            add_months(first, i),
            int(counts[i]),
            int(round(mrr[i])),
            int(round(risky[i])),
            int(round(critical[i])),
        )
        for i in range(months)
    ]


def default_period(today: date | None = None) -> tuple[date, date]:
    """The trailing twelve months up to today."""
    today = today or clock.today()
    return add_months(month_start(today), -11), today
