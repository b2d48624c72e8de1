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

The package: ``results`` (the record and its formulas), ``book`` (the data in arrays),
``movements`` (a period's figures), ``bands``, ``onboarding``, ``ltv``, ``by_month``;
:func:`compute` puts them together.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from csdesk.metrics.bands import BAND_KEYS, bands_at, mrr_by_band, scores_at
from csdesk.metrics.book import (
    _BEFORE_ALL,
    _NEVER,
    _OFFSET,
    _STRIDE,
    MetricsBook,
    _day_numbers,
    build_book,
    load_book,
    money_sum,
)
from csdesk.metrics.by_month import RenewalMonth, default_period, month_periods, monthly, renewals_by_month
from csdesk.metrics.ltv import historic_ltv
from csdesk.metrics.movements import MOVEMENTS, compute_book, compute_periods, period_accounts
from csdesk.metrics.onboarding import Onboarding, load_onboarding, onboarding_metrics
from csdesk.metrics.results import (
    CES_EASY_MIN,
    CSAT_SCALES,
    EARLY_CHURN_DAYS,
    NPS_ZONE_LABELS,
    NPS_ZONES,
    ONBOARDING_DAYS,
    PortfolioMetrics,
    annualised_churn,
    csat_scale_of,
    forward_ltv,
    monthly_rate,
    nps_score,
    nps_zone,
    period_months,
)
from db import Database

__all__ = [
    "BAND_KEYS",
    "CES_EASY_MIN",
    "CSAT_SCALES",
    "EARLY_CHURN_DAYS",
    "MOVEMENTS",
    "NPS_ZONES",
    "NPS_ZONE_LABELS",
    "ONBOARDING_DAYS",
    "_BEFORE_ALL",
    "_NEVER",
    "_OFFSET",
    "_STRIDE",
    "MetricsBook",
    "Onboarding",
    "PortfolioMetrics",
    "RenewalMonth",
    "_day_numbers",
    "annualised_churn",
    "bands_at",
    "build_book",
    "compute",
    "compute_book",
    "compute_periods",
    "csat_scale_of",
    "default_period",
    "forward_ltv",
    "historic_ltv",
    "load_book",
    "load_onboarding",
    "money_sum",
    "month_periods",
    "monthly",
    "monthly_rate",
    "mrr_by_band",
    "nps_score",
    "nps_zone",
    "onboarding_metrics",
    "period_accounts",
    "period_months",
    "renewals_by_month",
    "scores_at",
    "with_renewals",
]


def compute(db: Database, start: date, end: date, segment: str | None = None) -> PortfolioMetrics:
    """The portfolio metrics of [start, end] (inclusive), overall or for one segment."""
    book = load_book(db, segment)
    result = compute_book(book, start, end)
    onboarding = onboarding_metrics(book, load_onboarding(db, book), start, end)
    return with_renewals(db, replace(result, mrr_by_band=mrr_by_band(book, db, end), **onboarding), segment)


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
