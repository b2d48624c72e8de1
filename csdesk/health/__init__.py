"""Health scores (domain §4): configurable models, weekly history, explanations, alerts.

A model has 3 to 7 components. Each turns one measure of the account (usage,
adoption, NPS, tickets, days since the last touch...) into 0-10 points through
bands ("from 5 up: 10 points") or a linear scale, and carries a weight; the
weights sum to 100 %. Score = Σ weight × points × 10, 0-100.

A missing input never counts as zero: the score is computed on the inputs
present with their weights scaled back up to 100 %, and the snapshot is marked
incomplete with the missing components named. No data, no score: below the
model's minimum share of the weight present (50 % by default) there is no score
at all (*Sem dados*), no band, no history point and nothing to alert on.

Scores are stored as dated ``HealthSnapshot`` rows: one per week (Mondays) for
two years plus today and the days the trends compare with (7 and 30 days and the
alert's window before today); their component breakdowns go in one compressed
``HealthBreakdown`` row per account (``breakdowns``). The recompute is
vectorised: every input is looked up for all (account, week) cells at once
with ``searchsorted`` over rows sorted by (account, day).


Modules: ``model`` (models, weights, settings), ``inputs`` (the rows a score reads),
``scoring`` (score grids), ``storage`` (recompute, stored snapshots), ``breakdowns`` (their
packed form), ``alerts``,
``queries`` (history, breakdowns, trends, portfolio series).
"""

from dataclasses import replace  # noqa: F401  (callers build models with health.replace)

from csdesk.health.alerts import (  # noqa: F401
    _alert_candidates,
    _customers,
    _date_of,
    _Drop,
    _grid_snapshot,
    _last_valid_upto,
    _latest,
    _raise_alerts,
    _score_days_before,
)
from csdesk.health.breakdowns import (  # noqa: F401
    Breakdowns,
    pack_breakdowns,
    unpack_breakdowns,
)
from csdesk.health.inputs import (  # noqa: F401
    _STRIDE,
    SCOPED_LOAD_MAX,
    _day_number,
    _day_numbers,
    _Inputs,
    _licensed,
    _positions,
    _Rows,
    _ticket_values,
    load_inputs,
    measure_values,
)
from csdesk.health.model import (  # noqa: F401
    _MEASURE_LOOKBACK,
    _MEASURE_METRICS,
    ALERTS_KEY,
    CHUNK,
    DEFAULT_ALERTS,
    DEFAULT_MIN_WEIGHT,
    DEFAULT_THRESHOLDS,
    HISTORY_WEEKS,
    LOOKBACK,
    MAX_COMPONENTS,
    MEASURE_LABELS,
    MEASURE_SHORT_LABELS,
    MEASURES,
    MIN_COMPONENTS,
    TICKET_WEIGHTS,
    Component,
    Model,
    Scale,
    _ensure_default,
    _model_from_row,
    _thresholds_json,
    band_label,
    deck_logged_as_meeting,
    default_model,
    delete_model,
    get_alert_settings,
    list_models,
    measure_label,
    measure_short_label,
    model_for,
    no_data_label,
    qbr_meeting,
    save_model,
    set_alert_settings,
    validate_model,
)
from csdesk.health.queries import (  # noqa: F401
    AccountHealth,
    BandSplit,
    Change,
    ComponentScore,
    Coverage,
    Explanation,
    Move,
    Snapshot,
    _moves,
    _snapshot,
    average_series,
    band_split,
    change_text,
    changes,
    coverage,
    explain,
    history,
    score_now,
    score_series,
    signed,
    trend,
    with_model_component,
)
from csdesk.health.scoring import (  # noqa: F401
    BAND_KEYS,
    COMPARE_SLACK_DAYS,
    RED_CROSSING_DAYS,
    TREND_DAYS,
    ScoreGrid,
    _combine,
    history_days,
    score_grid,
)
from csdesk.health.storage import (  # noqa: F401
    _DATED_INPUTS,
    _DATED_WITH_ROWS,
    _NOT_INPUTS,
    GivenSnapshot,
    RecomputeResult,
    _breakdown_rows,
    _cells,
    _layout_ids,
    _write_grid,
    recompute,
    rescore_since,
    rescore_start,
    store_history,
    stored_breakdowns,
)
