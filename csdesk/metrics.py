"""Portfolio metrics (domain §3): churn, retention, GRR/NRR, MRR movements, NPS, CSAT.

Period semantics: ``start`` and ``end`` are inclusive dates. The state at start
is the state at the end of the day before ``start``; movements dated within
[start, end] count in the period. Only accounts active at start (the cohort)
count in retention metrics; accounts new in the period never count as
expansion, their MRR is new MRR.

Everything is computed from ``RevenueChange`` rows plus the accounts' contract
start, status and churn date (accounts without revenue rows get a synthetic
"new" at contract start and "churn" at churn date), and from survey answers.
A rate whose denominator is empty is ``None`` (undefined), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from db import Database
from db.models import Account, HealthSnapshot, RevenueChange, SurveyResponse

ACTIVATING = ("new", "reactivation")


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
        }


def annualised_churn(monthly_rate: float | None) -> float | None:
    """1 − (1 − m)^12: compounded, not 12 × m."""
    if monthly_rate is None:
        return None
    return 1 - (1 - monthly_rate) ** 12


def nps_score(promoters: int, passives: int, detractors: int) -> float | None:
    total = promoters + passives + detractors
    if total == 0:
        return None
    return (promoters - detractors) / total * 100


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


@dataclass
class Book:
    """The data the metrics need, loaded once; periods are computed in memory."""

    accounts: pd.DataFrame  # index id: segment, status, contract_start, churn_date, churn_reason, mrr_cents
    revenue: pd.DataFrame  # account_id, date, kind, before, after (sorted; synthetic rows included)
    surveys: pd.DataFrame  # account_id, kind, score, day
    segment: str | None = None
    _events: pd.DataFrame | None = field(default=None, repr=False)
    _default_active: pd.Series | None = field(default=None, repr=False)

    def status_events(self) -> tuple[pd.DataFrame, pd.Series]:
        """Activation / deactivation events, and each account's state before its first one."""
        if self._events is None:
            rev = self.revenue
            kinds = rev["kind"].to_numpy()
            mask = np.isin(kinds, (*ACTIVATING, "churn"))
            ev = pd.DataFrame(
                {
                    "account_id": rev["account_id"].to_numpy()[mask],
                    "date": rev["date"].to_numpy()[mask],
                    "active": np.isin(kinds[mask], ACTIVATING),
                    "seq": np.arange(len(rev))[mask],
                }
            )
            ev = ev.sort_values(["account_id", "date", "seq"], kind="stable")
            first = ev.groupby("account_id")["active"].first()
            default = self.accounts["status"].eq("active")
            # Before its first event an account is in the opposite state of that event.
            default.loc[first.index] = ~first.to_numpy()
            self._events = ev
            self._default_active = default
        return self._events, self._default_active

    def active_at(self, day: date) -> pd.Series:
        """Whether each account is a customer at the end of ``day``."""
        ev, default = self.status_events()
        state = default.copy()
        past = ev[ev["date"] <= np.datetime64(day)]
        if len(past):
            last = past.groupby("account_id")["active"].last()
            state.loc[last.index] = last.to_numpy()
        return state

    def mrr_at(self, day: date, active: pd.Series | None = None) -> pd.Series:
        """MRR (cents) of each account at the end of ``day``; 0 when not a customer."""
        active = self.active_at(day) if active is None else active
        mrr = self.accounts["mrr_cents"].astype("int64").copy()
        rev = self.revenue
        if len(rev):
            when = np.datetime64(day)
            past = rev[rev["date"] <= when]
            future = rev[rev["date"] > when]
            first_after = future.groupby("account_id")["before"].first()
            mrr.loc[first_after.index] = first_after.to_numpy()
            last_before = past.groupby("account_id")["after"].last()
            mrr.loc[last_before.index] = last_before.to_numpy()
        return mrr.where(active, 0)


def load_book(db: Database, segment: str | None = None) -> Book:
    """Accounts, revenue movements and survey answers of the book (or one segment)."""
    with db.session() as session:
        acc_q = select(
            Account.id,
            Account.segment,
            Account.status,
            Account.contract_start,
            Account.churn_date,
            Account.churn_reason,
            Account.mrr_cents,
        )
        rev_q = select(
            RevenueChange.account_id,
            RevenueChange.effective_date,
            RevenueChange.kind,
            RevenueChange.mrr_before_cents,
            RevenueChange.mrr_after_cents,
            RevenueChange.id,
        )
        sur_q = select(
            SurveyResponse.account_id, SurveyResponse.kind, SurveyResponse.score, SurveyResponse.answered_at
        ).where(SurveyResponse.kind.in_(("nps", "csat")))
        if segment:
            acc_q = acc_q.where(Account.segment == segment)
            ids = select(Account.id).where(Account.segment == segment)
            rev_q = rev_q.where(RevenueChange.account_id.in_(ids))
            sur_q = sur_q.where(SurveyResponse.account_id.in_(ids))
        acc_rows = session.execute(acc_q).all()
        rev_rows = session.execute(rev_q).all()
        sur_rows = session.execute(sur_q).all()
    return build_book(acc_rows, rev_rows, sur_rows, segment)


def _dates(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values, dtype="object")).to_numpy(dtype="datetime64[ns]")


def build_book(acc_rows, rev_rows, sur_rows, segment: str | None = None) -> Book:
    accounts = pd.DataFrame(
        acc_rows,
        columns=["id", "segment", "status", "contract_start", "churn_date", "churn_reason", "mrr_cents"],
    ).set_index("id")
    accounts["mrr_cents"] = accounts["mrr_cents"].fillna(0).astype("int64")
    revenue = pd.DataFrame(rev_rows, columns=["account_id", "date", "kind", "before", "after", "id"])
    revenue["date"] = _dates(revenue["date"])
    # Accounts with no revenue history: their contract start is a "new", their churn date a "churn".
    bare = accounts[~accounts.index.isin(revenue["account_id"].unique())]
    synthetic = []
    starts = bare[bare["contract_start"].notna()]
    if len(starts):
        synthetic.append(
            pd.DataFrame(
                {
                    "account_id": starts.index.to_numpy(),
                    "date": _dates(starts["contract_start"]),
                    "kind": "new",
                    "before": 0,
                    "after": starts["mrr_cents"].to_numpy(),
                    "id": -1,
                }
            )
        )
    churns = bare[bare["churn_date"].notna() & bare["status"].eq("churned")]
    if len(churns):
        synthetic.append(
            pd.DataFrame(
                {
                    "account_id": churns.index.to_numpy(),
                    "date": _dates(churns["churn_date"]),
                    "kind": "churn",
                    "before": churns["mrr_cents"].to_numpy(),
                    "after": 0,
                    "id": 0,
                }
            )
        )
    if synthetic:
        revenue = pd.concat([revenue, *synthetic], ignore_index=True)
    revenue = revenue.sort_values(["account_id", "date", "id"], kind="stable").reset_index(drop=True)
    revenue[["before", "after"]] = revenue[["before", "after"]].astype("int64")
    surveys = pd.DataFrame(sur_rows, columns=["account_id", "kind", "score", "answered_at"])
    surveys["day"] = pd.to_datetime(surveys["answered_at"]).dt.normalize()
    return Book(accounts=accounts, revenue=revenue, surveys=surveys, segment=segment)


def compute_book(book: Book, start: date, end: date) -> PortfolioMetrics:
    """The metrics of [start, end] from an already loaded book."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    before = start - timedelta(days=1)
    active_start = book.active_at(before)
    active_end = book.active_at(end)
    mrr_start_s = book.mrr_at(before, active_start)
    mrr_end_s = book.mrr_at(end, active_end)
    cohort = active_start

    rev = book.revenue
    in_period = rev[(rev["date"] >= np.datetime64(start)) & (rev["date"] <= np.datetime64(end))]
    in_cohort = cohort.reindex(in_period["account_id"]).fillna(False).to_numpy(dtype=bool)
    moves = in_period[in_cohort]
    delta = (moves["after"] - moves["before"]).to_numpy()
    is_churn = (moves["kind"].eq("churn") | moves["after"].eq(0)).to_numpy()
    churned_mrr = int(-delta[is_churn & (delta < 0)].sum())
    contraction_mrr = int(-delta[~is_churn & (delta < 0)].sum())
    expansion_mrr = int(delta[delta > 0].sum())

    newcomers = ~cohort
    activations = in_period[in_period["kind"].isin(ACTIVATING)]["account_id"].unique()
    new_accounts = int((newcomers & book.accounts.index.isin(activations)).sum())
    new_still_active = int((newcomers & active_end).sum())
    new_mrr = int(mrr_end_s[newcomers].sum())

    accounts_start = int(cohort.sum())
    accounts_end = int(active_end.sum())
    churned_mask = cohort & ~active_end
    churned_accounts = int(churned_mask.sum())
    mrr_start = int(mrr_start_s.sum())
    mrr_end = int(mrr_end_s.sum())

    lost = book.accounts.loc[churned_mask[churned_mask].index]
    reasons = (
        pd.DataFrame({"reason": lost["churn_reason"], "mrr": mrr_start_s.loc[lost.index]})
        .groupby("reason", dropna=False)
        .agg(accounts=("mrr", "size"), mrr=("mrr", "sum"))
        .sort_values(["accounts", "mrr"], ascending=False)
    )
    churn_by_reason = tuple(
        (None if pd.isna(r) else str(r), int(row.accounts), int(row.mrr)) for r, row in reasons.iterrows()
    )

    sur = book.surveys
    in_window = sur[(sur["day"] >= pd.Timestamp(start)) & (sur["day"] <= pd.Timestamp(end))]
    nps_scores = in_window.loc[in_window["kind"].eq("nps"), "score"].to_numpy()
    promoters = int((nps_scores >= 9).sum())
    detractors = int((nps_scores <= 6).sum())
    passives = len(nps_scores) - promoters - detractors
    csat_scores = in_window.loc[in_window["kind"].eq("csat"), "score"].to_numpy()
    satisfied = int((csat_scores >= 4).sum())

    return PortfolioMetrics(
        start=start,
        end=end,
        segment=book.segment,
        accounts_start=accounts_start,
        accounts_end=accounts_end,
        new_accounts=new_accounts,
        churned_accounts=churned_accounts,
        logo_churn_rate=_ratio(churned_accounts, accounts_start),
        # New logos still active at the end are the "new accounts" the formula subtracts:
        # a new logo that also left within the period is in neither count.
        customer_retention_rate=_ratio(accounts_end - new_still_active, accounts_start),
        mrr_start=mrr_start,
        mrr_end=mrr_end,
        new_mrr=new_mrr,
        expansion_mrr=expansion_mrr,
        contraction_mrr=contraction_mrr,
        churned_mrr=churned_mrr,
        revenue_churn_rate=_ratio(churned_mrr + contraction_mrr, mrr_start),
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
    )


def bands_at(db: Database, day: date, account_ids: pd.Index | None = None) -> pd.Series:
    """Each account's health band at the end of ``day`` (latest snapshot on or before it)."""
    with db.session() as session:
        if day >= date.today():
            rows = session.execute(select(Account.id, Account.health_band)).all()
        else:
            latest = (
                select(HealthSnapshot.account_id, func.max(HealthSnapshot.as_of).label("as_of"))
                .where(HealthSnapshot.as_of <= day)
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


def mrr_by_band(book: Book, db: Database, day: date) -> tuple[tuple[str | None, int, int], ...]:
    """(band, accounts, MRR) of the accounts active at ``day``: green, yellow, red, then unscored."""
    active = book.active_at(day)
    mrr = book.mrr_at(day, active)[active]
    bands = bands_at(db, day, mrr.index)
    result = []
    for band in ("green", "yellow", "red", None):
        mask = bands.isna() if band is None else bands.eq(band)
        result.append((band, int(mask.sum()), int(mrr[mask.to_numpy()].sum())))
    return tuple(result)


def compute(db: Database, start: date, end: date, segment: str | None = None) -> PortfolioMetrics:
    """The portfolio metrics of [start, end] (inclusive), overall or for one segment."""
    from dataclasses import replace

    book = load_book(db, segment)
    result = compute_book(book, start, end)
    return replace(result, mrr_by_band=mrr_by_band(book, db, end))


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


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
    book = load_book(db, segment)
    return [compute_book(book, a, b) for a, b in month_periods(start, end)]


@dataclass(frozen=True)
class RenewalMonth:
    month: date
    accounts: int
    mrr_cents: int
    at_risk_mrr_cents: int  # of accounts in the yellow or red band


def renewals_by_month(
    db: Database, start: date, months: int = 12, segment: str | None = None
) -> list[RenewalMonth]:
    """Active accounts renewing in each month from ``start``'s month on."""
    first = month_start(start)
    last = add_months(first, months) - timedelta(days=1)
    with db.session() as session:
        query = select(Account.renewal_date, Account.mrr_cents, Account.health_band).where(
            Account.status == "active", Account.renewal_date >= first, Account.renewal_date <= last
        )
        if segment:
            query = query.where(Account.segment == segment)
        rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["renewal", "mrr", "band"])
    result = []
    for i in range(months):
        month = add_months(first, i)
        nxt = add_months(first, i + 1)
        sel = frame[(frame["renewal"] >= month) & (frame["renewal"] < nxt)] if len(frame) else frame
        risky = sel[sel["band"].isin(("yellow", "red"))] if len(sel) else sel
        result.append(
            RenewalMonth(month, len(sel), int(sel["mrr"].sum()) if len(sel) else 0, int(risky["mrr"].sum()))
        )
    return result


def default_period(today: date | None = None) -> tuple[date, date]:
    """The trailing twelve months up to today."""
    today = today or date.today()
    return add_months(month_start(today), -11), today
