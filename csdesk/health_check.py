"""Does the health score work? Its validation against churn, and its calibration on the book.

*Validation* (``health_check``): take the accounts that were customers with a score on a
past day, and look at what happened to them in the following days (90 by default):
how many of each band churned or contracted, and the score's ROC AUC against churn
(the chance that a churner had a lower score than a customer who stayed; 0.5 = a coin).

*Calibration* (``calibrate``): fit the weights of the model's components that best predict
churn in the following days, with a logistic regression on the components' points (a short
NumPy fit, no scikit-learn), and compare its AUC with the current weights' on the same
accounts. Cross-validation is split by time: each test day is predicted by a fit on days
whose outcome was already known on it, so the future never leaks into the past.

Outcomes come from the revenue ledger (``csdesk.metrics.MetricsBook``): an account churned in the
window when it is no longer a customer at its end (judged by its net change, as the metrics
are), contracted when it stays with less MRR. Scores come from the stored weekly history
(validation) or from the health module's scoring of the inputs (calibration, which needs
each component's points).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from csdesk import clock, formatting, health, metrics
from csdesk.i18n import tr
from db import Database

HORIZON_DAYS = 90
MIN_CHURNS = 5  # fewer churns than this in the window: too few to judge a score
MIN_CALIBRATION_CHURNS = 20  # churn outcomes needed to fit weights
CALIBRATION_STEP_DAYS = 28  # one evaluation day every four weeks
MIN_TEST_DAYS = 2
L2 = 1.0  # ridge penalty of the logistic fit (points are 0-10, all on one scale)


# ---------------------------------------------------------------------------
# Two small statistical tools


def roc_auc(risk: np.ndarray, positive: np.ndarray) -> float | None:
    """ROC AUC of ``risk`` for the ``positive`` outcomes: P(risk of a positive > risk of a negative).

    Ties count one half (the Mann-Whitney U statistic from average ranks). None without
    at least one positive and one negative.
    """
    risk = np.asarray(risk, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = pd.Series(risk).rank(method="average").to_numpy()
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, iterations: int = 50) -> np.ndarray:
    """Coefficients (intercept first) of a logistic regression of ``y`` on ``x`` (Newton's method).

    ``l2`` penalises the slopes (not the intercept), which keeps the fit finite when a
    component separates the outcomes perfectly.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], float(l2))
    penalty[0] = 0.0
    for _ in range(iterations):
        z = np.clip(design @ beta, -35, 35)
        p = 1.0 / (1.0 + np.exp(-z))
        gradient = design.T @ (p - y) + penalty * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    return beta


# ---------------------------------------------------------------------------
# Validation


@dataclass(frozen=True)
class BandOutcome:
    band: str | None  # None: customers without a score that day
    accounts: int
    churned: int
    contracted: int

    @property
    def churn_rate(self) -> float | None:
        return None if self.accounts == 0 else self.churned / self.accounts

    @property
    def contraction_rate(self) -> float | None:
        return None if self.accounts == 0 else self.contracted / self.accounts


@dataclass(frozen=True)
class HealthCheck:
    as_of: date
    horizon_days: int
    bands: tuple[BandOutcome, ...]  # green, yellow, red, then no score
    auc: float | None
    complete: bool  # the window is over (as_of + horizon on or before today)
    segment: str | None = None

    @property
    def scored(self) -> tuple[BandOutcome, ...]:
        return tuple(b for b in self.bands if b.band is not None)

    @property
    def accounts(self) -> int:
        return sum(b.accounts for b in self.scored)

    @property
    def churned(self) -> int:
        return sum(b.churned for b in self.scored)

    @property
    def contracted(self) -> int:
        return sum(b.contracted for b in self.scored)

    @property
    def churn_rate(self) -> float | None:
        return None if self.accounts == 0 else self.churned / self.accounts

    @property
    def contraction_rate(self) -> float | None:
        return None if self.accounts == 0 else self.contracted / self.accounts

    def band(self, key: str | None) -> BandOutcome:
        return next(b for b in self.bands if b.band == key)

    @property
    def red_to_green(self) -> float | None:
        """How many times the reds' churn rate is the greens' (None when either is undefined or zero)."""
        red, green = self.band("red").churn_rate, self.band("green").churn_rate
        if red is None or not green:
            return None
        return red / green

    @property
    def enough(self) -> bool:
        return self.churned >= MIN_CHURNS

    def verdict(self, language: str | None = None) -> str:
        """The check in one or two plain sentences."""
        parts = []
        if not self.complete:
            parts.append(
                tr(
                    "The {days} days after {day} are not over yet; churns still to come are not counted.",
                    language,
                    days=self.horizon_days,
                    day=formatting.day(self.as_of, language),
                )
            )
        if not self.enough:
            parts.insert(
                0,
                tr(
                    "Too few churns to judge: {n} of {total} scored accounts churned in the {days} days "
                    "after {day} (at least {min} needed).",
                    language,
                    n=self.churned,
                    total=self.accounts,
                    days=self.horizon_days,
                    day=formatting.day(self.as_of, language),
                    min=MIN_CHURNS,
                ),
            )
            return " ".join(parts)
        red, green = self.band("red"), self.band("green")
        ratio = self.red_to_green
        if ratio is not None:
            head = tr(
                "Reds churned {ratio}x more than greens ({red} vs {green}).",
                language,
                ratio=formatting.number(ratio, 1, language),
                red=formatting.percent(red.churn_rate, 1, language),
                green=formatting.percent(green.churn_rate, 1, language),
            )
        elif red.churned and green.accounts:
            head = tr(
                "{red} of the reds churned and none of the greens.",
                language,
                red=formatting.percent(red.churn_rate, 1, language),
            )
        else:
            head = tr(
                "{n} of {total} scored accounts churned; none of them was red.",
                language,
                n=self.churned,
                total=self.accounts,
            )
        parts.insert(0, head)
        if self.auc is not None:
            parts.insert(1, auc_words(self.auc, language))
        return " ".join(parts)

    def to_json(self, language: str | None = None) -> dict:
        def rate(value: float | None) -> float | None:
            return None if value is None else round(value, 6)

        return {
            "as_of": self.as_of.isoformat(),
            "horizon_days": self.horizon_days,
            "segment": self.segment,
            "complete": self.complete,
            "accounts": self.accounts,
            "churned": self.churned,
            "churn_rate": rate(self.churn_rate),
            "contracted": self.contracted,
            "contraction_rate": rate(self.contraction_rate),
            "by_band": {
                (b.band or "no_data"): {
                    "accounts": b.accounts,
                    "churned": b.churned,
                    "churn_rate": rate(b.churn_rate),
                    "contracted": b.contracted,
                    "contraction_rate": rate(b.contraction_rate),
                }
                for b in self.bands
            },
            "red_to_green": None if self.red_to_green is None else round(self.red_to_green, 4),
            "auc": None if self.auc is None else round(self.auc, 4),
            "enough_data": self.enough,
            "verdict": self.verdict(language),
        }


def auc_words(auc: float, language: str | None = None) -> str:
    value = formatting.number(auc, 2, language)
    if auc >= 0.8:
        return tr("AUC {auc}: the score separates churners strongly.", language, auc=value)
    if auc >= 0.7:
        return tr("AUC {auc}: the score separates churners well.", language, auc=value)
    if auc >= 0.6:
        return tr("AUC {auc}: the score separates churners weakly.", language, auc=value)
    return tr("AUC {auc}: the score predicts churn little better than chance.", language, auc=value)


def default_as_of(horizon_days: int = HORIZON_DAYS, today: date | None = None) -> date:
    """The latest day whose whole window is over."""
    return (today or clock.today()) - timedelta(days=horizon_days)


def outcomes(book: metrics.MetricsBook, as_of: date, horizon_days: int) -> tuple[np.ndarray, ...]:
    """(customer on as_of, churned by the end of the window, contracted) for each account of ``book``."""
    days = metrics._day_numbers([as_of, as_of + timedelta(days=horizon_days)])
    active = book.active_on(days)
    mrr = book.mrr_on(days, active)
    customer = active[:, 0]
    churned = customer & ~active[:, 1]
    contracted = customer & active[:, 1] & (mrr[:, 1] < mrr[:, 0])
    return customer, churned, contracted


def check_book(
    book: metrics.MetricsBook,
    score: np.ndarray,
    band: np.ndarray,
    as_of: date,
    horizon_days: int = HORIZON_DAYS,
    today: date | None = None,
) -> HealthCheck:
    """The check from a loaded book and each account's score and band code on ``as_of``."""
    customer, churned, contracted = outcomes(book, as_of, horizon_days)
    code = np.where(customer, band, -2)  # -2: not a customer that day
    counts = np.bincount(code + 2, minlength=5)
    churns = np.bincount(code + 2, weights=churned, minlength=5)
    contractions = np.bincount(code + 2, weights=contracted, minlength=5)
    bands = tuple(
        BandOutcome(key, int(counts[i + 2]), int(churns[i + 2]), int(contractions[i + 2]))
        for i, key in ((0, "green"), (1, "yellow"), (2, "red"), (-1, None))
    )
    scored = customer & (band >= 0)
    end = as_of + timedelta(days=horizon_days)
    return HealthCheck(
        as_of=as_of,
        horizon_days=horizon_days,
        bands=bands,
        auc=roc_auc(-score[scored], churned[scored]),
        complete=end <= (today or clock.today()),
        segment=book.segment,
    )


def health_check(
    db: Database,
    as_of: date | None = None,
    horizon_days: int = HORIZON_DAYS,
    segment: str | None = None,
    today: date | None = None,
) -> HealthCheck:
    """Churn and contraction in the ``horizon_days`` after ``as_of`` by the band accounts were in."""
    if horizon_days < 1:
        raise ValueError("the horizon must be at least one day")
    as_of = as_of or default_as_of(horizon_days, today)
    book = metrics.load_book(db, segment, surveys=False)
    score, band = metrics.scores_at(db, as_of, book.ids)
    return check_book(book, score, band, as_of, horizon_days, today)


def accounts_in_band(
    db: Database, band: str | None, as_of: date, horizon_days: int = HORIZON_DAYS, churned_only: bool = False
) -> list[int]:
    """The ids behind one bar of the check (customers in ``band`` on ``as_of``; churned ones only if asked)."""
    book = metrics.load_book(db)
    _score, codes = metrics.scores_at(db, as_of, book.ids)
    customer, churned, _contracted = outcomes(book, as_of, horizon_days)
    code = -1 if band is None else metrics.BAND_KEYS.index(band)
    mask = customer & (codes == code) & (churned if churned_only else True)
    return book.ids[mask].tolist()


# ---------------------------------------------------------------------------
# Calibration


@dataclass(frozen=True)
class Calibration:
    model: health.Model
    horizon_days: int
    enough_data: bool
    current_auc: float | None
    suggested_auc: float | None
    suggested_weights: dict[str, float] | None  # component key → percent (sums to 100)
    observations: int  # (account, day) pairs used
    churns: int  # of them, churned within the horizon
    test_days: int
    message: str

    def suggested_model(self) -> health.Model | None:
        if self.suggested_weights is None:
            return None
        from dataclasses import replace

        return replace(
            self.model,
            components=tuple(replace(c, weight=self.suggested_weights[c.key]) for c in self.model.components),
        )

    def to_json(self) -> dict:
        return {
            "model": self.model.name,
            "segment": self.model.segment,
            "horizon_days": self.horizon_days,
            "enough_data": self.enough_data,
            "current_auc": None if self.current_auc is None else round(self.current_auc, 4),
            "suggested_auc": None if self.suggested_auc is None else round(self.suggested_auc, 4),
            "current_weights": {c.key: c.weight for c in self.model.components},
            "suggested_weights": self.suggested_weights,
            "observations": self.observations,
            "churns": self.churns,
            "test_days": self.test_days,
            "message": self.message,
        }


def weights_from_coefficients(coef: np.ndarray, keys: list[str]) -> dict[str, float] | None:
    """Whole percents proportional to the components' protective effect (−coefficient), summing to 100.

    A component whose higher points do not lower churn gets the smallest weight a model
    allows (1%): a model keeps its components; the CSM may remove it.
    """
    strength = np.maximum(-np.asarray(coef, dtype=np.float64), 0.0)
    if strength.sum() <= 0:
        return None
    share = strength / strength.sum() * 100
    share = np.maximum(share, 1.0)
    share = share / share.sum() * 100
    whole = np.floor(share).astype(int)
    # Largest remainders get the leftover points, so the weights add up to exactly 100.
    for i in np.argsort(-(share - whole))[: 100 - whole.sum()]:
        whole[i] += 1
    return {k: float(w) for k, w in zip(keys, whole, strict=True)}


def _features(points: np.ndarray) -> np.ndarray:
    """(observations × components) points with a missing one replaced by the mean of the present ones.

    That is what the score does with a missing input (its weight is shared by the others).
    """
    present = ~np.isnan(points)
    mean = np.where(present.any(axis=1), np.nanmean(np.where(present, points, np.nan), axis=1), 0.0)
    return np.where(present, points, mean[:, None])


def _observations(db: Database, model: health.Model, horizon_days: int, today: date):
    """Evaluation days and, per (account, day) scored with ``model``: points, current score, churned."""
    last = today - timedelta(days=horizon_days)
    first = today - timedelta(weeks=health.HISTORY_WEEKS)
    days = []
    cursor = last
    while cursor >= first:
        days.append(cursor)
        cursor -= timedelta(days=CALIBRATION_STEP_DAYS)
    days.reverse()
    if not days:
        return days, None
    inputs = health.load_inputs(db, days[0])
    models = health.list_models(db)
    grid = health.score_grid(inputs, models, days, today)
    mine = np.array([models[i].id == model.id for i in grid.model_index], dtype=bool)
    book = metrics.load_book(db)
    pos = np.searchsorted(book.ids, grid.ids)
    k = len(model.components)
    rows = []
    for j, day in enumerate(days):
        customer, churned, _c = outcomes(book, day, horizon_days)
        use = mine & grid.valid[:, j] & customer[pos]
        if not use.any():
            continue
        rows.append(
            (
                np.full(int(use.sum()), j),
                grid.points[:k, use, j].T,
                grid.score[use, j],
                churned[pos[use]],
            )
        )
    if not rows:
        return days, None
    day_index, points, score, churned = (np.concatenate(part) for part in zip(*rows, strict=True))
    return days, (day_index, _features(points), score, churned.astype(bool))


def known_on(day_numbers: np.ndarray, horizon_days: int, j: int) -> np.ndarray:
    """The evaluation days whose outcomes were known on day ``j``: their whole window ended by then.

    A test day learns only from those, so no fit sees the future of the day it predicts.
    """
    return day_numbers + horizon_days <= day_numbers[j]


def calibrate(
    db: Database,
    horizon_days: int = HORIZON_DAYS,
    segment: str | None = None,
    today: date | None = None,
) -> Calibration:
    """Suggested weights for the model of ``segment`` and their out-of-time AUC beside the current one's."""
    today = today or clock.today()
    model = health.model_for(db, segment)
    keys = [c.key for c in model.components]
    days, data = _observations(db, model, horizon_days, today)

    def refuse(message: str, n: int = 0, churns: int = 0) -> Calibration:
        return Calibration(model, horizon_days, False, None, None, None, n, churns, 0, message)

    if data is None:
        return refuse(tr("No scored history to learn from: recompute the health scores first."))
    day_index, x, score, churned = data
    n, churns = len(churned), int(churned.sum())
    if churns < MIN_CALIBRATION_CHURNS:
        return refuse(
            tr(
                "Too few churns to fit weights: {n} churns within {days} days in the history, "
                "at least {min} needed. Keep the current weights.",
                n=churns,
                days=horizon_days,
                min=MIN_CALIBRATION_CHURNS,
            ),
            n,
            churns,
        )
    day_numbers = np.array([(d - date(1970, 1, 1)).days for d in days])
    tested_current, tested_suggested, tested_y = [], [], []
    test_days = 0
    for j in range(len(days)):
        train = known_on(day_numbers, horizon_days, j)[day_index]
        test = day_index == j
        if not test.any() or churned[train].sum() < MIN_CALIBRATION_CHURNS or churned[train].all():
            continue
        beta = fit_logistic(x[train], churned[train])
        weights = weights_from_coefficients(beta[1:], keys)
        if weights is None:
            continue
        w = np.array([weights[k_] for k_ in keys]) / 100
        tested_suggested.append(x[test] @ w * 10)
        tested_current.append(score[test])
        tested_y.append(churned[test])
        test_days += 1
    if test_days < MIN_TEST_DAYS:
        return refuse(
            tr(
                "Too little history to test weights on days the fit has not seen: "
                "{n} test days, at least {min} needed.",
                n=test_days,
                min=MIN_TEST_DAYS,
            ),
            n,
            churns,
        )
    y = np.concatenate(tested_y)
    current_auc = roc_auc(-np.concatenate(tested_current), y)
    suggested_auc = roc_auc(-np.concatenate(tested_suggested), y)
    weights = weights_from_coefficients(fit_logistic(x, churned)[1:], keys)
    if weights is None or current_auc is None or suggested_auc is None:
        return refuse(tr("The history does not show any component lowering churn; keep the current weights."))
    message = tr(
        "Tested on {days} days the fit had not seen: AUC {current} with the current weights, "
        "{suggested} with the suggested ones.",
        days=test_days,
        current=formatting.number(current_auc, 2),
        suggested=formatting.number(suggested_auc, 2),
    )
    return Calibration(
        model, horizon_days, True, current_auc, suggested_auc, weights, n, churns, test_days, message
    )
