"""``csdesk timeline``, ``log``, ``today`` and ``search``: the daily cockpit on the command line."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime

from cli.main import open_db
from csdesk import formatting, tasks, timeline, vocab
from csdesk.accounts import resolve_account
from csdesk.errors import UserError
from csdesk.i18n import label, plural, tr
from csdesk.output import write_json, write_table


def _kind_name(value: str) -> str:
    """A ``--kind`` value (a key or another name of it, such as cancellation_request) -> the key."""
    key = vocab.EVENT_KIND_NAMES.get(value.strip().lower())
    if key is None:
        raise argparse.ArgumentTypeError(f"unknown kind {value!r}")
    return key


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser("timeline", help="show an account's timeline, newest first")
    parser.add_argument("account", metavar="ACCOUNT", help="id, external id or name (unique prefix)")
    parser.add_argument(
        "--kind",
        type=_kind_name,
        action="append",
        metavar="KIND",
        help="only this kind (repeatable): " + ", ".join(vocab.EVENT_KIND_NAMES),
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run_timeline)

    parser = subparsers.add_parser("log", help="log a touchpoint or any CS event on an account's timeline")
    parser.add_argument("account", metavar="ACCOUNT", help="id, external id or name (unique prefix)")
    log_names = [name for name, key in vocab.EVENT_KIND_NAMES.items() if key in vocab.LOG_KINDS]
    parser.add_argument("--kind", choices=log_names, required=True, metavar="KIND", help=", ".join(log_names))
    parser.add_argument("--title", help="what happened, in a line (default: the kind's name)")
    parser.add_argument("--severity", choices=vocab.TICKET_SEVERITIES, help="for --kind ticket")
    parser.add_argument("--score", type=int, help="for --kind pulse: your feeling about the account, 1-5")
    parser.add_argument("--body", help="details, in Markdown")
    parser.add_argument("--meeting-type", choices=vocab.MEETING_TYPES, help="for --kind meeting")
    parser.add_argument("--date", help="when it happened, ISO (2026-11-25 or 2026-11-25T14:30); default now")
    parser.set_defaults(handler=run_log)

    parser = subparsers.add_parser("today", help="what needs you today across the portfolio")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--limit", type=int, default=50, help="items per section (default 50)")
    parser.set_defaults(handler=run_today)

    parser = subparsers.add_parser("search", help="find timeline events of every account by words")
    parser.add_argument("text", metavar="TEXT", nargs="+")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run_search)


def parse_moment(value: str) -> datetime:
    """An ISO date or date-time from the command line; a bare date means 09:00."""
    try:
        if len(value.strip()) == 10:
            return datetime.combine(date.fromisoformat(value.strip()), datetime.min.time().replace(hour=9))
        return datetime.fromisoformat(value.strip()).replace(tzinfo=None, microsecond=0)
    except ValueError:
        raise UserError(
            tr("--date {value}: not an ISO date; write it as 2026-11-25 or 2026-11-25T14:30.", value=value)
        ) from None


def event_record(event: timeline.EventData) -> dict:
    return {
        "id": event.id,
        "date": event.occurred_at.isoformat(timespec="minutes"),
        "kind": event.kind,
        "title": event.title,
        "body": event.body,
        "source": event.source,
        "severity": event.severity,
        "score": timeline.pulse_score(event) if event.kind == "pulse" else None,
    }


def run_timeline(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        account = resolve_account(db, args.account)
        events = timeline.list_events(db, account.id, kinds=args.kind)
    finally:
        db.dispose()
    if args.format == "json":
        write_json([event_record(e) for e in events])
        return 0
    print(f"{account.name} ({account.id})")
    write_table(
        [tr("date"), tr("kind"), tr("title"), tr("source")],
        [
            [
                formatting.moment(e.occurred_at),
                timeline.kind_text(e),
                e.title,
                label(vocab.EVENT_SOURCE_LABELS, e.source),
            ]
            for e in events
        ],
    )
    return 0


def run_log(args: argparse.Namespace) -> int:
    moment = parse_moment(args.date) if args.date else None
    kind = vocab.EVENT_KIND_NAMES[args.kind]
    if args.meeting_type and kind != "meeting":
        raise UserError(tr("--meeting-type only goes with --kind meeting."))
    if args.severity and kind != "ticket":
        raise UserError(tr("--severity only goes with --kind ticket."))
    if args.score is not None and kind != "pulse":
        raise UserError(tr("--score only goes with --kind pulse."))
    data = {}
    if kind == "pulse":
        if args.score not in vocab.PULSE_SCORES:
            raise UserError(tr("--kind pulse needs --score from 1 (bad) to 5 (great)."))
        data["score"] = args.score
    title = args.title if args.title is not None else label(vocab.EVENT_KIND_LABELS, kind)
    db = open_db(args)
    try:
        account = resolve_account(db, args.account)
        event = timeline.add_event(
            db,
            account.id,
            kind=kind,
            subkind=args.meeting_type,
            title=title,
            body=args.body,
            occurred_at=moment,
            severity=args.severity,
            data=data,
        )
        # What the event calls for (a cancellation request's save plan...): the account's playbooks.
        from csdesk import playbooks

        playbooks.evaluate(db, account_ids=[account.id], triggers=playbooks.EVENT_TRIGGERS)
    finally:
        db.dispose()
    print(
        tr(
            "Logged {kind} #{id} on {account} at {when}.",
            kind=label(vocab.EVENT_KIND_LABELS, event.kind).lower(),
            id=event.id,
            account=account.name,
            when=formatting.moment(event.occurred_at),
        )
    )
    return 0


def _task_record(item: tasks.TodayTask, today: date) -> dict:
    t = item.task
    return {
        "task_id": t.id,
        "account_id": t.account_id,
        "account": item.account_name,
        "title": tasks.display_title(t),
        "due_date": t.due_date.isoformat() if t.due_date else None,
        "overdue": t.is_overdue(today),
        "priority": t.priority,
        "kind": t.kind,
        "origin": t.origin,
    }


def _account_record(a: tasks.TodayAccount, today: date) -> dict:
    return {
        "account_id": a.account_id,
        "account": a.name,
        "segment": a.segment,
        "mrr": a.mrr_cents / 100,
        "renewal_date": a.renewal_date.isoformat() if a.renewal_date else None,
        "days_to_renewal": (a.renewal_date - today).days if a.renewal_date else None,
        "last_touch_at": a.last_touch_at.isoformat(timespec="minutes") if a.last_touch_at else None,
        "days_without_touch": a.days_without_touch(today),
        "cadence_days": a.cadence_days,
        "health_score": a.health_score,
        "health_band": a.health_band,
        "health_trend": a.health_trend,
    }


def run_today(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        view = tasks.today_view(db, limit=max(args.limit, 1))
    finally:
        db.dispose()
    today = view.today
    if args.format == "json":
        write_json(
            {
                "date": today.isoformat(),
                "tasks": [_task_record(i, today) for i in view.tasks],
                "alerts": [_task_record(i, today) for i in view.alerts],
                "renewals": [_account_record(a, today) for a in view.renewals],
                "no_recent_touch": [_account_record(a, today) for a in view.untouched],
                "health": [_account_record(a, today) for a in view.health],
                "totals": view.totals,
                "grouped_reminders": [
                    {
                        "rule": g.rule,
                        "title": g.title,
                        "items": [
                            {
                                "account_id": r.account_id,
                                "account": name,
                                "title": tasks.reminder_title(r.rule_key, r.title),
                                "due_date": r.due_date.isoformat(),
                                "rule_key": r.rule_key,
                            }
                            for r, name in g.items
                        ],
                    }
                    for g in view.groups
                ],
            }
        )
        return 0
    out = sys.stdout

    def section(title: str, total: int, shown: int) -> None:
        more = tr(" (showing {shown} of {total})", shown=shown, total=total) if total > shown else ""
        out.write(f"\n== {title}: {total}{more}\n")

    out.write(tr("Today, {day}", day=formatting.day(today)) + "\n")
    section(tr("Tasks due"), view.totals["tasks"], len(view.tasks))
    for item in view.tasks:
        due = formatting.day(item.task.due_date)
        flag = tr("overdue") if item.task.is_overdue(today) else tr("today")
        out.write(f"  [{flag}] {due}  {item.account_name}: {tasks.display_title(item.task)}\n")
    for group in view.groups:
        out.write(f"  {group.title}\n")
        for reminder, name in group.items:
            out.write(
                f"    {formatting.day(reminder.due_date)}  {name}: {tasks.reminder_title(reminder.rule_key, reminder.title)}\n"
            )
    section(
        tr("Health alerts"),
        view.totals["alerts"] + view.totals["health"],
        len(view.alerts) + len(view.health),
    )
    for item in view.alerts:
        out.write(f"  {item.account_name}: {item.task.title}\n")
    for a in view.health:
        score = formatting.number(a.health_score) if a.health_score is not None else "—"
        trend = f" ({formatting.number(a.health_trend, 1)})" if a.health_trend else ""
        out.write(f"  {a.name}: {label(vocab.HEALTH_BAND_LABELS, a.health_band)} {score}{trend}\n")
    section(tr("Renewals in the next 120 days"), view.totals["renewals"], len(view.renewals))
    for a in view.renewals:
        days = (a.renewal_date - today).days if a.renewal_date else 0
        out.write(
            f"  {formatting.day(a.renewal_date)}  "
            + plural(days, "in {n} day", "in {n} days")
            + f"  {a.name}  {formatting.money(a.mrr_cents)}\n"
        )
    section(tr("No touch for longer than the cadence"), view.totals["untouched"], len(view.untouched))
    for a in view.untouched:
        days = a.days_without_touch(today)
        since = (
            tr("never touched")
            if days is None
            else plural(days, "{n} day without a touch", "{n} days without a touch")
        )
        out.write(f"  {a.name} ({label(vocab.SEGMENT_LABELS, a.segment)}): {since}\n")
    return 0


def run_search(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    if not timeline.words(text):
        raise UserError(tr("Give at least one word to search for."))
    db = open_db(args)
    try:
        hits = timeline.search(db, text, limit=max(args.limit, 1))
    finally:
        db.dispose()
    if args.format == "json":
        write_json(
            [
                {**event_record(h.event), "account_id": h.event.account_id, "account": h.account_name}
                for h in hits
            ]
        )
        return 0
    if not hits:
        print(tr('Nothing found for "{text}".', text=text))
        return 0
    write_table(
        [tr("date"), tr("account"), tr("kind"), tr("title")],
        [
            [
                formatting.moment(h.event.occurred_at),
                h.account_name,
                timeline.kind_text(h.event),
                h.event.title,
            ]
            for h in hits
        ],
    )
    return 0
