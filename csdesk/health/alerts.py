"""Alerts a recompute raises: drops over the alert's window and accounts turning red."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk import formatting
from csdesk.health.queries import ComponentScore, Snapshot, _moves, change_text
from csdesk.health.scoring import BAND_KEYS, COMPARE_SLACK_DAYS, RED_CROSSING_DAYS, ScoreGrid
from csdesk.i18n import tr
from db.models import (
    Task,
)


def _last_valid_upto(valid: np.ndarray) -> np.ndarray:
    """For each cell, the column of the latest valid cell at or before it (-1 if none)."""
    idx = np.where(valid, np.arange(valid.shape[1])[None, :], -1)
    return np.maximum.accumulate(idx, axis=1)


def _score_days_before(grid: ScoreGrid, last: np.ndarray, days_back: int) -> tuple[np.ndarray, np.ndarray]:
    """(score, column) of the nearest scored snapshot on or before (latest day − days_back).

    Never a missing score, nor one more than a week older than asked: NaN and -1 then.
    """
    upto = _last_valid_upto(grid.valid)
    target = grid.days[np.maximum(last, 0)] - days_back
    col = np.searchsorted(grid.days, target, side="right") - 1
    rows = np.arange(len(last))
    ok = (last >= 0) & (col >= 0)
    src = np.where(ok, upto[rows, np.maximum(col, 0)], -1)
    src = np.where((src >= 0) & (grid.days[np.maximum(src, 0)] >= target - COMPARE_SLACK_DAYS), src, -1)
    return np.where(src >= 0, grid.score[rows, np.maximum(src, 0)], np.nan), src


def _customers(grid: ScoreGrid) -> np.ndarray:
    return np.ones(len(grid.ids), dtype=bool) if grid.customer is None else grid.customer


def _latest(grid: ScoreGrid, today: date) -> list[dict[str, Any]]:
    last = _last_valid_upto(grid.valid)[:, -1]
    rows = np.arange(len(last))
    # Churned accounts keep their pre-churn history but no current score: the book,
    # its KPIs (average health, MRR at risk) and Today leave them out. Nor does an
    # account whose inputs have all aged out keep an old score: no data, no score.
    has = (last == grid.valid.shape[1] - 1) & _customers(grid)
    score = np.where(has, grid.score[rows, np.maximum(last, 0)], np.nan)
    band = np.where(has, grid.band[rows, np.maximum(last, 0)], -1)
    before, _col = _score_days_before(grid, last, 30)
    trend = np.round(score - before, 1)
    out = []
    for i, account_id in enumerate(grid.ids.tolist()):
        if not has[i]:
            out.append({"id": account_id, "health_score": None, "health_band": None, "health_trend": None})
            continue
        out.append(
            {
                "id": account_id,
                "health_score": float(score[i]),
                "health_band": BAND_KEYS[band[i]],
                "health_trend": None if np.isnan(trend[i]) else float(trend[i]),
            }
        )
    return out


def _alert_candidates(grid: ScoreGrid, settings: dict[str, Any], partial: bool = False):
    last = _last_valid_upto(grid.valid)[:, -1]
    rows = np.arange(len(last))
    # Only the current state of a customer raises alerts: the latest column must be scored.
    current = (last == grid.valid.shape[1] - 1) & _customers(grid)
    score = np.where(current, grid.score[rows, np.maximum(last, 0)], np.nan)
    before, before_col = _score_days_before(grid, last, int(settings["drop_days"]))
    drop = before - score  # NaN (no alert) when there was no score to compare with
    as_of = grid.days[-1]
    drops = [
        _Drop(
            int(grid.ids[i]),
            float(before[i]),
            float(score[i]),
            _date_of(as_of),
            _date_of(grid.days[before_col[i]]),
            change_text(_moves(_grid_snapshot(grid, i, before_col[i]), _grid_snapshot(grid, i, last[i])))
            or None,
        )
        for i in np.flatnonzero(current & (drop >= float(settings["drop_points"])))
    ]
    reds = []
    if settings.get("red", True):
        band = grid.band
        red_now = current & (band[rows, -1] == 2)
        for i in np.flatnonzero(red_now):
            # The last scored, non-red snapshot before this red run names the crossing (stable key).
            not_red = np.flatnonzero(grid.valid[i] & (band[i] != 2))
            if len(not_red) == 0:
                # Red since its first score; a partial grid scored red from its first day
                # shows only that the run began before it: long ago, no alert.
                if not (partial and grid.valid[i, 0]):
                    reds.append((int(grid.ids[i]), None, None))
                continue
            prev = not_red[-1]
            # Alert only on a recent crossing, not on accounts red for months.
            if grid.days[-1] - grid.days[prev] <= RED_CROSSING_DAYS:
                why = change_text(_moves(_grid_snapshot(grid, i, prev), _grid_snapshot(grid, i, last[i])))
                reds.append((int(grid.ids[i]), _date_of(grid.days[prev]), why or None))
    return drops, reds


@dataclass(frozen=True)
class _Drop:
    account_id: int
    before: float
    after: float
    as_of: date
    since: date  # the day of the score compared with
    why: str | None  # the components that moved


def _grid_snapshot(grid: ScoreGrid, i: int, col: int) -> Snapshot:
    """One cell of a grid as a snapshot (for explanations before anything is stored)."""
    model = grid.models[grid.model_index[i]]
    comps = tuple(
        ComponentScore(
            c.key,
            c.measure,
            None if np.isnan(grid.points[k, i, col]) else float(grid.points[k, i, col]),
            c.weight,
            float(grid.eff_weight[k, i, col]),
            None if np.isnan(grid.values[k, i, col]) else float(grid.values[k, i, col]),
            bool(np.isnan(grid.points[k, i, col])),
        )
        for k, c in enumerate(model.components)
    )
    band = int(grid.band[i, col])
    return Snapshot(
        int(grid.ids[i]),
        _date_of(grid.days[col]),
        float(grid.score[i, col]),
        BAND_KEYS[band] if band >= 0 else "",
        bool(grid.complete[i, col]),
        comps,
        model.id,
    )


def _date_of(day_number: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(day_number))


def _raise_alerts(session: Session, drops, reds, today: date, settings: dict[str, Any]) -> int:
    wanted: list[dict[str, Any]] = []
    for drop in drops:
        year, week, _ = drop.as_of.isocalendar()
        wanted.append(
            {
                "account_id": drop.account_id,
                "rule_key": f"health_drop:{year}-W{week:02d}",
                "title": tr(
                    "Health dropped {points} points in {days} days ({before} → {after})",
                    points=formatting.number(drop.before - drop.after, 1),
                    days=(drop.as_of - drop.since).days,
                    before=formatting.number(drop.before, 1),
                    after=formatting.number(drop.after, 1),
                ),
                "notes": drop.why,
            }
        )
    for account_id, previous, why in reds:
        wanted.append(
            {
                "account_id": account_id,
                "rule_key": f"health_red:{previous.isoformat() if previous else 'start'}",
                "title": tr("Health is critical (red band): plan a recovery"),
                "notes": why,
            }
        )
    if not wanted:
        return 0
    ids = sorted({w["account_id"] for w in wanted})
    existing = set()
    for lo in range(0, len(ids), 500):
        existing.update(
            session.execute(
                select(Task.account_id, Task.rule_key).where(
                    Task.account_id.in_(ids[lo : lo + 500]), Task.rule_key.like("health_%")
                )
            ).all()
        )
    new = [w for w in wanted if (w["account_id"], w["rule_key"]) not in existing]
    for w in new:
        session.add(
            Task(
                account_id=w["account_id"],
                title=w["title"],
                rule_key=w["rule_key"],
                origin="alert",
                kind="risk",
                priority="high",
                due_date=today,
                notes=w["notes"],
            )
        )
    return len(new)
