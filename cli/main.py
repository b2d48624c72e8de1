"""The program's front door: ``csdesk`` opens the GUI, ``csdesk COMMAND`` runs a command.

Commands live in ``cli/commands/<area>.py``; each module has
``add_commands(subparsers)`` and is listed in ``COMMAND_MODULES``. Handlers get
the parsed arguments and return an exit code: 0 success, 2 a user error (one
line on stderr), 1 a bug (traceback in the log file).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date

from csdesk import __version__, i18n
from csdesk.errors import UserError, exit_code, is_user_error
from csdesk.i18n import tr
from csdesk.logs import setup_logging
from db import Database, open_database

COMMAND_MODULES = (
    "cli.commands.accounts",
    "cli.commands.analytics",
    "cli.commands.demo",
    "cli.commands.documents",
    "cli.commands.expansion",
    "cli.commands.handoffs",
    "cli.commands.health",
    "cli.commands.timeline",
    "cli.commands.imports",
    "cli.commands.playbooks",
    "cli.commands.rates",
    "cli.commands.templates",
    "cli.commands.update",
    "cli.commands.rhythm",
)

log = logging.getLogger(__name__)


class ArgumentError(UserError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit itself; keep one error path
        raise ArgumentError(f"{self.prog}: {message}")


def build_parser(with_commands: bool = True) -> argparse.ArgumentParser:
    parser = _Parser(prog="csdesk", description="CSDesk: customer success for one CSM, offline.")
    parser.add_argument("--version", action="version", version=f"CSDesk {__version__}")
    parser.add_argument(
        "--db", metavar="PATH", help="database file or SQLAlchemy URL (default: the local one)"
    )
    parser.add_argument("--lang", metavar="LANG", help="pt-BR or en (default: the system's)")
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="NAME",
        help="who is writing, recorded on what you log (default: the name saved in the app, or CSDESK_USER)",
    )
    parser.add_argument(
        "--selftest",
        action="store_true",
        help="open the database and the main window offscreen, then exit",
    )
    if not with_commands:
        parser.set_defaults(command=None)
        return parser
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).add_commands(subparsers)
    return parser


def database_location(args: argparse.Namespace) -> str:
    from csdesk.paths import default_database

    return args.db or str(default_database())


def option_day(value: str | None, option: str) -> date | None:
    """A command line's date option (ISO, ``2026-11-25``); None when not given.

    Every command reads its dates here, so they all take the same form and say
    the same thing about a wrong one.
    """
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(
            tr("{option} {value}: not an ISO date; write it as 2026-11-25.", option=option, value=value)
        ) from None


def open_db(args: argparse.Namespace) -> Database:
    """Open the database named by ``--db`` (or the default one) for a command.

    A command that writes while another program does waits its turn, as long
    as it takes (Ctrl+C stops it), saying so once on stderr.
    """
    from csdesk import team

    name = team.current_name(getattr(args, "as_user", None))
    database = team.sign_in(open_database(database_location(args)), name)
    said = False

    def waiting() -> None:
        nonlocal said
        if not said:
            said = True
            print(f"csdesk: {i18n.tr('Waiting for another CSDesk…')}", file=sys.stderr, flush=True)

    database.waiting = waiting
    return database


def _gui_arguments(argv: list[str]) -> argparse.Namespace | None:
    """The options of a plain ``csdesk`` (the GUI), parsed without importing every command.

    None when there is a command, help, or anything the full parser must judge.
    """
    if any(arg in ("-h", "--help", "--version") for arg in argv):
        return None
    try:
        args, rest = build_parser(with_commands=False).parse_known_args(argv)
    except ArgumentError:
        return None
    return None if rest else args


def main(argv: Sequence[str] | None = None) -> int:
    setup_logging()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _gui_arguments(argv) or build_parser().parse_args(argv)
        i18n.set_language(args.lang)
        if args.selftest or args.command is None:
            # The GUI is imported only when asked for, so commands never load Qt.
            if args.selftest:
                os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # runs without a display
            from ui.app import run_gui

            who = {"user": args.as_user} if args.as_user else {}  # --as: the window writes under that name
            return run_gui(args.db, language=args.lang, selftest=args.selftest, **who)
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if is_user_error(exc):
            print(f"csdesk: {exc}", file=sys.stderr)
            return exit_code(exc)
        log.exception("command failed")
        from csdesk.paths import log_file

        print(f"csdesk: internal error; details in {log_file()}", file=sys.stderr)
        return exit_code(exc)
