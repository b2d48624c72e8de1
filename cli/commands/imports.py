"""``csdesk import FILE``, ``csdesk import --undo RUN_ID`` and ``csdesk imports``."""

from __future__ import annotations

import argparse
import sys

from cli.commands import touches
from cli.main import open_db, option_day
from csdesk import importing
from csdesk.errors import UserError
from csdesk.i18n import label, tr
from csdesk.importing import detect, mail
from csdesk.importing.result import ImportResult, RejectedRows
from csdesk.output import write_json, write_table


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import accounts, contacts, deals, activities, surveys, usage or MRR history from a CSV/XLSX "
        "file, or e-mails and meetings from .eml, .msg, .mbox or .ics files",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="CSV or XLSX export, or .eml/.msg/.mbox/.ics")
    parser.add_argument("--kind", choices=("auto", *detect.KINDS), default="auto")
    parser.add_argument("--source", choices=("auto", *detect.SOURCES), default="auto")
    parser.add_argument("--preset", metavar="NAME", help="use a saved column mapping")
    parser.add_argument("--mapping", metavar="FILE.json", help='column mapping: {"Header": "field", ...}')
    parser.add_argument("--sheet", metavar="NAME", help="XLSX sheet (default: the first with a table)")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="date of the export's changes (default: today)")
    parser.add_argument("--date-order", choices=("dmy", "mdy"), help="for date columns that fit both orders")
    parser.add_argument("--keep-unmapped", action="store_true", help="keep unmapped columns as custom fields")
    parser.add_argument("--save-preset", metavar="NAME", help="save the mapping used under this name")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    parser.add_argument("--yes", action="store_true", help="import the valid rows even if some are rejected")
    parser.add_argument("--undo", metavar="RUN_ID", type=int, help="undo an import instead")
    later = parser.add_mutually_exclusive_group()
    later.add_argument(
        "--keep-later-work",
        action="store_true",
        help="with --undo: keep what was done by hand since (accounts with notes, tasks, plans or "
        "contacts stay, detached from the import; fields edited since keep their value)",
    )
    later.add_argument(
        "--discard-later-work",
        action="store_true",
        help="with --undo: remove what was done by hand since on what the import made, too",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    touches.add_arguments(parser)
    parser.set_defaults(handler=run_import_command)

    runs = subparsers.add_parser("imports", help="list the imports done (undo one with import --undo)")
    runs.add_argument("--format", choices=("table", "json"), default="table")
    runs.set_defaults(handler=run_imports)


def _print_errors(result: ImportResult) -> None:
    if result.errors:
        write_table(
            [tr("row"), tr("column"), tr("value"), tr("reason")],
            [[e.row, e.column, e.value, e.message] for e in result.errors],
            sys.stdout,
        )


TEXT_PREVIEW = 10  # accounts listed per kind of change in the text output of a dry run


def _print_preview(result: ImportResult) -> None:
    """The first accounts a dry run would create and update, each update with its changes."""
    preview = result.preview
    if preview is None:
        return
    if preview.create_total:
        print(tr("To create ({count}):", count=preview.create_total))
        for account in preview.to_create[:TEXT_PREVIEW]:
            print(f"  {account.name} · {account.cell('mrr_cents') or '—'}")
        _print_more(preview.create_total - min(TEXT_PREVIEW, len(preview.to_create)))
    if preview.update_total:
        print(tr("To update ({count}):", count=preview.update_total))
        for account in preview.to_update[:TEXT_PREVIEW]:
            print(f"  {account.name}: " + "; ".join(change.text() for change in account.changes))
        _print_more(preview.update_total - min(TEXT_PREVIEW, len(preview.to_update)))


def _print_more(count: int) -> None:
    if count > 0:
        print("  " + tr("… and {count} more", count=count))


def _summary(prepared, result: ImportResult) -> str:
    head = tr(
        "{file}: {kind} from {source} (confidence {confidence}%)",
        file=result.file,
        kind=label(detect.KIND_LABELS, result.kind),
        source=label(detect.SOURCE_LABELS, result.source),
        confidence=round(min(prepared.kind_confidence, prepared.source_confidence) * 100),
    )
    counts = tr(
        "created {created}, updated {updated}, unchanged {unchanged}, rejected {rejected}",
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected,
    )
    return f"{head}\n{counts}"


def _undo(args: argparse.Namespace) -> int:
    """Undo one import; with work done by hand since, only when told what to do with it."""
    mode = importing.KEEP if args.keep_later_work else importing.DISCARD if args.discard_later_work else None
    db = open_db(args)
    try:
        plan = importing.plan_undo(db, args.undo)
        if plan.blocked_by:
            raise UserError(plan.blocked_message())
        if plan.has_later_work and mode is None:
            if args.format == "json":
                write_json(plan.as_dict(), sys.stdout)
            else:
                for work in plan.later_work:
                    print(work.describe())
            raise importing.LaterWorkFound(plan)
        importing.undo(db, args.undo, later_work=mode or importing.REFUSE, confirmed=plan)
    finally:
        db.dispose()
    kept = mode == importing.KEEP and plan.has_later_work
    if args.format == "json":
        write_json(
            {
                "run_id": args.undo,
                "undone": True,
                "later_work": mode if plan.has_later_work else None,
                "kept_accounts": [{"id": i, "name": n} for i, n in plan.kept_accounts] if kept else [],
                "kept_fields": len(plan.edited_fields) if kept else 0,
            },
            sys.stdout,
        )
        return 0
    print(tr("Import {id} undone.", id=args.undo))
    if kept:
        print(
            tr(
                "Kept: {accounts} account(s) with work added since (no longer part of the import), "
                "{fields} field(s) edited since.",
                accounts=len(plan.kept_accounts),
                fields=len(plan.edited_fields),
            )
        )
    elif plan.has_later_work:
        print(tr("Discarded too: {work}.", work=plan.later_work_summary()))
    return 0


def _recompute_health(db, account_ids: list[int], run_id: int) -> None:
    """The imported accounts' scores, before anything reads them (no stale or invented health),
    from the first day the import changed."""
    from cli.commands.demo import _progress_to_stderr
    from csdesk import health

    since = health.rescore_since(db, run_id)
    health.recompute(db, account_ids, progress=_progress_to_stderr(), since=since)


def _run_playbooks(db, account_ids: list[int], run_id: int) -> None:
    """What the imported answers and events call for (a detractor's call-back...), undone with the import."""
    from csdesk import playbooks

    playbooks.evaluate(db, account_ids=account_ids, triggers=playbooks.IMPORT_TRIGGERS, import_run_id=run_id)


def run_import_command(args: argparse.Namespace) -> int:
    if args.undo is not None:
        if args.file:
            raise UserError(tr("Give either FILE or --undo RUN_ID, not both."))
        return _undo(args)
    if args.keep_later_work or args.discard_later_work:
        raise UserError(tr("--keep-later-work and --discard-later-work go with --undo RUN_ID."))
    if not args.file:
        raise UserError(tr("Name the file to import (or --undo RUN_ID)."))
    if mail.handles(args.file):
        return touches.run_touch_import(args)
    if touches.uses_mail_options(args):
        raise UserError(
            tr(
                "--account, --from, --to, --keep-bodies, --add-contacts and --me are for e-mail and calendar files."
            )
        )
    options = importing.ImportOptions(
        kind=args.kind,
        source=args.source,
        sheet=args.sheet,
        preset=args.preset,
        keep_unmapped=args.keep_unmapped,
        date_order=args.date_order,
    )
    if args.mapping:
        data = importing.load_mapping_file(args.mapping)
        options.mapping = data["columns"]
        options.kind = data.get("kind", options.kind) if args.kind == "auto" else args.kind
        options.source = data.get("source", options.source) if args.source == "auto" else args.source
        options.keep_unmapped = options.keep_unmapped or bool(data.get("keep_unmapped"))
    db = open_db(args)
    try:
        prepared = importing.prepare(args.file, options, db)
        try:
            result = importing.run_import(
                db,
                prepared,
                as_of=option_day(args.as_of, "--as-of"),
                dry_run=args.dry_run,
                accept_rejects=args.yes,
            )
        except RejectedRows as exc:
            if args.format == "json":
                write_json(exc.result.as_dict(), sys.stdout)
            else:
                print(_summary(prepared, exc.result))
                _print_errors(exc.result)
            print(f"csdesk: {exc}", file=sys.stderr)
            return 2
        if args.save_preset:
            importing.save_preset(db, args.save_preset, prepared)
        if not args.dry_run and result.run_id is not None and result.account_ids:
            _recompute_health(db, result.account_ids, result.run_id)
            _run_playbooks(db, result.account_ids, result.run_id)
    finally:
        db.dispose()
    if args.format == "json":
        write_json(result.as_dict(), sys.stdout)
        return 0
    print(_summary(prepared, result))
    for warning in result.warnings:
        print(warning)
    _print_preview(result)
    _print_errors(result)
    if args.dry_run:
        print(tr("Dry run: nothing was changed."))
    elif result.run_id is not None:
        print(tr("Import {id} done. To undo it: csdesk import --undo {id}", id=result.run_id))
    else:
        print(tr("Nothing to change: the database already holds this file."))
    return 0


def run_imports(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        runs = importing.list_runs(db)
    finally:
        db.dispose()
    if args.format == "json":
        write_json([r.as_dict() for r in runs], sys.stdout)
        return 0
    write_table(
        [
            "id",
            "started_at",
            "file",
            "kind",
            "source",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "status",
        ],
        [
            [
                r.id,
                f"{r.started_at:%Y-%m-%d %H:%M}",
                r.file_name.rsplit("/", 1)[-1],
                r.kind,
                r.source,
                r.created,
                r.updated,
                r.unchanged,
                r.rejected,
                r.status,
            ]
            for r in runs
        ],
        sys.stdout,
    )
    return 0
