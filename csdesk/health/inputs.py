"""Health inputs: every account's rows sorted by (account, day), looked up for whole grids at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import String, case, func, literal, or_, select, type_coerce

from csdesk import vocab
from csdesk.health.model import (
    _MEASURE_LOOKBACK,
    _MEASURE_METRICS,
    LOOKBACK,
    TICKET_WEIGHTS,
    deck_logged_as_meeting,
    qbr_meeting,
)
from db import Database
from db.bulk import day_number, fetch_numeric
from db.models import (
    Account,
    Measure,
    SurveyResponse,
    TimelineEvent,
)

# Up to this many accounts, a recompute reads their inputs by account in SQL.
SCOPED_LOAD_MAX = 5000
# ---------------------------------------------------------------------------
# Inputs: rows sorted by (account position, day), looked up for whole grids

_STRIDE = 1 << 20  # day numbers (days since 1970) stay far below this


def _day_numbers(values: Sequence[Any]) -> np.ndarray:
    """ISO dates / datetimes (strings or objects) -> int64 days since 1970."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    first = values[0]
    if isinstance(first, str):
        text = np.array([v[:10] for v in values], dtype="datetime64[D]")
    else:
        text = np.array([v.isoformat()[:10] for v in values], dtype="datetime64[D]")
    return text.astype(np.int64)


def _day_number(day: date) -> int:
    return int(np.datetime64(day, "D").astype(np.int64))


class _Rows:
    """One input's dated rows, sorted by (account position, day), for vectorised look-ups."""

    def __init__(self, pos: np.ndarray, day: np.ndarray, value: np.ndarray):
        order = np.lexsort((day, pos))
        self.pos = pos[order]
        self.day = day[order]
        self.value = value[order].astype(np.float64)
        self.key = self.pos * _STRIDE + self.day
        self.csum = np.concatenate(([0.0], np.cumsum(self.value)))

    @classmethod
    def empty(cls) -> _Rows:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, np.zeros(0))

    def latest(self, qpos: np.ndarray, qday: np.ndarray, lookback: int) -> tuple[np.ndarray, np.ndarray]:
        """The latest value on or before each query day within ``lookback`` days (NaN if none)."""
        if len(self.key) == 0:
            return np.full(qpos.shape, np.nan), np.zeros(qpos.shape, dtype=np.int64)
        i = np.searchsorted(self.key, qpos * _STRIDE + qday, side="right") - 1
        ic = np.maximum(i, 0)
        day = self.day[ic]
        ok = (i >= 0) & (self.pos[ic] == qpos) & (qday - day <= lookback)
        return np.where(ok, self.value[ic], np.nan), day

    def window(self, qpos: np.ndarray, qday: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
        """Sum and count of the values dated in (day − days, day]."""
        base = qpos * _STRIDE
        hi = np.searchsorted(self.key, base + qday, side="right")
        lo = np.searchsorted(self.key, base + qday - days, side="right")
        return self.csum[hi] - self.csum[lo], (hi - lo).astype(np.float64)


@dataclass
class _Inputs:
    """Everything the scores need, for a set of accounts (positions 0..n-1)."""

    ids: np.ndarray
    segment: np.ndarray  # object
    start: np.ndarray  # first day (day number) a score may exist
    end: np.ndarray  # last day (churn) or a far future
    status_active: np.ndarray
    renewal: np.ndarray  # day number or -1
    licensed_now: np.ndarray  # float, NaN when unknown
    active_now: np.ndarray
    measures: dict[str, _Rows]
    nps: _Rows
    csat: _Rows
    tickets: _Rows
    touches: _Rows
    qbrs: _Rows


def _positions(ids: np.ndarray, account_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pos = np.searchsorted(ids, account_ids)
    pos = np.minimum(pos, max(len(ids) - 1, 0))
    ok = ids[pos] == account_ids if len(ids) else np.zeros(len(account_ids), dtype=bool)
    return pos, ok


def load_inputs(db: Database, since: date, account_ids: Iterable[int] | None = None) -> _Inputs:
    """Load the dated inputs from ``since`` (minus the look-backs) for some or all accounts."""
    wanted = None if account_ids is None else sorted(set(account_ids))
    earliest = since - timedelta(days=max(LOOKBACK.values()) + 1)
    far = _day_number(date(9999, 12, 31))
    with db.session() as session:
        q = select(
            Account.id,
            Account.segment,
            Account.status,
            type_coerce(Account.contract_start, String),
            type_coerce(Account.churn_date, String),
            type_coerce(Account.renewal_date, String),
            Account.licensed_users,
            Account.active_users,
        ).order_by(Account.id)
        if wanted is not None:
            q = q.where(Account.id.in_(wanted))
        acc = session.execute(q).all()

        # The accounts' rows are read through their (account, day) indexes, so rescoring the
        # 1,000 accounts an import touched reads their rows only (a whole-table read of a
        # 50,000-account book takes ~15 s); very long lists read the whole table instead.
        in_sql = wanted is not None and len(wanted) <= SCOPED_LOAD_MAX

        def scoped(query, column):
            return query.where(column.in_(wanted)) if in_sql else query

        # By account, the events are found through (account, time): the kind is tested as an
        # expression (coalesce(kind, kind)), or SQLite would walk every event of that kind in the book.
        kind = func.coalesce(TimelineEvent.kind, TimelineEvent.kind) if in_sql else TimelineEvent.kind

        measure_rows = fetch_numeric(
            session,
            scoped(
                select(
                    Measure.account_id,
                    case(*((Measure.metric == m, i) for i, m in enumerate(_MEASURE_METRICS)), else_=-1),
                    day_number(Measure.as_of),
                    Measure.value,
                ).where(
                    # Each measure only as far back as its reader looks (a usage figure two
                    # months, licences a year): older rows could never be picked.
                    or_(
                        *(
                            (Measure.metric == metric) & (Measure.as_of >= since - timedelta(days=back + 1))
                            for metric, back in _MEASURE_LOOKBACK.items()
                        )
                    )
                ),
                Measure.account_id,
            ),
            4,
        )
        # The CSM's pulse logged on the timeline (a pulse event, 1-5) is a csm_pulse value too.
        pulse = TimelineEvent.data["score"].as_float()
        pulse_rows = fetch_numeric(
            session,
            scoped(
                select(
                    TimelineEvent.account_id,
                    literal(_MEASURE_METRICS.index("csm_pulse")),
                    day_number(TimelineEvent.occurred_at),
                    pulse,
                ).where(
                    TimelineEvent.kind == "pulse",
                    TimelineEvent.occurred_at >= datetime.combine(earliest, datetime.min.time()),
                    pulse.is_not(None),
                ),
                TimelineEvent.account_id,
            ),
            4,
        )
        measure_rows = np.concatenate([measure_rows, pulse_rows])
        survey_rows = fetch_numeric(
            session,
            scoped(
                select(
                    SurveyResponse.account_id,
                    case((SurveyResponse.kind == "nps", 0), else_=1),
                    day_number(SurveyResponse.answered_at),
                    SurveyResponse.score,
                ).where(
                    SurveyResponse.answered_at >= datetime.combine(earliest, datetime.min.time()),
                    SurveyResponse.kind.in_(("nps", "csat")),
                ),
                SurveyResponse.account_id,
            ),
            4,
        )
        event_since = datetime.combine(earliest - timedelta(days=365), datetime.min.time())
        ticket_rows = fetch_numeric(
            session,
            scoped(
                select(
                    TimelineEvent.account_id,
                    day_number(TimelineEvent.occurred_at),
                    case(*((TimelineEvent.severity == s, w) for s, w in TICKET_WEIGHTS.items()), else_=1.0),
                ).where(kind == "ticket", TimelineEvent.occurred_at >= event_since),
                TimelineEvent.account_id,
            ),
            3,
        )
        touch_rows = fetch_numeric(
            session,
            scoped(
                select(
                    TimelineEvent.account_id,
                    day_number(TimelineEvent.occurred_at),
                    case((qbr_meeting(), 1), else_=0),
                ).where(
                    kind.in_(vocab.TOUCH_KINDS),
                    ~deck_logged_as_meeting(),
                    TimelineEvent.occurred_at >= event_since,
                ),
                TimelineEvent.account_id,
            ),
            3,
        )

    ids = np.array([r[0] for r in acc], dtype=np.int64)
    n = len(ids)

    def days_or(values, default):
        out = np.full(n, default, dtype=np.int64)
        present = [i for i, v in enumerate(values) if v]
        if present:
            out[present] = _day_numbers([values[i] for i in present])
        return out

    start = days_or([r[3] for r in acc], -(10**6))
    end = days_or([r[4] if r[2] == "churned" else None for r in acc], far)
    # A churned account without a churn date: no score after its last data.
    renewal = days_or([r[5] for r in acc], -1)
    licensed_now = np.array([np.nan if r[6] in (None, 0) else r[6] for r in acc], dtype=np.float64)
    active_now = np.array([np.nan if r[7] is None else r[7] for r in acc], dtype=np.float64)

    def rows(table: np.ndarray, day_col: int, value_col: int | None) -> _Rows:
        if len(table) == 0:
            return _Rows.empty()
        pos, ok = _positions(ids, table[:, 0].astype(np.int64))
        values = table[ok, value_col] if value_col is not None else np.ones(int(ok.sum()))
        return _Rows(pos[ok], table[ok, day_col].astype(np.int64), values)

    measures = {
        metric: rows(measure_rows[measure_rows[:, 1] == i], 2, 3) for i, metric in enumerate(_MEASURE_METRICS)
    }
    nps = rows(survey_rows[survey_rows[:, 1] == 0], 2, 3)
    csat = rows(survey_rows[survey_rows[:, 1] == 1], 2, 3)
    tickets = rows(ticket_rows, 1, 2)
    touches = rows(touch_rows, 1, None)
    qbrs = rows(touch_rows[touch_rows[:, 2] == 1] if len(touch_rows) else touch_rows, 1, None)
    return _Inputs(
        ids=ids,
        segment=np.array([r[1] for r in acc], dtype=object),
        start=start,
        end=end,
        status_active=np.array([r[2] == "active" for r in acc], dtype=bool),
        renewal=renewal,
        licensed_now=licensed_now,
        active_now=active_now,
        measures=measures,
        nps=nps,
        csat=csat,
        tickets=tickets,
        touches=touches,
        qbrs=qbrs,
    )


def measure_values(
    inputs: _Inputs, measure: str, qpos: np.ndarray, qday: np.ndarray, today: int
) -> np.ndarray:
    """The raw value of one measure for each (account position, day) query; NaN = missing."""
    ms = inputs.measures
    empty = _Rows.empty()
    if measure == "logins":
        logins, _ = ms.get("logins", empty).latest(qpos, qday, LOOKBACK["logins"])
        licensed = _licensed(inputs, qpos, qday)
        return logins / licensed
    if measure == "adoption":
        active, _ = ms.get("active_users", empty).latest(qpos, qday, LOOKBACK["active_users"])
        # Today's figure on the account stands in when no measure is recent enough.
        now = qday >= today
        active = np.where(now & np.isnan(active), inputs.active_now[qpos], active)
        return np.minimum(active / _licensed(inputs, qpos, qday), 1.0) * 100.0
    if measure == "key_feature_use":
        return ms.get("key_feature_use", empty).latest(qpos, qday, LOOKBACK["key_feature_use"])[0]
    if measure == "payment_delay":
        return ms.get("payment_delay_days", empty).latest(qpos, qday, LOOKBACK["payment_delay_days"])[0]
    if measure == "csm_pulse":
        return ms.get("csm_pulse", empty).latest(qpos, qday, LOOKBACK["csm_pulse"])[0]
    if measure in ("nps", "csat"):
        rows = inputs.nps if measure == "nps" else inputs.csat
        total, count = rows.window(qpos, qday, LOOKBACK[measure])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)
    if measure == "tickets":
        return _ticket_values(inputs, qpos, qday)
    if measure == "qbr_attendance":
        _total, count = inputs.qbrs.window(qpos, qday, LOOKBACK["qbr_attendance"])
        return count
    if measure == "days_since_touch":
        i = np.searchsorted(inputs.touches.key, qpos * _STRIDE + qday, side="right") - 1
        if len(inputs.touches.key) == 0:
            return np.full(qpos.shape, np.nan)
        ic = np.maximum(i, 0)
        ok = (i >= 0) & (inputs.touches.pos[ic] == qpos)
        return np.where(ok, (qday - inputs.touches.day[ic]).astype(np.float64), np.nan)
    if measure == "renewal_proximity":
        renewal = inputs.renewal[qpos]
        days = renewal - qday
        # Past a renewal date the contract renewed yearly: the next anniversary counts.
        days = np.where(days < 0, np.mod(days, 365), days).astype(np.float64)
        return np.where(renewal < 0, np.nan, days)
    raise ValueError(f"unknown measure {measure!r}")


def _ticket_values(inputs: _Inputs, qpos: np.ndarray, qday: np.ndarray) -> np.ndarray:
    """The Support measure: NaN (missing) unless a ticket source speaks for the account.

    "0 tickets" is data only where a source says so: an imported count of 0, or a
    month without ticket events for an account whose tickets are on its timeline.
    An imported count (a usage file's ticket columns, latest within the look-back)
    is the ticket system's own figure and wins over the events; each critical
    ticket counts 3, as a critical ticket event does (it is already one of the tickets).
    """
    empty = _Rows.empty()
    ms = inputs.measures
    counted, _ = ms.get("tickets", empty).latest(qpos, qday, LOOKBACK["ticket_counts"])
    critical, _ = ms.get("critical_tickets", empty).latest(qpos, qday, LOOKBACK["ticket_counts"])
    extra = TICKET_WEIGHTS["critical"] - 1.0
    imported = np.where(
        np.isnan(counted),
        critical * TICKET_WEIGHTS["critical"],
        counted + extra * np.nan_to_num(critical),
    )
    weighted, _n = inputs.tickets.window(qpos, qday, LOOKBACK["tickets"])
    _sum, tracked = inputs.tickets.window(qpos, qday, LOOKBACK["ticket_source"])
    from_events = np.where(tracked > 0, weighted, np.nan)
    return np.where(np.isnan(imported), from_events, imported)


def _licensed(inputs: _Inputs, qpos: np.ndarray, qday: np.ndarray) -> np.ndarray:
    licensed, _ = inputs.measures.get("licensed_users", _Rows.empty()).latest(
        qpos, qday, LOOKBACK["licensed_users"]
    )
    licensed = np.where(np.isnan(licensed), inputs.licensed_now[qpos], licensed)
    return np.where(licensed > 0, licensed, np.nan)
