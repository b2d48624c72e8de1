"""``csdesk rates``: the base currency and the exchange rates into it (csdesk.currency)."""

from __future__ import annotations

import argparse
from datetime import date

from cli.main import open_db, option_day
from csdesk import clock, currency, formatting
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.output import write_json, write_table


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "rates",
        help="exchange rates into the base currency: list, set, remove; the base currency",
        description="Without an action: list the base currency and the rates.",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--on", metavar="DATE", help="the day whose missing rates are reported (default: today)"
    )
    parser.set_defaults(handler=run_list)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    set_parser = actions.add_parser("set", help="set the rate of a currency into the base from a date on")
    set_parser.add_argument("code", metavar="CODE", help="currency: USD, EUR, US$, €...")
    set_parser.add_argument("rate", metavar="RATE", help="units of the base per unit of CODE: 5,43 or 5.43")
    set_parser.add_argument("--date", metavar="ISO", help="from this day on (default: today)")
    set_parser.set_defaults(handler=run_set)
    remove = actions.add_parser("remove", help="forget the rate of a currency on a date")
    remove.add_argument("code", metavar="CODE")
    remove.add_argument("--date", metavar="ISO", required=True)
    remove.set_defaults(handler=run_remove)
    base = actions.add_parser("base", help="show or change the base currency (totals are in it)")
    base.add_argument("code", metavar="CODE", nargs="?")
    base.set_defaults(handler=run_base)


def _day(value: str | None, option: str) -> date:
    """The option's date; today when not given."""
    return option_day(value, option) or clock.today()


def rate_number(rate) -> int | float:
    """A rate for JSON: a plain number."""
    return int(rate) if rate == rate.to_integral_value() else float(rate)


def run_list(args: argparse.Namespace) -> int:
    on = _day(args.on, "--on")
    db = open_db(args)
    try:
        rates = currency.load_rates(db)
        counts = currency.account_currencies(db)
    finally:
        db.dispose()
    missing = rates.missing(counts, on)
    if args.format == "json":
        write_json(
            {
                "base": rates.base,
                "rates": [
                    {"currency": r.currency, "date": r.day.isoformat(), "rate": rate_number(r.rate)}
                    for r in rates.entries()
                ],
                "accounts_without_rate": {code: counts[code] for code in missing},
            }
        )
        return 0
    print(tr("Base currency: {code}", code=rates.base))
    entries = rates.entries()
    if entries:
        write_table(
            [tr("Currency"), tr("Valid from"), tr("1 unit = … {base}", base=rates.base)],
            [[r.currency, formatting.day(r.day), _rate_text(r.rate)] for r in entries],
            right_aligned={2},
        )
    else:
        print(tr("No exchange rates yet: csdesk rates set USD 5,43"))
    if missing:
        unconverted = [(code, counts[code]) for code in missing]
        print(f"{formatting.day(on)}: {currency.unconverted_text(unconverted)}")
    return 0


def _rate_text(rate) -> str:
    return formatting.number(rate, max(0, -rate.as_tuple().exponent))


def run_set(args: argparse.Namespace) -> int:
    day = _day(args.date, "--date")
    code = currency.code(args.code)  # checked before the database is even opened
    value = currency.parse_rate(args.rate)
    db = open_db(args)
    try:
        rate = currency.set_rate(db, code, value, day)
        base = currency.base_currency(db)
    finally:
        db.dispose()
    print(
        tr(
            "1 {code} = {rate} {base} from {date} on.",
            code=rate.currency,
            rate=_rate_text(rate.rate),
            base=base,
            date=formatting.day(rate.day),
        )
    )
    return 0


def run_remove(args: argparse.Namespace) -> int:
    day = _day(args.date, "--date")
    code = currency.code(args.code)
    db = open_db(args)
    try:
        removed = currency.remove_rate(db, code, day)
    finally:
        db.dispose()
    if not removed:
        raise UserError(
            tr("There is no {code} rate on {date}; csdesk rates lists them.", code=code, date=day.isoformat())
        )
    print(tr("Removed the {code} rate of {date}.", code=code, date=formatting.day(day)))
    return 0


def run_base(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        if args.code:
            base = currency.set_base_currency(db, args.code)
        else:
            base = currency.base_currency(db)
    finally:
        db.dispose()
    print(base)
    return 0
