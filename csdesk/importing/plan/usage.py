"""Planning a usage file (measures per account and day)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import select

from csdesk.i18n import tr
from csdesk.importing import detect as D
from csdesk.importing.plan.base import Planner
from db.models import Measure


def plan_usage(p: Planner) -> None:
    metrics = [m for m in D.USAGE_METRICS if p.has(m)]
    existing: dict[tuple[int, str, date], float] = {}
    latest: dict[tuple[Any, str], date] = {}
    for account_id, metric, as_of, value in p.session.execute(
        select(Measure.account_id, Measure.metric, Measure.as_of, Measure.value).where(
            Measure.metric.in_(metrics)
        )
    ):
        existing[(account_id, metric, as_of)] = value
        if latest.get((account_id, metric), date.min) < as_of:
            latest[(account_id, metric)] = as_of
    planned: dict[tuple[Any, str, date], int] = {}
    for i in p.rows(tr("Matching usage…")):
        target = p.resolve_account(i)
        if target is None:
            continue
        day = p.col("date")[i]
        outcome = "unchanged"
        for metric in metrics:
            value = p.col(metric)[i]
            if value is None:
                continue
            if value < 0:
                p.reject(i, metric, tr("A usage figure cannot be negative."))
                outcome = "rejected"
                break
            slot = (target, metric, day)
            if slot in planned:
                p.reject(i, metric, tr("The same account, measure and date as row {row}.", row=planned[slot]))
                outcome = "rejected"
                break
            planned[slot] = p.table.row_numbers[i]
            found = existing.get(slot) if isinstance(target, int) else None
            if found is None:
                p.plan.inserts["measures"].append(
                    {
                        "account_id": target,
                        "metric": metric,
                        "as_of": day,
                        "value": float(value),
                        "source": "import",
                    }
                )
                outcome = "created"
            elif not math.isclose(found, value):  # a measure is named by its key
                p.plan.updates.append(("measures", slot, {"value": float(value)}, {"value": found}))
                outcome = "created" if outcome == "created" else "updated"
            else:
                continue
            p.plan.touched.add(target)
            if metric in ("active_users", "licensed_users") and day >= latest.get((target, metric), date.min):
                latest[(target, metric)] = day
                if p.book.get(target).get(metric) != int(value):
                    p.book.set(target, {metric: int(value)})
        if outcome != "rejected":
            p.plan.count(outcome)


# MRR history ---------------------------------------------------------------------
