"""The executive report of a period: the portfolio for a CS leader, as a PPTX deck or a PDF.

KPIs, the MRR movements, the NRR/GRR trend, the health bands and whether the score
predicts churn, the cohorts, renewals (when the book has renewal dates) and the top
risks; in pt-BR or English. Built as one ``csdesk.documents`` Document with the
portfolio charts of ``csdesk.charts`` as images, written by the documents' own writers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import case, func, select

from csdesk import charts, clock, cohorts, formatting, health, health_check, metrics, vocab
from csdesk.documents.builder import write
from csdesk.documents.model import Document, Image, Kpi, KpiRow, Paragraph, Section, Table
from csdesk.i18n import label, tr
from csdesk.rules.calendar import add_months, month_start
from db import Database
from db.models import Account

TOP_RISKS = 10


def _png(fig) -> bytes:
    return charts.render(fig, "png", dpi=150)


def top_risks(db: Database, segment: str | None = None, limit: int = TOP_RISKS) -> list[Account]:
    """Active red, then yellow, accounts with the most MRR first."""
    with db.session() as session:
        q = (
            select(Account)
            .where(Account.status == "active", Account.health_band.in_(("red", "yellow")))
            .order_by(case((Account.health_band == "red", 0), else_=1), Account.mrr_cents.desc())
            .limit(limit)
        )
        if segment:
            q = q.where(Account.segment == segment)
        rows = list(session.scalars(q))
        session.expunge_all()
        return rows


def _has_renewals(db: Database, segment: str | None) -> bool:
    with db.session() as session:
        q = (
            select(func.count())
            .select_from(Account)
            .where(Account.status == "active", Account.renewal_date.is_not(None))
        )
        if segment:
            q = q.where(Account.segment == segment)
        return bool(session.scalar(q))


def build_report(
    db: Database,
    start: date,
    end: date,
    language: str,
    segment: str | None = None,
    today: date | None = None,
) -> Document:
    """The report as a Document (charts drawn in ``language``)."""
    today = today or clock.today()
    book = metrics.load_book(db, segment)
    month_from = min(start, add_months(month_start(end), -11))
    m, *months = metrics.compute_periods(book, [(start, end), *metrics.month_periods(month_from, end)])
    onboarding = metrics.onboarding_metrics(book, metrics.load_onboarding(db, book), start, end)
    m = replace(m, mrr_by_band=metrics.mrr_by_band(book, db, end), **onboarding)
    as_of = health_check.default_as_of(health_check.HORIZON_DAYS, min(end, today))
    score, band = metrics.scores_at(db, as_of, book.ids)
    check = health_check.check_book(book, score, band, as_of, health_check.HORIZON_DAYS, today)
    table = cohorts.cohort_table(book, start, end, min(end, today))

    na = "—"

    def t(text: str, **values) -> str:
        return tr(text, language, **values)

    def pct(value: float | None, digits: int = 1) -> str:
        return na if value is None else formatting.percent(value, digits, language)

    def money(cents: int | None) -> str:
        return na if cents is None else formatting.money(cents, m.base_currency, language, decimals=False)

    period = f"{formatting.day(start, language)} – {formatting.day(end, language)}"
    doc = Document(
        title=t("Executive portfolio report"),
        subtitle=[
            period,
            label(vocab.SEGMENT_LABELS, segment, language) if segment else t("All segments"),
            t("Generated on {day}", day=formatting.day(today, language)),
        ],
        language=language,
    )
    zone = f" · {t(metrics.NPS_ZONE_LABELS[m.nps_zone])}" if m.nps_zone else ""
    kpis = Section(
        t("Key figures"),
        [
            KpiRow(
                [
                    Kpi(
                        t("Customers"),
                        f"{m.accounts_start} → {m.accounts_end}",
                        t("{n} new", n=m.new_accounts),
                    ),
                    Kpi(t("MRR at end"), money(m.mrr_end), t("start {mrr}", mrr=money(m.mrr_start))),
                    Kpi("NRR", pct(m.nrr), "GRR " + pct(m.grr)),
                    Kpi(t("Logo churn"), pct(m.logo_churn_rate), t("{n} churned", n=m.churned_accounts)),
                ]
            ),
            KpiRow(
                [
                    Kpi(t("ARPA"), money(m.arpa), t("MRR ÷ customers at end")),
                    Kpi(t("Forward LTV"), money(m.ltv_forward), t("ARPA ÷ monthly revenue churn")),
                    Kpi(t("Annualised logo churn"), pct(m.annualised_logo_churn), t("1 − (1 − monthly)^12")),
                    Kpi(
                        "NPS",
                        na if m.nps is None else formatting.number(m.nps, 0, language),
                        t("{n} answers", n=m.nps_responses) + zone,
                    ),
                ]
            ),
        ],
    )
    more = Section(
        t("Retention, satisfaction and onboarding"),
        [
            Table(
                [t("Figure"), t("Value")],
                [
                    [t("Revenue churn"), pct(m.revenue_churn_rate)],
                    [t("Net revenue churn"), pct(m.net_revenue_churn_rate)],
                    [t("Annualised revenue churn"), pct(m.annualised_revenue_churn)],
                    [f"CSAT ({m.csat_scale})", pct(m.csat)],
                    ["CES", na if m.ces is None else formatting.number(m.ces, 1, language)],
                    [
                        t("Time to first value (median days)"),
                        na
                        if m.ttfv_days_median is None
                        else formatting.number(m.ttfv_days_median, 0, language),
                    ],
                    [t("Onboarding completion"), pct(m.onboarding_completion_rate, 0)],
                    [t("MRR at risk"), money(m.mrr_at_risk)],
                ],
            ),
        ],
    )
    bridge = Section(
        t("MRR movements"),
        [
            Image("mrr-bridge", png=_png(charts.mrr_bridge_figure(m, language, size=(10, 4.2)))),
        ],
    )
    trend = Section(
        t("NRR and GRR by month"),
        [Image("nrr-grr", png=_png(charts.nrr_grr_figure(months, language, size=(10, 4.2))))],
    )
    bands = Section(
        t("Health bands"),
        [
            Image(
                "bands",
                png=_png(
                    charts.band_distribution_figure(health.band_split(db, segment), language, size=(10, 3.0))
                ),
            ),
        ],
    )
    validation = Section(
        t("Does the health score predict churn?"),
        [
            # The verdict is written under the bars.
            Image("health-check", png=_png(charts.health_check_figure(check, language, size=(10, 4.4)))),
        ],
    )
    cohort_section = Section(
        t("Cohorts"),
        [
            Image(
                "cohorts",
                png=_png(
                    charts.cohorts_figure(
                        table, "logos", language, size=(10, max(3.0, 1.3 + 0.26 * len(table.cohorts)))
                    )
                ),
            )
        ],
    )
    sections = [kpis, more, bridge, trend, bands, validation, cohort_section]
    if _has_renewals(db, segment):
        sections.append(
            Section(
                t("Renewals"),
                [
                    Image(
                        "renewals",
                        png=_png(
                            charts.renewals_figure(
                                metrics.renewals_by_month(db, today, 12, segment), language, size=(10, 4.0)
                            )
                        ),
                    )
                ],
            )
        )
    risks = top_risks(db, segment)
    sections.append(
        Section(
            t("Top risks"),
            [
                Table(
                    [t("Account"), t("Band"), t("Score"), "MRR", t("Renewal")],
                    [
                        [
                            a.name,
                            health.band_label(a.health_band, language),
                            na if a.health_score is None else formatting.number(a.health_score, 0, language),
                            formatting.money(a.mrr_cents or 0, a.currency, language, decimals=False),
                            na if a.renewal_date is None else formatting.day(a.renewal_date, language),
                        ]
                        for a in risks
                    ],
                )
                if risks
                else Paragraph(t("No account at risk or critical."))
            ],
        )
    )
    doc.sections = sections
    return doc


def write_report(
    db: Database,
    start: date,
    end: date,
    out: str | Path,
    language: str,
    segment: str | None = None,
    today: date | None = None,
) -> Path:
    """Write the report to ``out`` (.pptx or .pdf)."""
    path = Path(out)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("pptx", "pdf"):
        raise ValueError(f"the report is a .pptx or a .pdf, not {path.suffix or '?'}")
    return write(build_report(db, start, end, language, segment, today), path, fmt)
