"""The metrics of periods from a loaded book: each account's state at the period's bounds, its movements and the figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from csdesk.metrics.book import MetricsBook, _day_numbers, money_sum
from csdesk.metrics.results import (
    CES_EASY_MIN,
    CSAT_SCALES,
    PortfolioMetrics,
    _ratio,
    annualised_churn,
    csat_scale_of,
    forward_ltv,
    monthly_rate,
    nps_score,
    period_months,
)
from csdesk.nps import nps_groups


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
