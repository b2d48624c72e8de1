"""``csdesk doc``: QBR decks, kickoff material, success and get-well plans, follow-up emails."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

from cli.main import open_db, option_day
from csdesk import clock, documents, i18n
from csdesk.accounts import resolve_account
from csdesk.document_kinds import BY_NAME, DOCUMENT_KINDS, names_help
from csdesk.documents.builder import check_format
from csdesk.documents.context import Period
from csdesk.errors import UserError
from csdesk.i18n import tr


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "doc",
        help="write a QBR deck, kickoff, success plan, get-well plan, post-mortem or follow-up email for an account",
        description="The format comes from the --out extension: "
        + "; ".join(f"{k.name} ." + "/.".join(k.formats) for k in DOCUMENT_KINDS)
        + ". Without --out, follow-up prints the email.",
    )
    parser.add_argument(
        "kind",
        choices=tuple(BY_NAME),
        metavar="KIND",
        help=names_help(),
    )
    parser.add_argument("account", metavar="ACCOUNT", help="account id, external id or name")
    parser.add_argument("--out", metavar="FILE", help="file to write (.pptx, .docx, .pdf or .md)")
    parser.add_argument("--from", dest="start", metavar="DATE", help="period start (default: 90 days ago)")
    parser.add_argument("--to", dest="end", metavar="DATE", help="period end, included (default: today)")
    parser.add_argument("--template", metavar="NAME", help="a user template's name (default: the built-in)")
    parser.add_argument(
        "--no-event", action="store_true", help="do not record the generated deck on the timeline"
    )
    parser.add_argument(
        "--show-health",
        action="store_true",
        help="include the health score (an internal number: left out of customer documents by default)",
    )
    parser.add_argument(
        "--held", action="store_true", help="kickoff: record on the timeline that it took place"
    )
    # --lang is also a global option; here it may follow the command.
    parser.add_argument("--lang", dest="doc_lang", metavar="LANG", help="pt-BR or en")
    parser.set_defaults(handler=run_doc)


def period_from_args(start: date | None, end: date | None) -> Period:
    end = end or clock.today()
    if start is None:
        return Period.quarter_to(end)
    if start > end:
        raise UserError(tr("--from is after --to."))
    return Period(start, end + timedelta(days=1))


def run_doc(args: argparse.Namespace) -> int:
    language = i18n.normalize_language(args.doc_lang or args.lang or i18n.current_language())
    kind = BY_NAME[args.kind].key
    period = period_from_args(option_day(args.start, "--from"), option_day(args.end, "--to"))
    if kind != "follow_up_email":
        if not args.out:
            raise UserError(tr("Say where to write the document with --out FILE."))
        check_format(kind, Path(args.out).suffix)
    db = open_db(args)
    try:
        account = resolve_account(db, args.account)
        if kind == "follow_up_email" and not args.out:
            sys.stdout.write(
                documents.follow_up_email(
                    db, account.id, language, args.template, show_health=args.show_health
                )
            )
            return 0
        result = documents.generate(
            db,
            kind,
            account.id,
            args.out,
            language,
            period,
            args.template,
            record_event=not args.no_event,
            show_health=args.show_health,
        )
        if kind == "kickoff" and args.held:
            documents.record_kickoff_held(db, account.id, language=language)
    finally:
        db.dispose()
    print(result.path)
    return 0
