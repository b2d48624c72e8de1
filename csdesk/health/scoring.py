"""Scoring grids: every (account, day) cell scored at once, with its component breakdown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from csdesk.health.inputs import _day_number, _Inputs, measure_values
from csdesk.health.model import HISTORY_WEEKS, Model
from db.models import (
    HEALTH_BANDS,
)

# ---------------------------------------------------------------------------
# Scoring grids


TREND_DAYS = (7, 30)


def history_days(today: date, weeks: int = HISTORY_WEEKS, compare: Sequence[int] = TREND_DAYS) -> list[date]:
    """Mondays of the last ``weeks`` weeks, today, and the days ``compare`` days before today.

    The comparison days make "in 7 days" mean 7 days: on a weekly grid alone the
    nearest earlier snapshot can be up to 13 days back.
    """
    monday = today - timedelta(days=today.weekday())
    days = {monday - timedelta(weeks=k) for k in range(weeks, -1, -1)}
    days.add(today)
    first = min(days)
    days.update(d for d in (today - timedelta(days=int(n)) for n in compare) if d >= first)
    return sorted(days)


@dataclass
class ScoreGrid:
    """Scores of accounts (rows) × days (columns); NaN where there is no score."""

    ids: np.ndarray
    days: np.ndarray  # day numbers
    score: np.ndarray  # float, rounded to 0.1
    valid: np.ndarray  # bool
    band: np.ndarray  # int8: 0 green, 1 yellow, 2 red, -1 none
    complete: np.ndarray  # bool
    points: np.ndarray  # components × accounts × days (NaN missing)
    values: np.ndarray  # components × accounts × days
    eff_weight: np.ndarray  # components × accounts × days (fractions)
    model_index: np.ndarray  # per account: index into models
    models: list[Model]
    customer: np.ndarray | None = None  # per account: still a customer (not churned)


BAND_KEYS = HEALTH_BANDS  # a grid's band codes 0-2, as stored


def score_grid(
    inputs: _Inputs, models: list[Model], days: Sequence[date], today: date, rows: slice | None = None
) -> ScoreGrid:
    """Score the accounts ``rows`` of ``inputs`` on each of ``days`` (vectorised)."""
    rows = rows or slice(0, len(inputs.ids))
    pos = np.arange(len(inputs.ids))[rows]
    day_numbers = np.array([_day_number(d) for d in days], dtype=np.int64)
    n, d = len(pos), len(day_numbers)
    qpos = np.repeat(pos, d).reshape(n, d)
    qday = np.broadcast_to(day_numbers, (n, d))
    today_n = _day_number(today)
    alive = (qday >= inputs.start[pos, None]) & (qday <= inputs.end[pos, None])
    customer = inputs.status_active[pos]
    # A churned account without a churn date: its history stays, but no score from today on.
    alive &= customer[:, None] | (qday < today_n)

    by_segment = {m.segment: i for i, m in enumerate(models)}
    default_index = by_segment.get(None, 0)
    model_index = np.array([by_segment.get(s, default_index) for s in inputs.segment[pos]], dtype=np.int64)
    k_max = max(len(m.components) for m in models)
    points = np.full((k_max, n, d), np.nan)
    values = np.full((k_max, n, d), np.nan)
    weights = np.zeros((k_max, n, 1))
    cache: dict[str, np.ndarray] = {}
    for mi, model in enumerate(models):
        sel = model_index == mi
        if not sel.any():
            continue
        for k, comp in enumerate(model.components):
            if comp.measure not in cache:
                cache[comp.measure] = measure_values(inputs, comp.measure, qpos, qday, today_n)
            raw = cache[comp.measure][sel]
            values[k, sel] = raw
            points[k, sel] = comp.scale.points(raw)
            weights[k, sel] = comp.weight / 100.0
    grid = _combine(inputs.ids[pos], day_numbers, points, values, weights, alive, model_index, models)
    grid.customer = customer
    return grid


def _combine(ids, day_numbers, points, values, weights, alive, model_index, models) -> ScoreGrid:
    present = ~np.isnan(points)
    w = np.where(present, weights, 0.0)
    wsum = w.sum(axis=0)
    # No data, no score: the inputs present must carry the model's minimum share of the weight.
    min_share = np.array([m.min_weight for m in models])[model_index][:, None] / 100.0
    valid = alive & (wsum > 0) & (wsum >= min_share - 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = np.where(valid, w / np.where(wsum > 0, wsum, 1.0), 0.0)
    score = (eff * np.nan_to_num(points)).sum(axis=0) * 10.0
    score = np.round(score, 1)
    score[~valid] = np.nan
    green = np.array([m.green for m in models])[model_index][:, None]
    yellow = np.array([m.yellow for m in models])[model_index][:, None]
    band = np.where(score >= green, 0, np.where(score >= yellow, 1, 2)).astype(np.int8)
    band[~valid] = -1
    # Components a model lacks (fewer than k_max) have weight 0: never "missing".
    complete = ((present | (weights == 0)).all(axis=0)) & valid
    return ScoreGrid(ids, day_numbers, score, valid, band, complete, points, values, eff, model_index, models)


# A comparison may fall back to an earlier snapshot by at most this many days (the weekly grid).
COMPARE_SLACK_DAYS = 6
# A red alert is raised for an account that turned red within this many days.
RED_CROSSING_DAYS = 21
