"""Benchmark reporting: every figure is printed beside a baseline measured in the same run.

A benchmark calls ``bench_report.add(...)``; ``make bench`` prints the table at the end.
Timings are never asserted: a benchmark fails only if the work itself fails.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline_name: str
    baseline: float | None
    goal: str

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


class BenchReport:
    def __init__(self) -> None:
        self.figures: list[Figure] = []

    def add(
        self,
        name: str,
        value: float,
        unit: str = "ms",
        *,
        baseline_name: str = "",
        baseline: float | None = None,
        goal: str = "",
    ) -> None:
        self.figures.append(Figure(name, value, unit, baseline_name, baseline, goal))

    def table(self) -> str:
        header = f"{'figure':<52} {'value':>12} {'baseline':>12} {'ratio':>7}  baseline is / goal"
        lines = [header, "-" * len(header)]
        for f in self.figures:
            ratio = f"{f.ratio:.2f}x" if f.ratio is not None else ""
            base = f"{f.baseline:.1f} {f.unit}" if f.baseline is not None else ""
            lines.append(
                f"{f.name:<52} {f.value:>9.1f} {f.unit:<2} {base:>12} {ratio:>7}  "
                f"{f.baseline_name}{' / ' + f.goal if f.goal else ''}"
            )
        return "\n".join(lines)


_REPORT = BenchReport()


@pytest.fixture(scope="session")
def bench_report() -> BenchReport:
    return _REPORT


def best_of(fn, repeat: int = 5) -> float:
    """Best wall time of ``fn()`` in milliseconds over ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def pytest_terminal_summary(terminalreporter):
    if _REPORT.figures:
        terminalreporter.write_sep("=", "CSDesk benchmarks")
        terminalreporter.write_line(_REPORT.table())
