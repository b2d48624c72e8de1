"""``csdesk demo``: fill a new database with a realistic pt-BR demo book."""

from __future__ import annotations

import argparse
import sys

from cli.main import open_db
from csdesk import demo
from csdesk.errors import UserError
from csdesk.formatting import money
from csdesk.i18n import tr
from csdesk.progress import Progress


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="create a demo book of business in an empty database")
    parser.add_argument(
        "--accounts", type=int, default=200, metavar="N", help="how many accounts (default 200)"
    )
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="same seed, same data (default 1)")
    parser.set_defaults(handler=run_demo)


def _progress_to_stderr() -> Progress:
    if not sys.stderr.isatty():
        return Progress()

    def show(done: int, total: int, message: str) -> None:
        sys.stderr.write(f"\r{message} {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return Progress(show, min_interval=0.2)


def run_demo(args: argparse.Namespace) -> int:
    if args.accounts < 1:
        raise UserError(tr("The number of demo accounts must be at least 1."))
    db = open_db(args)
    try:
        progress = _progress_to_stderr()
        # With its weekly health history and success plans, so scores and charts show at once.
        summary = demo.create_book(db, accounts=args.accounts, seed=args.seed, progress=progress)
    finally:
        db.dispose()
    print(
        tr(
            "Demo book created in {location}: {accounts} accounts ({churned} churned), {contacts} contacts, "
            "{events} timeline events, {measures} measures; MRR {mrr}.",
            location=db.location,
            accounts=summary.accounts,
            churned=summary.churned,
            contacts=summary.contacts,
            events=summary.events,
            measures=summary.measures,
            mrr=money(summary.mrr_cents),
        )
    )
    return 0
