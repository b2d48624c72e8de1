"""What a health model being edited would do: how many accounts change band, before saving.

Both sides are scored today with the same inputs and the same vectorised
scorer as ``health.recompute`` (``health.score_grid``), once with the saved
models and once with the edited one in its segment's place, so the preview is
never a second copy of the scoring rule. Nothing is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np

from csdesk import clock, health
from csdesk.formatting import number
from csdesk.i18n import tr
from db import Database

_BANDS = (*health.BAND_KEYS, None)  # grid band codes 0, 1, 2 and -1 (no score)
_ORDER = {"green": 0, "yellow": 1, "red": 2}


@dataclass(frozen=True)
class BandPreview:
    accounts: int  # customers the edited model applies to
    changed: int  # of which would land in another band (or gain / lose a score)
    better: int  # moved to a healthier band
    worse: int  # moved to a less healthy band
    moves: tuple[tuple[str | None, str | None, int], ...]  # (from band, to band, accounts), most first


def _band(code: int) -> str | None:
    return _BANDS[code] if code >= 0 else None


def preview_model(db: Database, model: health.Model, today: date | None = None) -> BandPreview:
    """Band changes if ``model`` replaced the saved model of its segment (scored ``today``)."""
    today = today or clock.today()
    saved = health.list_models(db)
    edited = [m for m in saved if m.segment != model.segment] + [model]
    if all(m.segment is not None for m in edited):  # pragma: no cover - the default always exists
        edited.append(health.default_model())
    inputs = health.load_inputs(db, today)
    if len(inputs.ids) == 0:
        return BandPreview(0, 0, 0, 0, ())
    before = health.score_grid(inputs, saved, [today], today)
    after = health.score_grid(inputs, edited, [today], today)
    customers = before.customer if before.customer is not None else np.ones(len(before.ids), dtype=bool)
    # Only the accounts this model scores: its segment's, or (default) those without a model of their own.
    applies = np.array([after.models[i] is model for i in after.model_index], dtype=bool) & customers
    old = before.band[:, -1][applies]
    new = after.band[:, -1][applies]
    moved = old != new
    moves = Counter((_band(int(a)), _band(int(b))) for a, b in zip(old[moved], new[moved], strict=True))
    better = sum(
        n for (a, b), n in moves.items() if a is not None and b is not None and _ORDER[b] < _ORDER[a]
    )
    worse = sum(n for (a, b), n in moves.items() if a is not None and b is not None and _ORDER[b] > _ORDER[a])
    ordered = tuple(sorted(((a, b, n) for (a, b), n in moves.items()), key=lambda m: -m[2]))
    return BandPreview(int(applies.sum()), int(moved.sum()), better, worse, ordered)


def preview_text(preview: BandPreview, language: str | None = None) -> str:
    """'With this model: 12 accounts change band (3 healthier, 9 less healthy) …' for the editor."""
    if preview.accounts == 0:
        return tr("With this model: no account to score yet.", language)
    if preview.changed == 0:
        return tr(
            "With this model: no account changes band (of {n}).",
            language,
            n=number(preview.accounts, 0, language),
        )
    text = tr(
        "With this model: {changed} of {n} accounts change band ({better} healthier, {worse} less healthy).",
        language,
        changed=number(preview.changed, 0, language),
        n=number(preview.accounts, 0, language),
        better=number(preview.better, 0, language),
        worse=number(preview.worse, 0, language),
    )
    details = [
        f"{health.band_label(a, language)} → {health.band_label(b, language)}: {number(n, 0, language)}"
        for a, b, n in preview.moves[:4]
    ]
    return text + (" " + " · ".join(details) if details else "")


def describe_scale(scale: health.Scale, language: str | None = None) -> str:
    """A points rule in words: '3 or more: 10 points · 2 to 3: 7 points · … · below 1: 0 points'."""

    def num(value: float) -> str:
        digits = 0 if value % 1 == 0 else 1 if round(value, 1) == value else 2
        return number(value, digits, language)

    def pts(value: float) -> str:
        return tr("{n} pts", language, n=number(value, 1 if value % 1 else 0, language))

    if scale.kind == "linear":
        low, high = scale.low, scale.high
        if low <= high:
            return tr(
                "{low} or less: 0 pts · {high} or more: 10 pts · in between, in proportion",
                language,
                low=num(low),
                high=num(high),
            )
        return tr(
            "Lower is better: {low} or more: 0 pts · {high} or less: 10 pts · in between, in proportion",
            language,
            low=num(low),
            high=num(high),
        )
    ordered = sorted(scale.bands, reverse=True)  # highest threshold first
    if not ordered:
        return ""
    parts = [tr("{value} or more: {points}", language, value=num(ordered[0][0]), points=pts(ordered[0][1]))]
    for (upper, _p), (low, points) in zip(ordered, ordered[1:], strict=False):
        parts.append(
            tr("{low} to under {high}: {points}", language, low=num(low), high=num(upper), points=pts(points))
        )
    if ordered[-1][0] > 0:  # the measures are counts, shares, days: nothing is below 0
        parts.append(tr("below {low}: {points}", language, low=num(ordered[-1][0]), points=pts(0)))
    return " · ".join(parts)
