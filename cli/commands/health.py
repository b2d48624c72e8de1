"""``csdesk metrics``, ``csdesk health`` and ``csdesk chart``: scores and portfolio figures."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

from cli.main import open_db, option_day
from csdesk import currency, formatting, health, metrics, vocab
from csdesk.charts import CHART_NAMES
from csdesk.errors import UserError
from csdesk.i18n import label, plural, tr
from csdesk.output import write_json, write_table


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("metrics", help="portfolio metrics for a period (churn, GRR, NRR, NPS...)")
    parser.add_argument("--from", dest="start", metavar="DATE", help="first day (inclusive)")
    parser.add_argument("--to", dest="end", metavar="DATE", help="last day (inclusive)")
    parser.add_argument("--segment", choices=vocab.SEGMENTS)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run_metrics)

    parser = subparsers.add_parser("health", help="health scores with their breakdown")
    parser.add_argument("--account", metavar="ACCOUNT", help="id, external id or name")
    parser.add_argument("--recompute", action="store_true", help="recompute the weekly history first")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run_health)

    parser = subparsers.add_parser("chart", help="draw a chart to a PNG or SVG file")
    parser.add_argument("name", choices=CHART_NAMES)
    parser.add_argument("--account", metavar="ACCOUNT")
    parser.add_argument("--from", dest="start", metavar="DATE")
    parser.add_argument("--to", dest="end", metavar="DATE")
    parser.add_argument("--segment", choices=vocab.SEGMENTS)
    parser.add_argument(
        "--by", choices=("logos", "revenue"), default="logos", help="cohorts: what is retained"
    )
    parser.add_argument("--as-of", dest="as_of", metavar="DATE", help="health-check: the day of the scores")
    parser.add_argument(
        "--horizon-days", dest="horizon", type=int, default=90, metavar="N", help="health-check"
    )
    parser.add_argument("--out", required=True, metavar="FILE", help="FILE.png or FILE.svg")
    parser.set_defaults(handler=run_chart)


def _period(args: argparse.Namespace) -> tuple[date, date]:
    default_start, default_end = metrics.default_period()
    start = option_day(args.start, "--from") or default_start
    end = option_day(args.end, "--to") or default_end
    if end < start:
        raise UserError(
            tr("--to ({end}) is before --from ({start}).", end=end.isoformat(), start=start.isoformat())
        )
    return start, end


def run_metrics(args: argparse.Namespace) -> int:
    start, end = _period(args)
    db = open_db(args)
    try:
        result = metrics.compute(db, start, end, args.segment)
    finally:
        db.dispose()
    if args.format == "json":
        write_json(result.to_json())
        return 0
    print(metrics_text(result))
    return 0


def metrics_text(m: metrics.PortfolioMetrics) -> str:
    pct = formatting.percent
    na = tr("n/a (no base)")

    def money(cents: int) -> str:
        return formatting.money(cents, m.base_currency)

    def rate(value: float | None) -> str:
        return na if value is None else pct(value, 2)

    lines = [
        tr("Period {start} to {end}", start=formatting.day(m.start), end=formatting.day(m.end))
        + (f" · {label(vocab.SEGMENT_LABELS, m.segment)}" if m.segment else ""),
        "",
        f"{tr('Accounts at start')}: {m.accounts_start}   {tr('at end')}: {m.accounts_end}   "
        f"{tr('new')}: {m.new_accounts}   {tr('reactivated')}: {m.reactivated_accounts}   "
        f"{tr('churned')}: {m.churned_accounts}",
        f"{tr('Logo churn')}: {rate(m.logo_churn_rate)}   {tr('Customer retention')}: "
        f"{rate(m.customer_retention_rate)}",
        f"{tr('MRR at start')}: {money(m.mrr_start)}   {tr('MRR at end')}: {money(m.mrr_end)}",
        f"  + {tr('New MRR')}: {money(m.new_mrr)}   + {tr('Reactivation')}: {money(m.reactivation_mrr)}   "
        f"+ {tr('Expansion')}: {money(m.expansion_mrr)}   "
        f"− {tr('Contraction')}: {money(m.contraction_mrr)}   − {tr('Churn')}: {money(m.churned_mrr)}",
        f"{tr('Revenue churn')}: {rate(m.revenue_churn_rate)}   {tr('Net revenue churn')}: "
        f"{rate(m.net_revenue_churn_rate)}",
        f"GRR: {rate(m.grr)}   NRR: {rate(m.nrr)}",
        f"NPS: {na if m.nps is None else formatting.number(m.nps, 1)} "
        f"({tr('{n} answers: {p} promoters, {s} passives, {d} detractors', n=m.nps_responses, p=m.promoters, s=m.passives, d=m.detractors)})",
        f"CSAT: {na if m.csat is None else pct(m.csat, 1)} ({plural(m.csat_responses, '{n} answer', '{n} answers')})",
        f"{tr('Renewals due')}: {m.renewals_due}   {tr('closed')}: {m.renewals_closed}   "
        f"{tr('Gross renewal rate')}: {rate(m.gross_renewal_rate)}   "
        f"{tr('Net renewal rate')}: {rate(m.net_renewal_rate)}",
    ]
    lines += [
        f"{tr('ARPA')}: {na if m.arpa is None else money(m.arpa)}   {tr('Forward LTV')}: "
        f"{na if m.ltv_forward is None else money(m.ltv_forward)}",
        f"{tr('Annualised logo churn')}: {rate(m.annualised_logo_churn)}   "
        f"{tr('Annualised revenue churn')}: {rate(m.annualised_revenue_churn)}",
        f"{tr('NPS zone')}: {na if m.nps_zone is None else tr(metrics.NPS_ZONE_LABELS[m.nps_zone])}   "
        f"{tr('CSAT scale')}: {m.csat_scale}",
        f"CES: {na if m.ces is None else formatting.number(m.ces, 2)} "
        f"({plural(m.ces_responses, '{n} answer', '{n} answers')}; 5–7: {rate(m.ces_easy_rate)})",
        f"{tr('Time to first value (median days)')}: "
        f"{na if m.ttfv_days_median is None else formatting.number(m.ttfv_days_median, 1)} "
        f"({plural(m.ttfv_accounts, '{n} account', '{n} accounts')})   "
        f"{tr('Onboarding completion')}: {rate(m.onboarding_completion_rate)} "
        f"({m.onboarding_completed}/{m.onboarding_started})",
        f"{tr('Time to first green (median days)')}: "
        f"{na if m.first_green_days_median is None else formatting.number(m.first_green_days_median, 1)}",
    ]
    if m.unconverted:
        lines.append("⚠ " + currency.unconverted_text(m.unconverted))
    if m.churn_by_reason:
        lines.append(tr("Churn by reason") + ":")
        for reason, n, mrr in m.churn_by_reason:
            name = label(vocab.CHURN_REASON_LABELS, reason) if reason else tr("Not given")
            lines.append(f"  {name}: {n} · {money(mrr)}")
    if m.mrr_by_band:
        lines.append(tr("MRR by health band at the end") + ":")
        for band, n, mrr in m.mrr_by_band:
            lines.append(f"  {health.band_label(band)}: {n} · {money(mrr)}")
    return "\n".join(lines)


def account_health(db, account_id: int, name: str) -> dict:
    explanation = health.explain(db, account_id)
    snap = explanation.current
    trend = health.trend(db, account_id, (7, 30))
    if snap is None:
        return {
            "id": account_id,
            "name": name,
            "score": None,
            "band": None,
            "complete": None,
            "as_of": None,
            "components": [],
            "missing": [],
            "change_7d": None,
            "change_30d": None,
            "change_7d_since": None,
            "change_30d_since": None,
        }
    return {
        "id": account_id,
        "name": name,
        "as_of": snap.as_of.isoformat(),
        "score": snap.score,
        "band": snap.band,
        "complete": snap.complete,
        "components": [
            {
                "key": c.key,
                "label": explanation.label_of(c.key, c.measure),
                "measure": c.measure,
                "value": c.value,
                "points": c.points,
                "weight": c.weight / 100,
                "effective_weight": c.effective_weight,
                "contribution": round(c.contribution, 2),
                "missing": c.missing,
            }
            for c in snap.components
        ],
        "missing": explanation.missing_labels(),
        "change_7d": trend[7].points if trend[7] else None,
        "change_30d": trend[30].points if trend[30] else None,
        # The day compared with: the nearest score on or before 7 (30) days back.
        "change_7d_since": trend[7].since.isoformat() if trend[7] else None,
        "change_30d_since": trend[30].since.isoformat() if trend[30] else None,
        "why": explanation.change_text(),
    }


def run_health(args: argparse.Namespace) -> int:
    from csdesk.accounts import list_accounts, resolve_account

    db = open_db(args)
    try:
        target = resolve_account(db, args.account) if args.account else None
        if args.recompute:
            health.recompute(db, [target.id] if target else None)
        if target is not None:
            records = [account_health(db, target.id, target.name)]
        else:
            records = []
            for a in list_accounts(db):
                if a.status != "active":
                    continue
                records.append(
                    {
                        "id": a.id,
                        "name": a.name,
                        "score": a.health_score,
                        "band": a.health_band,
                        "change_30d": a.health_trend,
                    }
                )
    finally:
        db.dispose()
    if args.format == "json":
        write_json(records[0] if target is not None else records)
        return 0
    if target is None:
        write_table(
            [tr("id"), tr("account"), tr("score"), tr("band"), tr("30 days")],
            [
                [
                    r["id"],
                    r["name"],
                    _num(r["score"]),
                    health.band_label(r["band"]),  # "No data" without a score
                    _signed(r["change_30d"]),
                ]
                for r in records
            ],
        )
        return 0
    print(health_text(records[0]))
    return 0


def _num(value: float | None) -> str:
    return "" if value is None else formatting.number(value, 1)


def _signed(value: float | None) -> str:
    return "" if value is None else health.signed(value)


def _change(r: dict, days: int) -> str:
    """'−3.0', or '−3.0 (since 16/11/2026)' when the score compared with is not exactly ``days`` back."""
    text = _signed(r[f"change_{days}d"]) or "—"
    since = r.get(f"change_{days}d_since")
    if since and date.fromisoformat(r["as_of"]) - date.fromisoformat(since) != timedelta(days=days):
        text += " " + tr("(since {day})", day=formatting.day(date.fromisoformat(since)))
    return text


def health_text(r: dict) -> str:
    if r["score"] is None:
        return f"{r['name']}: {health.no_data_label()} · {tr('not enough inputs for a health score')}"
    lines = [
        f"{r['name']}: {formatting.number(r['score'], 1)} ({health.band_label(r['band'])}) · "
        f"{formatting.day(date.fromisoformat(r['as_of']))}"
        + ("" if r["complete"] else " · " + tr("incomplete")),
        f"{tr('Change')}: 7 {tr('days')} {_change(r, 7)} · 30 {tr('days')} {_change(r, 30)}",
    ]
    if r.get("why"):
        lines.append(f"{tr('What moved (7 days)')}: {r['why']}")
    if r["missing"]:
        lines.append(tr("Missing inputs (weight redistributed): {names}", names=", ".join(r["missing"])))
    lines.append("")
    rows = []
    for c in r["components"]:
        rows.append(
            [
                c["label"],
                "—" if c["value"] is None else formatting.number(c["value"], 1),
                tr("missing") if c["missing"] else formatting.number(c["points"], 1),
                formatting.percent(c["weight"], 0),
                formatting.percent(c["effective_weight"], 1),
                formatting.number(c["contribution"], 1),
            ]
        )
    import io

    out = io.StringIO()
    write_table(
        [tr("component"), tr("value"), tr("points"), tr("weight"), tr("used"), tr("score points")], rows, out
    )
    return "\n".join(lines) + "\n" + out.getvalue().rstrip()


def run_chart(args: argparse.Namespace) -> int:
    from csdesk import charts
    from csdesk.accounts import resolve_account
    from csdesk.i18n import current_language

    suffix = args.out.rsplit(".", 1)[-1].lower() if "." in args.out else ""
    if suffix not in ("png", "svg"):
        raise UserError(tr("{path}: charts are saved as .png or .svg.", path=args.out))
    db = open_db(args)
    try:
        account_id = resolve_account(db, args.account).id if args.account else None
        fig = charts.build(
            db,
            charts.ChartRequest(
                args.name,
                account_id,
                option_day(args.start, "--from"),
                option_day(args.end, "--to"),
                args.segment,
                {"by": args.by, "as_of": option_day(args.as_of, "--as-of"), "horizon_days": args.horizon},
            ),
            current_language(),
        )
    finally:
        db.dispose()
    try:
        charts.render(fig, args.out)
    except OSError as exc:
        raise UserError(f"{args.out}: {exc.strerror or exc}") from exc
    print(args.out)
    return 0
