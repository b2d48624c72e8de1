"""``csdesk cohorts``, ``csdesk health-check``, ``csdesk health-calibrate`` and ``csdesk report``."""

from __future__ import annotations

import argparse
import sys

from cli.main import open_db, option_day
from csdesk import formatting, vocab
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.output import write_json, write_table


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("cohorts", help="logo or revenue retention by contract-start month")
    parser.add_argument("--by", choices=("logos", "revenue"), default="logos")
    parser.add_argument("--from", dest="start", metavar="DATE", help="first start month (a day in it)")
    parser.add_argument(
        "--to", dest="end", metavar="DATE", help="last start month; the state is read up to it"
    )
    parser.add_argument("--segment", choices=vocab.SEGMENTS)
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.set_defaults(handler=run_cohorts)

    parser = subparsers.add_parser("health-check", help="does the health score predict churn?")
    parser.add_argument(
        "--as-of", dest="as_of", metavar="DATE", help="the day of the scores (default: 90 days ago)"
    )
    parser.add_argument("--horizon-days", dest="horizon", type=int, default=90, metavar="N")
    parser.add_argument("--segment", choices=vocab.SEGMENTS)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run_health_check)

    parser = subparsers.add_parser(
        "health-calibrate", help="suggest health model weights from the book's own churn history"
    )
    parser.add_argument("--horizon-days", dest="horizon", type=int, default=90, metavar="N")
    parser.add_argument("--segment", choices=vocab.SEGMENTS, help="the model of this segment")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run_calibrate)

    parser = subparsers.add_parser("report", help="the executive report of a period (PPTX or PDF)")
    parser.add_argument("--from", dest="start", metavar="DATE")
    parser.add_argument("--to", dest="end", metavar="DATE")
    parser.add_argument("--segment", choices=vocab.SEGMENTS)
    parser.add_argument("--out", required=True, metavar="FILE", help="FILE.pptx or FILE.pdf")
    parser.set_defaults(handler=run_report)


def _horizon(value: int) -> int:
    if value < 1:
        raise UserError(tr("--horizon-days {n}: give a number of days of 1 or more.", n=value))
    return value


def run_cohorts(args: argparse.Namespace) -> int:
    from csdesk import cohorts

    start, end = option_day(args.start, "--from"), option_day(args.end, "--to")
    if start and end and end < start:
        raise UserError(
            tr("--to ({end}) is before --from ({start}).", end=end.isoformat(), start=start.isoformat())
        )
    db = open_db(args)
    try:
        table = cohorts.cohorts(db, start, end, args.segment)
    finally:
        db.dispose()
    if args.format == "json":
        write_json(table.to_json(args.by))
    elif args.format == "csv":
        sys.stdout.write(table.to_csv(args.by))
    else:
        months = table.months
        write_table(
            [tr("cohort"), tr("accounts"), "≤90d", "≤180d"] + [f"M{k}" for k in range(months)],
            [
                [
                    c.month.strftime("%Y-%m"),
                    c.accounts,
                    _pct(c.early_churn(0)),
                    _pct(c.early_churn(1)),
                ]
                + [_pct(v, 0) for v in (c.logos if args.by == "logos" else c.revenue)]
                + [""] * (months - len(c.logos))
                for c in table.cohorts
            ],
        )
    return 0


def _pct(value: float | None, digits: int = 1) -> str:
    return "" if value is None else formatting.percent(value, digits)


def run_health_check(args: argparse.Namespace) -> int:
    from csdesk import health, health_check

    horizon = _horizon(args.horizon)
    db = open_db(args)
    try:
        result = health_check.health_check(db, option_day(args.as_of, "--as-of"), horizon, args.segment)
    finally:
        db.dispose()
    if args.format == "json":
        write_json(result.to_json())
        return 0
    print(
        tr(
            "Scores of {day}, outcome in the following {days} days",
            day=formatting.day(result.as_of),
            days=result.horizon_days,
        )
    )
    write_table(
        [
            tr("band"),
            tr("accounts"),
            tr("churned"),
            tr("churn rate"),
            tr("contracted"),
            tr("contraction rate"),
        ],
        [
            [
                health.band_label(b.band),
                b.accounts,
                b.churned,
                _pct(b.churn_rate),
                b.contracted,
                _pct(b.contraction_rate),
            ]
            for b in result.bands
        ],
    )
    print(f"AUC: {'—' if result.auc is None else formatting.number(result.auc, 2)}")
    print(result.verdict())
    return 0


def run_calibrate(args: argparse.Namespace) -> int:
    from csdesk import health_check

    horizon = _horizon(args.horizon)
    db = open_db(args)
    try:
        result = health_check.calibrate(db, horizon, args.segment)
    finally:
        db.dispose()
    if args.format == "json":
        write_json(result.to_json())
        return 0
    print(result.message)
    if result.enough_data:
        write_table(
            [tr("component"), tr("current weight"), tr("suggested weight")],
            [
                [
                    c.display_label(),
                    formatting.percent(c.weight / 100, 0),
                    formatting.percent(result.suggested_weights[c.key] / 100, 0),
                ]
                for c in result.model.components
            ],
        )
    return 0


def run_report(args: argparse.Namespace) -> int:
    from csdesk import report
    from csdesk.i18n import current_language
    from csdesk.metrics import default_period

    suffix = args.out.rsplit(".", 1)[-1].lower() if "." in args.out else ""
    if suffix not in ("pptx", "pdf"):
        raise UserError(tr("{path}: the report is saved as .pptx or .pdf.", path=args.out))
    default_start, default_end = default_period()
    start = option_day(args.start, "--from") or default_start
    end = option_day(args.end, "--to") or default_end
    if end < start:
        raise UserError(
            tr("--to ({end}) is before --from ({start}).", end=end.isoformat(), start=start.isoformat())
        )
    db = open_db(args)
    try:
        report.write_report(db, start, end, args.out, current_language(), args.segment)
    except OSError as exc:
        raise UserError(f"{args.out}: {exc.strerror or exc}") from exc
    finally:
        db.dispose()
    print(args.out)
    return 0
