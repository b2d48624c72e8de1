"""The app's clock: one place for "today", pinnable, and nothing reads the real one behind its back."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from csdesk import clock

ROOT = Path(__file__).resolve().parents[2]


def test_a_pinned_day_is_today_and_time_goes_on_from_it(monkeypatch):
    monkeypatch.setenv(clock.ENV, "2024-02-29")
    first = clock.now()
    assert clock.today() == date(2024, 2, 29)
    assert first >= datetime(2024, 2, 29, 10, 0) and first.microsecond == 0
    monkeypatch.setenv(clock.ENV, "2027-12-31T23:59:58")
    assert clock.now() >= datetime(2027, 12, 31, 23, 59, 58)


def test_a_bad_pinned_day_says_what_to_write(monkeypatch):
    monkeypatch.setenv(clock.ENV, "25/11/2026")
    try:
        clock.today()
    except ValueError as error:
        assert "YYYY-MM-DD" in str(error)
    else:
        raise AssertionError("a day written dd/mm/aaaa was taken")


def test_without_a_pinned_day_the_real_clock_is_read(monkeypatch):
    monkeypatch.delenv(clock.ENV)
    before = datetime.now().replace(microsecond=0)
    assert before <= clock.now() <= datetime.now()


def test_the_commands_a_test_starts_see_the_same_day():
    code = "from csdesk import clock; print(clock.today().isoformat())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.strip() == clock.today().isoformat() == os.environ[clock.ENV][:10]


def test_the_core_and_the_gui_ask_the_clock_for_the_day():
    """date.today() and datetime.now() would make results depend on when and where they run."""
    offenders = []
    for package in ("csdesk", "ui"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "clock.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and (node.value.id, node.attr)
                    in {("date", "today"), ("datetime", "now"), ("datetime", "today")}
                ) or (isinstance(node, ast.Attribute) and node.attr in {"currentDate", "currentDateTime"}):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, "use csdesk.clock.today() / clock.now(): " + ", ".join(offenders)
