"""``csdesk tasks`` and ``csdesk renew``: the CSM's to-dos and the renewals' outcomes."""

from __future__ import annotations

import argparse

from cli.main import open_db, option_day
from csdesk import formatting, renewals, tasks, vocab
from csdesk.accounts import resolve_account
from csdesk.errors import UserError
from csdesk.forms import InputError, parse_money
from csdesk.i18n import label, tr
from csdesk.output import write_json, write_table


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("tasks", help="the tasks of every account (or one)")
    parser.add_argument("--open", action="store_true", help="only the open tasks")
    parser.add_argument("--account", metavar="ACCOUNT", help="id, external id or name (unique prefix)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(handler=run_tasks)

    parser = subparsers.add_parser("renew", help="record the outcome of an account's renewal")
    parser.add_argument("account", metavar="ACCOUNT", help="id, external id or name (unique prefix)")
    parser.add_argument("--outcome", choices=vocab.RENEWAL_OUTCOMES, required=True)
    parser.add_argument("--mrr", metavar="AMOUNT", help="the new MRR, for a downsell or an upsell")
    parser.add_argument(
        "--term-months", type=int, metavar="N", help=f"the new term (default {renewals.DEFAULT_TERM_MONTHS})"
    )
    parser.add_argument("--date", metavar="ISO", help="the day it closed (default today)")
    parser.add_argument("--reason", metavar="TEXT", help="a lost renewal's churn reason (price, Preço…)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(handler=run_renew)


def task_record(task: tasks.TaskData) -> dict:
    return {
        "id": task.id,
        "account_id": task.account_id,
        "title": tasks.display_title(task),
        "due": task.due_date.isoformat() if task.due_date else None,
        "priority": task.priority,
        "status": task.status,
        "source": task.origin,
        "playbook": task.playbook_id,
    }


def run_tasks(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        account_id = resolve_account(db, args.account).id if args.account else None
        found = tasks.all_tasks(db, open_only=args.open, account_id=account_id)
    finally:
        db.dispose()
    if args.format == "json":
        write_json([task_record(t) for t in found])
        return 0
    write_table(
        [tr("id"), tr("account"), tr("title"), tr("due"), tr("priority"), tr("status")],
        [
            [
                str(t.id),
                str(t.account_id),
                tasks.display_title(t),
                formatting.day(t.due_date) if t.due_date else "",
                label(vocab.TASK_PRIORITY_LABELS, t.priority),
                label(vocab.TASK_STATUS_LABELS, t.status),
            ]
            for t in found
        ],
    )
    return 0


def run_renew(args: argparse.Namespace) -> int:
    from cli.commands.update import churn_reason

    mrr = None
    if args.mrr is not None:
        try:
            mrr = parse_money(args.mrr)
        except InputError as exc:
            raise UserError(f"--mrr {args.mrr}: {exc}") from None
    on = option_day(args.date, "--date")
    reason = detail = None
    if args.reason is not None:
        if args.outcome != "lost":
            raise UserError(tr("--reason goes only with --outcome lost."))
        reason, detail = churn_reason(args.reason)
    if args.term_months is not None and args.outcome == "lost":
        raise UserError(tr("--term-months does not go with --outcome lost."))
    db = open_db(args)
    try:
        account = resolve_account(db, args.account)
        closed = renewals.close_renewal(
            db,
            account.id,
            args.outcome,
            mrr_cents=mrr,
            term_months=args.term_months,
            on=on,
            reason=reason,
            reason_detail=detail,
        )
    finally:
        db.dispose()
    r = closed.renewal
    if args.format == "json":
        write_json({**renewals.as_record(r), "movement": closed.movement.kind if closed.movement else None})
        return 0
    print(
        tr(
            "{account}: {outcome}, MRR {before} → {after}.",
            account=account.name,
            outcome=renewals.outcome_label(r.outcome),
            before=formatting.money(r.mrr_before_cents, r.currency),
            after=formatting.money(r.mrr_after_cents, r.currency),
        )
    )
    if r.next_renewal_date:
        print(tr("Next renewal: {date}.", date=formatting.day(r.next_renewal_date)))
    return 0
