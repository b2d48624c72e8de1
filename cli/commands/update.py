"""``csdesk update``: change an account's MRR, status or currency, as the account dialog does.

A change of MRR or status is a dated movement of the revenue ledger (csdesk.ledger),
written by the same service as the dialog (``accounts.edit_account``).
"""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from datetime import date

from cli.commands.accounts import account_record, table_headers, table_row
from cli.main import open_db, option_day
from csdesk import accounts, churn, vocab
from csdesk.errors import UserError
from csdesk.forms import InputError, parse_money
from csdesk.i18n import tr
from csdesk.output import write_json, write_table
from csdesk.rules.names import fold


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("update", help="change an account's MRR, status or currency")
    parser.add_argument("account", metavar="ACCOUNT", help="id, external id or name (unique prefix)")
    parser.add_argument("--mrr", metavar="AMOUNT", help="the new MRR (5000, 5000.50 or 5.000,50)")
    parser.add_argument("--status", choices=vocab.STATUSES)
    parser.add_argument(
        "--reason", metavar="TEXT", help="why it churned: a reason key or label (price, Preço), or any text"
    )
    parser.add_argument(
        "--churn-type",
        choices=vocab.CHURN_TYPES,
        help="a churn: voluntary or involuntary (default from the reason)",
    )
    parser.add_argument("--root-cause", metavar="TEXT", help="a churn: what really made the customer leave")
    parser.add_argument(
        "--save-attempts", metavar="TEXT", help="a churn: what was tried to keep the customer"
    )
    parser.add_argument("--date", metavar="ISO", help="when the change takes effect (default today)")
    parser.add_argument("--currency", metavar="CODE", help="the account's currency code (3 letters)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(handler=run_update)


def churn_reason(text: str) -> tuple[str | None, str | None]:
    """(reason key, detail): a key or its label in either language is the key; other text the detail."""
    wanted = " ".join(fold(text).split())
    for key in vocab.CHURN_REASONS:
        english = vocab.CHURN_REASON_LABELS[key]
        names = {key, english, tr(english, "pt_BR"), tr(english, "en")}
        if wanted in {" ".join(fold(n).split()) for n in names}:
            return key, None
    return None, text.strip() or None


def parse_args(args: argparse.Namespace) -> tuple[int | None, date | None, str | None]:
    mrr = None
    if args.mrr is not None:
        try:
            mrr = parse_money(args.mrr)
        except InputError as exc:
            raise UserError(f"--mrr {args.mrr}: {exc}") from None
        if mrr < 0:
            raise UserError(tr("--mrr {value}: MRR cannot be negative.", value=args.mrr))
    on = option_day(args.date, "--date")
    currency = None
    if args.currency is not None:
        if not re.fullmatch(r"[A-Za-z]{3}", args.currency.strip()):
            raise UserError(tr("--currency {value}: use a 3-letter code such as BRL.", value=args.currency))
        currency = args.currency.strip().upper()
    told = any(v is not None for v in (args.churn_type, args.root_cause, args.save_attempts))
    if mrr is None and args.status is None and currency is None and not told:
        raise UserError(tr("Nothing to change: give --mrr, --status or --currency."))
    return mrr, on, currency


def run_update(args: argparse.Namespace) -> int:
    mrr, on, currency = parse_args(args)
    db = open_db(args)
    try:
        current = accounts.get_account(db, accounts.resolve_account(db, args.account).id)
        data = current.data()
        status = args.status or data.status
        churning = status == "churned" and data.status != "churned"
        told = any(v is not None for v in (args.churn_type, args.root_cause, args.save_attempts))
        if told and status != "churned":
            raise UserError(
                tr("--churn-type, --root-cause and --save-attempts are for a churn: add --status churned.")
            )
        reason = detail = None
        if args.reason is not None:
            if status != "churned":
                raise UserError(tr("--reason is for a churn: add --status churned."))
            reason, detail = churn_reason(args.reason)
        changed = replace(
            data,
            mrr_cents=data.mrr_cents if mrr is None else mrr,
            status=status,
            currency=currency or data.currency,
        )
        if churning:
            changed = replace(changed, churn_date=on, churn_reason=reason)
        elif status == "churned" and args.reason is not None:
            changed = replace(changed, churn_reason=reason or data.churn_reason)
        elif status == "active":
            changed = replace(changed, churn_date=None, churn_reason=None)
        # Changed by someone else since it was read: applied over their change unless
        # both changed the same field (exit 2, naming it).
        result = accounts.edit_merging(db, data, changed, current.version, effective=on, reason_detail=detail)
        if churning or (status == "churned" and told):
            # Why it churned, beside the ledger's movement (csdesk.churn): the post-mortem reads it.
            details = churn.ChurnDetails(reason, args.churn_type, args.root_cause, args.save_attempts)
            churn.record_details(db, current.id, details)
    finally:
        db.dispose()
    if args.format == "json":
        write_json(account_record(result.account))
    else:
        write_table(table_headers(), [table_row(result.account)], right_aligned={4, 5})
    return 0
