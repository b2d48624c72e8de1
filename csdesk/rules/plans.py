"""A success plan's status: on track, late or done, and an account's worst plan.

A plan is done when closed or when every milestone not cancelled is done; late
when one of those is overdue (or marked late); else on track. An account with
several live plans shows the worst. The plans service, the book's plan column
and the documents all ask here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Literal

PlanStatus = Literal["on_track", "late", "done"]
WORST_FIRST: tuple[PlanStatus, ...] = ("late", "on_track", "done")
_RANK = {status: rank for rank, status in enumerate(reversed(WORST_FIRST))}


def milestone_late(status: str, due: date | None, today: date) -> bool:
    if status in ("done", "cancelled"):
        return False
    return status == "late" or (due is not None and due < today)


def plan_status(plan_state: str, milestones: Iterable[tuple[str, date | None]], today: date) -> PlanStatus:
    """From the plan's own status and its milestones' (status, due day)."""
    live = [(status, due) for status, due in milestones if status != "cancelled"]
    if plan_state == "done" or (live and all(status == "done" for status, _ in live)):
        return "done"
    if any(milestone_late(status, due, today) for status, due in live):
        return "late"
    return "on_track"


def worse(a: PlanStatus | None, b: PlanStatus) -> PlanStatus:
    return b if a is None or _RANK[b] > _RANK[a] else a


def statuses_by_account(rows: Iterable[Sequence[Any]], today: date) -> dict[int, PlanStatus]:
    """Account id -> its worst live plan's status, from (plan id, account id, plan status,
    milestone status, milestone due day) rows (a plan without milestones: one row of None)."""
    plans: dict[int, tuple[int, str, list[tuple[str, date | None]]]] = {}
    for plan_id, account_id, plan_state, state, due in rows:
        entry = plans.setdefault(plan_id, (account_id, plan_state, []))
        if state is not None:
            entry[2].append((state, due))
    result: dict[int, PlanStatus] = {}
    for account_id, plan_state, milestones in plans.values():
        result[account_id] = worse(result.get(account_id), plan_status(plan_state, milestones, today))
    return result
