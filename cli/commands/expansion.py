"""``csdesk opportunities`` and ``csdesk opportunity``: the expansion pipeline from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.main import open_db, option_day
from csdesk import expansion, formatting
from csdesk.accounts import resolve_account
from csdesk.errors import UserError
from csdesk.forms import InputError, parse_money
from csdesk.i18n import tr
from csdesk.output import write_json, write_table


def add_commands(subparsers) -> None:
    listing = subparsers.add_parser("opportunities", help="list expansion opportunities")
    listing.add_argument("--account", metavar="ACCOUNT")
    listing.add_argument("--status", choices=expansion.STATUSES)
    listing.add_argument(
        "--candidates",
        action="store_true",
        help="list the expansion candidates instead (green band, and a promoter NPS or high licence use)",
    )
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=run_list)

    parser = subparsers.add_parser(
        "opportunity", help="add an expansion opportunity, mark one won or lost, write its hand-off e-mail"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add an opportunity to an account")
    add.add_argument("account", metavar="ACCOUNT")
    add.add_argument("--kind", choices=expansion.KINDS, default="upsell")
    add.add_argument("--title", required=True)
    add.add_argument(
        "--value", required=True, metavar="AMOUNT", help="the MRR it adds, e.g. 1500 or 1.500,00"
    )
    add.add_argument("--executive", metavar="NAME", help="the account executive it is handed to")
    add.add_argument("--executive-email", metavar="ADDRESS")
    add.add_argument("--notes")
    add.add_argument("--format", choices=("text", "json"), default="text")
    add.set_defaults(handler=run_add)
    for status in ("won", "lost"):
        close = actions.add_parser(
            status, help=f"mark an opportunity {status}" + (" (adds its MRR)" if status == "won" else "")
        )
        close.add_argument("id", type=int)
        close.add_argument("--date", metavar="YYYY-MM-DD", help="the day it closed (default: today)")
        close.set_defaults(handler=run_close, status=status)
    handoff = actions.add_parser("handoff", help="write the hand-off e-mail to the account executive")
    handoff.add_argument("id", type=int)
    handoff.add_argument("--out", metavar="FILE.eml|.txt", help="save it (.eml opens as a draft)")
    handoff.set_defaults(handler=run_handoff)


def run_candidates(args: argparse.Namespace) -> int:
    """The book's *Expansion candidates* filter, as a list."""
    from csdesk.book import BookFilter, load_book, visible_rows

    db = open_db(args)
    try:
        book = load_book(db)
    finally:
        db.dispose()
    rows = visible_rows(book, BookFilter(expansion=True), "mrr", True)
    c = book.columns

    def number(value) -> int | None:
        return None if value != value else int(value)  # NaN: missing

    items = [
        {
            "id": int(c["id"][r]),
            "name": c["name"][r],
            "mrr_cents": int(c["mrr_cents"][r]),
            "health_band": c["health_band"][r],
            "last_nps": number(c["last_nps"][r]),
            "active_users": number(c["active_users"][r]),
            "licensed_users": number(c["licensed_users"][r]),
        }
        for r in rows
    ]
    if args.format == "json":
        write_json(items, sys.stdout)
        return 0
    write_table(
        ["id", tr("Account"), tr("MRR"), "NPS", tr("Licences in use")],
        [
            [
                i["id"],
                i["name"],
                formatting.money(i["mrr_cents"]),
                "" if i["last_nps"] is None else i["last_nps"],
                f"{i['active_users']}/{i['licensed_users']}" if i["licensed_users"] else "",
            ]
            for i in items
        ],
        right_aligned=(0, 2, 3),
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    if args.candidates:
        return run_candidates(args)
    db = open_db(args)
    try:
        account_id = resolve_account(db, args.account).id if args.account else None
        items = expansion.list_opportunities(db, account_id, args.status)
    finally:
        db.dispose()
    if args.format == "json":
        write_json([o.as_dict() for o in items], sys.stdout)
        return 0
    write_table(
        ["id", tr("Account"), tr("Kind"), tr("Opportunity"), tr("Value"), tr("Status"), tr("Executive")],
        [
            [
                o.id,
                o.account_name,
                tr(expansion.KIND_LABELS[o.kind]),
                o.title,
                formatting.money(o.value_cents),
                tr(expansion.STATUS_LABELS[o.status]),
                o.executive,
            ]
            for o in items
        ],
        right_aligned=(0, 4),
    )
    return 0


def run_add(args: argparse.Namespace) -> int:
    try:
        value = parse_money(args.value)
    except InputError as exc:
        raise UserError(f"--value {args.value}: {exc}") from None
    db = open_db(args)
    try:
        account = resolve_account(db, args.account)
        saved = expansion.save_opportunity(
            db,
            expansion.OpportunityData(
                account_id=account.id,
                title=args.title,
                kind=args.kind,
                value_cents=value,
                executive=args.executive or "",
                executive_email=args.executive_email or "",
                notes=args.notes or "",
            ),
        )
    finally:
        db.dispose()
    if args.format == "json":
        write_json(saved.as_dict(), sys.stdout)
    else:
        print(tr("Opportunity {id} added to {name}.", id=saved.id, name=saved.account_name))
    return 0


def run_close(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        moved = expansion.close(db, args.id, args.status, option_day(args.date, "--date"))
    finally:
        db.dispose()
    if moved is not None:
        print(
            tr(
                "Won: MRR {before} → {after}.",
                before=formatting.money(moved.before),
                after=formatting.money(moved.after),
            )
        )
    else:
        print(tr("Opportunity {id} marked lost.", id=args.id))
    return 0


def run_handoff(args: argparse.Namespace) -> int:
    from csdesk import handoffs

    db = open_db(args)
    try:
        text, recipient = expansion.handoff_email(db, args.id)
    finally:
        db.dispose()
    if not args.out:
        sys.stdout.write(text)
        return 0
    path = Path(args.out)
    if path.suffix.lower() == ".eml":
        handoffs.write_eml(path, text, recipient)
    elif path.suffix.lower() in (".txt", ".md"):
        path.write_text(text, encoding="utf-8")
    else:
        raise UserError(tr("{file}: save the e-mail as .eml or .txt.", file=args.out))
    print(tr("Saved {file}", file=str(path)))
    return 0
