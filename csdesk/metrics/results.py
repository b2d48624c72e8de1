"""What a period's metrics are: the PortfolioMetrics record and the formulas over its figures (rates, LTV, NPS, CSAT)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from csdesk import currency
from csdesk.rules.calendar import months_between


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
    """How many months the inclusive period [start, end] spans (the calendar's rule)."""
    return months_between(start, end + timedelta(days=1))


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
