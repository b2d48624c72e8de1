"""Planning an activities file: past ones on the timeline, future ones as tasks."""

from __future__ import annotations

from datetime import datetime, time

from csdesk import vocab
from csdesk.i18n import tr
from csdesk.importing.match import import_key
from csdesk.importing.plan.base import Planner
from db.models import Task, TimelineEvent

ACTIVITY_CHANNELS = {"call": "phone", "email": "email", "meeting": None, "note": None}


def plan_activities(p: Planner) -> None:
    events = p.existing_keys(TimelineEvent)
    tasks = p.existing_keys(Task)
    types, subjects, dates = p.col("type"), p.col("subject"), p.col("date")
    notes, dones = p.col("note"), p.col("done")
    for i in p.rows(tr("Matching activities…")):
        target = p.resolve_account(i)
        if target is None:
            continue
        kind = types[i] or "note"
        moment = dates[i]
        title = subjects[i] or tr(vocab_label(kind))
        done = dones[i] if dones[i] is not None else moment <= datetime.combine(p.as_of, time.max)
        key = import_key("activity", p._identity(target), kind, moment, title)
        if done:
            if key in events:
                p.plan.count("unchanged")
                continue
            events.add(key)
            p.event(
                target,
                moment,
                kind,
                title,
                body=notes[i],
                channel=ACTIVITY_CHANNELS.get(kind),
                key=key,
                data={
                    "type": p.table.rows[i][p.prepared.field_column("type")] if p.has("type") else None,
                    "owner": p.col("owner")[i],
                },
            )
            if kind in vocab.TOUCH_KINDS:
                p.touch(target, moment)
        else:
            if key in tasks:
                p.plan.count("unchanged")
                continue
            tasks.add(key)
            p.plan.inserts["tasks"].append(
                {
                    "account_id": target,
                    "title": title[:300],
                    "notes": notes[i],
                    "due_date": moment.date(),
                    "priority": "normal",
                    "kind": "follow_up",
                    "status": "open",
                    "owner_side": "ours",
                    "origin": "manual",
                    "import_key": key,
                }
            )
            p.plan.touched.add(target)
        p.plan.count("created")


def vocab_label(kind: str) -> str:
    return {"meeting": "Meeting", "call": "Call", "email": "E-mail", "note": "Note"}.get(kind, "Note")
