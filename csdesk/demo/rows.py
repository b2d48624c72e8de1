"""What the demo generator builds: rows as plain dicts (measures as tuples), a chunk of accounts at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from db.models import MEASURE_CODES

SOURCE = "demo"
MEASURE_COLUMNS = ("account_id", "metric", "as_of", "value")
_CODE = {word: code for code, word in enumerate(MEASURE_CODES)}
_EPOCH = date(1970, 1, 1)
HISTORY_DAYS = 730  # timeline events and measures cover the last two years


@dataclass
class _Rows:
    accounts: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    revenue: list[dict[str, Any]] = field(default_factory=list)
    # Measures are the bulk of the rows: plain tuples in MEASURE_COLUMNS order, the metric as
    # its stored code and the day as a day number (what db.models stores).
    measures: list[tuple[int, int, int, float]] = field(default_factory=list)
    surveys: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
