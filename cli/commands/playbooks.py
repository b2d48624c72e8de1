"""``csdesk playbooks``: the playbooks with their runs; enable, disable, run them now."""

from __future__ import annotations

import argparse
import sys

from cli.main import open_db, option_day
from csdesk import playbooks
from csdesk.i18n import tr
from csdesk.output import write_json, write_table


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "playbooks",
        help="list the playbooks and how often each ran; enable, disable or run them",
        description="Playbooks: a trigger and the tasks it creates, once per occurrence.",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--enable", metavar="PLAYBOOK", help="turn a playbook on (id, key or name)")
    parser.add_argument("--disable", metavar="PLAYBOOK", help="turn a playbook off (id, key or name)")
    parser.add_argument("--runs", metavar="PLAYBOOK", help="list a playbook's runs (newest first)")
    parser.add_argument("--run", action="store_true", help="act on every new trigger occurrence now")
    parser.add_argument("--today", metavar="YYYY-MM-DD", help="with --run: evaluate as of this day")
    parser.set_defaults(handler=run_playbooks)


def run_playbooks(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        for reference, enabled in ((args.enable, True), (args.disable, False)):
            if reference:
                playbooks.set_enabled(db, playbooks.resolve_playbook(db, reference).id, enabled)
        if args.run:
            result = playbooks.evaluate(db, today=option_day(args.today, "--today"))
            if args.format != "json":
                print(
                    tr(
                        "Playbooks ran {runs} times and created {tasks} tasks.",
                        runs=result.runs,
                        tasks=result.created,
                    )
                )
        if args.runs:
            chosen = playbooks.resolve_playbook(db, args.runs)
            runs = playbooks.list_runs(db, chosen.id)
            if args.format == "json":
                write_json([r.as_dict() for r in runs], sys.stdout)
            else:
                write_table(
                    [tr("Account"), tr("Occurrence"), tr("Day"), tr("Tasks")],
                    [
                        [r.account_name, r.occurrence_key, r.occurred_on.isoformat(), r.tasks_created]
                        for r in runs
                    ],
                    right_aligned=(3,),
                )
            return 0
        items = playbooks.list_playbooks(db)
    finally:
        db.dispose()
    if args.format == "json":
        write_json([p.as_dict() for p in items], sys.stdout)
        return 0
    write_table(
        ["id", tr("Playbook"), tr("Trigger"), tr("On"), tr("Tasks"), tr("Runs")],
        [
            [p.id, p.name, p.trigger_text, tr("yes") if p.enabled else tr("no"), len(p.steps), p.runs]
            for p in items
        ],
        right_aligned=(0, 4, 5),
    )
    return 0
