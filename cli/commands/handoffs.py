"""``csdesk handoff ACCOUNT``: the sales → CS hand-off of an account, and its welcome e-mail."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from cli.main import open_db
from csdesk import handoffs
from csdesk.accounts import resolve_account
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.output import write_json

OPTIONS = {
    "pains": "pains",
    "promised": "promised_outcomes",
    "stakeholders": "stakeholders",
    "risks": "risks",
    "notes": "deal_notes",
    "seller": "seller",
}


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "handoff",
        help="show or fill in an account's sales → CS hand-off; write its welcome e-mail",
        description="The hand-off feeds the kickoff deck, the success plan and the welcome e-mail. "
        "Each text option replaces that field (one item a line; \\n in the text starts a new line).",
    )
    parser.add_argument("account", metavar="ACCOUNT")
    for option, name in OPTIONS.items():
        parser.add_argument(f"--{option}", metavar="TEXT", help=f"set {name.replace('_', ' ')}")
    parser.add_argument(
        "--welcome", action="store_true", help="print the welcome e-mail (or write it with --out)"
    )
    parser.add_argument(
        "--out", metavar="FILE.eml|.txt", help="with --welcome: save it (.eml opens as a draft)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run_handoff)


def run_handoff(args: argparse.Namespace) -> int:
    if args.out and not args.welcome:
        raise UserError(tr("--out goes with --welcome."))
    db = open_db(args)
    try:
        account = resolve_account(db, args.account)
        data = handoffs.get_handoff(db, account.id)
        changes = {
            name: getattr(args, option).replace("\\n", "\n")
            for option, name in OPTIONS.items()
            if getattr(args, option) is not None
        }
        if changes:
            handoffs.save_handoff(db, replace(data, **changes))
            data = handoffs.get_handoff(db, account.id)
        if args.welcome:
            text = handoffs.welcome_email(db, account.id)
            if args.out:
                path = Path(args.out)
                if path.suffix.lower() == ".eml":
                    from csdesk import playbooks

                    with db.session() as session:
                        champion = playbooks.email_contexts(session, {account.id})[account.id]["champion"]
                    handoffs.write_eml(path, text, champion.get("email", ""))
                elif path.suffix.lower() in (".txt", ".md"):
                    path.write_text(text, encoding="utf-8")
                else:
                    raise UserError(tr("{file}: save the e-mail as .eml or .txt.", file=args.out))
                print(tr("Saved {file}", file=str(path)))
            else:
                sys.stdout.write(text)
            return 0
    finally:
        db.dispose()
    if args.format == "json":
        payload = data.as_dict()
        payload["account"] = account.name
        write_json(payload, sys.stdout)
        return 0
    print(account.name)
    for name in (*handoffs.TEXT_FIELDS, "seller"):
        value = getattr(data, name)
        print(f"\n{tr(handoffs.FIELD_LABELS[name])}:")
        print(value if value else "—")
    return 0
