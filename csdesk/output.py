"""Printing command results as a text table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

FORMATS = ("table", "csv", "json")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout  # looked up per call: tests and pipes replace sys.stdout
    json.dump(data, out, ensure_ascii=False, indent=2, default=_json_default)
    out.write("\n")


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO | None = None) -> None:
    """CSV for other programs; text a spreadsheet would run as a formula is neutralised."""
    from csdesk.exporting import neutralize

    out = out or sys.stdout  # looked up per call: tests and pipes replace sys.stdout
    writer = csv.writer(out, lineterminator="\n")
    # With "\n" line ends the csv module leaves a carriage return in a field unquoted,
    # and readers would split the row there: such a row is written fully quoted.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow([neutralize(h) for h in headers])
    for row in rows:
        cells = [neutralize(v) for v in row]
        if any(isinstance(v, str) and "\r" in v for v in cells):
            quoted.writerow(cells)
        else:
            writer.writerow(cells)


def write_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    out: TextIO | None = None,
    *,
    right_aligned: Collection[int] = (),
) -> None:
    """A plain text table; columns listed in ``right_aligned`` (numbers, money) line up on the right."""
    out = out or sys.stdout  # looked up per call: tests and pipes replace sys.stdout
    texts = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in texts]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        cells = (
            v.rjust(w) if i in right_aligned else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        )
        return "  ".join(cells).rstrip() + "\n"

    out.write(line(list(headers)))
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in texts:
        out.write(line(row))
