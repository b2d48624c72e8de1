"""Stored breakdowns: one account's component points and input values for all its days, packed."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

# One row per account (``HealthBreakdown``): its days, layout ids, points (uint16 hundredths,
# POINTS_MISSING = missing) and input values (float32, NaN = missing), as arrays, compressed.
# The days are stored as differences (mostly 7) and the arrays component by component, so
# runs of equal values sit together and compress well.
_HEADER = struct.Struct("<II")  # days, components


@dataclass(frozen=True)
class Breakdowns:
    """One account's stored breakdowns: ``points``/``values`` are components × days."""

    days: np.ndarray  # int64 day numbers, ascending
    layouts: np.ndarray  # int64 layout ids
    points: np.ndarray  # uint16
    values: np.ndarray  # float32

    def cell(self, day: int) -> tuple[int, bytes, bytes] | None:
        """(layout id, packed points, packed values) of one day, as a snapshot row would hold them."""
        j = int(np.searchsorted(self.days, day))
        if j == len(self.days) or self.days[j] != day:
            return None
        return int(self.layouts[j]), self.points[:, j].tobytes(), self.values[:, j].tobytes()


def pack_breakdowns(b: Breakdowns) -> bytes:
    n, k = len(b.days), b.points.shape[0]
    days = np.diff(b.days, prepend=0).astype("<i4")
    body = b"".join(
        (
            _HEADER.pack(n, k),
            days.tobytes(),
            b.layouts.astype("<i4").tobytes(),
            np.ascontiguousarray(b.points, dtype="<u2").tobytes(),
            np.ascontiguousarray(b.values, dtype="<f4").tobytes(),
        )
    )
    # Level 6: an eighth smaller than level 3 for a third more of its time (~1 s at 50,000 accounts).
    return zlib.compress(body, 6)


def unpack_breakdowns(data: bytes) -> Breakdowns:
    body = zlib.decompress(data)
    n, k = _HEADER.unpack_from(body)
    at = _HEADER.size
    days = np.cumsum(np.frombuffer(body, "<i4", n, at).astype(np.int64))
    at += 4 * n
    layouts = np.frombuffer(body, "<i4", n, at).astype(np.int64)
    at += 4 * n
    points = np.frombuffer(body, "<u2", n * k, at).reshape(k, n)
    at += 2 * n * k
    values = np.frombuffer(body, "<f4", n * k, at).reshape(k, n)
    return Breakdowns(days, layouts, points, values)
