"""The app's clock: what day it is and what time it is, asked in one place.

Every "today" and "now" of the core and the GUI comes from here, so the day can
be pinned: ``CSDESK_TODAY=2026-11-25`` (or ``2026-11-25T10:00``) runs the app,
its commands and their subprocesses as if it were that day, with time going on
from there. The test suite pins it, so no test depends on the date, the time
zone or the machine's uptime; a user's report can be replayed on the day it was
made.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta

ENV = "CSDESK_TODAY"

# (value of the variable, the instant it names, monotonic time when it was read)
_pinned: tuple[str, datetime, float] | None = None


def _pin(value: str) -> datetime:
    global _pinned
    if _pinned is None or _pinned[0] != value:
        try:
            start = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{ENV}={value!r} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
        if len(value) <= 10:  # a bare date: mid-morning, far from either midnight
            start = start.replace(hour=10)
        _pinned = (value, start.replace(tzinfo=None), time.monotonic())
    return _pinned[1] + timedelta(seconds=time.monotonic() - _pinned[2])


def now() -> datetime:
    """The local time, to the second (timeline events are stored that way)."""
    value = os.environ.get(ENV)
    moment = _pin(value) if value else datetime.now()
    return moment.replace(microsecond=0)


def today() -> date:
    return now().date()
