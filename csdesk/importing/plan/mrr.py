"""Planning an MRR history: merged into each account's revenue movements."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from csdesk import ledger
from csdesk.i18n import tr
from csdesk.importing.match import Target
from csdesk.importing.plan.base import Planner
from csdesk.importing.prepare import as_datetime


def plan_mrr(p: Planner) -> None:
    points: dict[Target, list[tuple[date, int]]] = defaultdict(list)
    seen: dict[tuple[Target, date], int] = {}
    for i in p.rows(tr("Matching MRR history…")):
        target = p.resolve_account(i)
        if target is None:
            continue
        mrr = p.col("mrr")[i]
        if mrr is None and p.col("arr")[i] is not None:
            mrr = int(round(p.col("arr")[i] / 12))
        if mrr is None:
            p.reject(i, "mrr", tr("The MRR is empty."), "")
            continue
        if mrr < 0:
            p.reject(i, "mrr", tr("MRR cannot be negative."))
            continue
        day = p.col("date")[i]
        if (target, day) in seen:
            p.reject(i, "date", tr("The same account and date as row {row}.", row=seen[(target, day)]))
            continue
        seen[(target, day)] = p.table.row_numbers[i]
        points[target].append((day, mrr))
    stored = ledger.movements_of(p.session, [t for t in points if isinstance(t, int)])
    for target, series in points.items():
        series.sort()
        row = p.book.get(target)
        moves = stored.get(target, []) if isinstance(target, int) else []
        fallback = ledger.row_state(row["status"], row["mrr_cents"]) if row.get("mrr_cents") else ledger.NEVER
        merged = ledger.merge_history(
            moves, series, fallback=fallback, start_known=row.get("contract_start") is not None
        )
        for move, values in merged.updates:
            before = {
                "effective_date": move.day,
                "mrr_before_cents": move.before,
                "mrr_after_cents": move.after,
            }
            p.plan.updates.append(("revenue_changes", move.id, values, {k: before[k] for k in values}))
            if "effective_date" in values:
                event = ledger.event_of(p.session, move)
                if event is not None:
                    event_id, event_title, occurred, data = event
                    moved = {
                        "mrr_before_cents": 0,
                        **(data or {}),
                        "mrr_after_cents": values["mrr_after_cents"],
                    }
                    p.plan.updates.append(
                        (
                            "timeline_events",
                            event_id,
                            {
                                "occurred_at": as_datetime(values["effective_date"]),
                                "title": "",
                                "data": moved,
                            },
                            {"occurred_at": occurred, "title": event_title, "data": data},
                        )
                    )
        for kind, before, after, day in merged.inserts:
            p.revenue(target, kind, before, after, day)
        p.plan.created += len(merged.inserts)
        p.plan.unchanged += len(series) - len(merged.inserts)
        if merged.inserts or merged.updates:
            p.plan.touched.add(target)
        if not merged.latest_is_history or merged.final_day is None:
            continue
        values = ledger.account_values(merged.final, merged.final_day, row.get("churn_reason"))
        changes = {k: v for k, v in values.items() if row.get(k) != v}
        if changes:
            changes["mrr_as_of"] = merged.final_day
            if "status" in changes:
                changes["stage"] = "churned" if not merged.final.active else "ongoing_adoption"
            p.book.set(target, changes)
            p.plan.touched.add(target)
