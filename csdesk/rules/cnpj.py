"""The CNPJ: 14 characters, the first 12 digits or (since July 2026) upper-case letters, then two check digits.

``12.345.678/0001-95`` and ``12.ABC.345/01DE-35`` are both valid. The check digits
follow the Receita Federal's rule: each character counts as its ASCII code minus
48 (``0``-``9`` as 0-9, ``A`` as 17 ... ``Z`` as 42), weighted 2-9 from the right,
modulo 11. One implementation over a column (``valid_many``, NumPy); a single
value goes through it too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

LENGTH = 14
_W1 = np.array((5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), dtype=np.int64)
_W2 = np.array((6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), dtype=np.int64)
_SHAPE = re.compile(r"[0-9A-Z]{12}[0-9]{2}")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_NOT_DIGIT = re.compile(r"\D+")


def normalize_cnpj(value: str | None) -> str:
    """A written CNPJ as stored: its 14 characters, upper case, without punctuation.

    ``12.abc.345/01de-35`` -> ``12ABC34501DE35``. Text around a numeric CNPJ
    ("CNPJ 12.345.678/0001-95") is dropped. Not checked: see ``valid_cnpj``.
    """
    if not value:
        return ""
    letters = _NOT_ALNUM.sub("", value).upper()
    if len(letters) == LENGTH or letters.isdigit():
        return letters
    only_digits = _NOT_DIGIT.sub("", value)
    return only_digits if len(only_digits) == LENGTH else letters


_NOT_ALNUM_OR_NUL = bytes(c for c in range(128) if not (chr(c).isalnum() or c == 0))


def normalize_many(values: Sequence[str]) -> list[str]:
    """``normalize_cnpj`` of each text, the usual ones (ASCII) in one pass over the column."""
    joined = "\x00".join(values)
    if joined.count("\x00") != len(values) - 1 or not joined.isascii():
        return [normalize_cnpj(value) for value in values]
    kept = joined.encode("ascii").translate(None, _NOT_ALNUM_OR_NUL).decode("ascii").upper().split("\x00")
    return [
        number if len(number) == LENGTH or number.isdigit() else normalize_cnpj(value)
        for number, value in zip(kept, values, strict=True)
    ]


def valid_many(numbers: Sequence[str]) -> np.ndarray:
    """For each normalised CNPJ (see ``normalize_cnpj``), whether it is valid: a boolean array."""
    out = np.zeros(len(numbers), dtype=bool)
    shaped = [i for i, number in enumerate(numbers) if len(number) == LENGTH and _SHAPE.fullmatch(number)]
    if not shaped:
        return out
    codes = np.frombuffer("".join(numbers[i] for i in shaped).encode("ascii"), dtype=np.uint8)
    values = codes.reshape(-1, LENGTH).astype(np.int64) - 48
    rest = values[:, :12] @ _W1 % 11
    first = np.where(rest < 2, 0, 11 - rest)
    rest = values[:, :13] @ _W2 % 11
    second = np.where(rest < 2, 0, 11 - rest)
    same = (values == values[:, :1]).all(axis=1)  # 00000000000000, 11111111111111...
    out[shaped] = (values[:, 12] == first) & (values[:, 13] == second) & ~same
    return out


def valid_cnpj(value: str | None) -> bool:
    """Whether ``value`` (written any way: punctuation, lower case) is a valid CNPJ."""
    return bool(valid_many([normalize_cnpj(value)])[0])


def format_cnpj(value: str | None) -> str:
    """``12ABC34501DE35`` -> ``12.ABC.345/01DE-35``; anything not 14 characters as it is."""
    number = normalize_cnpj(value)
    if len(number) != LENGTH:
        return value or ""
    return f"{number[:2]}.{number[2:5]}.{number[5:8]}/{number[8:12]}-{number[12:]}"
