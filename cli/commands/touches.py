"""``csdesk import FILE.eml|.msg|.mbox|.ics``: e-mails and meetings onto the timelines.

Reached through ``csdesk import`` (cli/commands/imports.py dispatches on the
file's suffix); ``csdesk import --undo RUN`` undoes these runs like any other.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time

from cli.main import open_db, option_day
from csdesk.accounts import resolve_account
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.importing import mail
from csdesk.importing.touches import (
    RejectedTouches,
    TouchOptions,
    TouchResult,
    import_touches,
    set_my_addresses,
)
from csdesk.output import write_json

SHOWN = 50  # unmatched messages and new contacts listed in text output


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``csdesk import`` that only e-mail and calendar files take."""
    group = parser.add_argument_group("e-mail and calendar files (.eml, .msg, .mbox, .ics)")
    group.add_argument("--account", metavar="ACCOUNT", help="log everything in the file on this account")
    group.add_argument("--from", dest="window_from", metavar="YYYY-MM-DD", help="only from this day on")
    group.add_argument("--to", dest="window_to", metavar="YYYY-MM-DD", help="only up to this day (inclusive)")
    group.add_argument(
        "--keep-bodies", action="store_true", help="keep whole message bodies (default: a short excerpt)"
    )
    group.add_argument(
        "--add-contacts", action="store_true", help="add unknown people at an account's domain as contacts"
    )
    group.add_argument(
        "--me",
        action="append",
        metavar="ADDRESS",
        help="your own e-mail address (repeat for several; remembered in the database)",
    )


def uses_mail_options(args: argparse.Namespace) -> bool:
    return bool(
        args.account or args.window_from or args.window_to or args.keep_bodies or args.add_contacts or args.me
    )


def window(args: argparse.Namespace) -> tuple[datetime, datetime] | None:
    start, end = option_day(args.window_from, "--from"), option_day(args.window_to, "--to")
    if start is None and end is None:
        return None
    if start and end and start > end:
        raise UserError(tr("--from must not be after --to."))
    return (
        datetime.combine(start or date(1970, 1, 1), time.min),
        datetime.combine(end or date(9999, 12, 31), time(23, 59, 59)),
    )


def _print(result: TouchResult) -> None:
    what = tr("meetings") if result.kind == "meetings" else tr("e-mails")
    print(
        tr(
            "{file}: {what}: created {created}, unchanged {unchanged}, unmatched {unmatched}, rejected {rejected}",
            file=result.file,
            what=what,
            created=result.created,
            unchanged=result.unchanged,
            unmatched=len(result.unmatched),
            rejected=result.rejected,
        )
    )
    for problem in result.errors:
        print(problem.describe())
    if result.unmatched:
        print(tr("Matched no account (assign with --account, or add the contact or the account's domain):"))
        for item in result.unmatched[:SHOWN]:
            print(f"  {item.occurred_at:%Y-%m-%d %H:%M}  {item.sender}  {item.title}")
        if len(result.unmatched) > SHOWN:
            print(tr("  … and {n} more", n=len(result.unmatched) - SHOWN))
    if result.new_contacts:
        if result.contacts_created:
            print(tr("New contacts added: {n}", n=result.contacts_created))
        else:
            print(
                tr("People at the accounts' domains who are not contacts yet (add them with --add-contacts):")
            )
        for contact in result.new_contacts[:SHOWN]:
            print(
                f"  {contact.account}: {contact.name} <{contact.email}>"
                if contact.name
                else f"  {contact.account}: {contact.email}"
            )


def run_touch_import(args: argparse.Namespace) -> int:
    options = TouchOptions(window=window(args), keep_bodies=args.keep_bodies, add_contacts=args.add_contacts)
    mail.check_file(args.file)  # a file that is not mail or calendar: one line, before the database
    db = open_db(args)
    try:
        if args.me:
            set_my_addresses(db, args.me)
        if args.account:
            options.account_id = resolve_account(db, args.account).id
        try:
            result = import_touches(db, args.file, options, dry_run=args.dry_run, accept_rejects=args.yes)
        except RejectedTouches as exc:
            if args.format == "json":
                write_json(exc.result.as_dict(), sys.stdout)
            else:
                _print(exc.result)
            print(f"csdesk: {exc}", file=sys.stderr)
            return 2
        if not args.dry_run and result.run_id is not None and result.account_ids:
            from cli.commands.imports import _recompute_health

            _recompute_health(db, result.account_ids, result.run_id)
    finally:
        db.dispose()
    if args.format == "json":
        write_json(result.as_dict(), sys.stdout)
        return 0
    _print(result)
    if args.dry_run:
        print(tr("Dry run: nothing was changed."))
    elif result.run_id is not None:
        print(tr("Import {id} done. To undo it: csdesk import --undo {id}", id=result.run_id))
    elif result.unchanged:
        print(tr("Nothing to change: the database already holds this file."))
    else:
        print(tr("Nothing was logged."))
    return 0
