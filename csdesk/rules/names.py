"""Text keys for matching and searching: accents, case, punctuation, legal suffixes.

Each rule has one definition; the column forms (``fold_many``, ``name_keys``) and the
per-character table are derived from it, so they cannot disagree with it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

# Brazilian and common legal-form suffixes that do not tell two companies apart.
LEGAL_SUFFIXES = (
    "ltda",
    "ltda me",
    "ltda epp",
    "sa",
    "s a",
    "me",
    "epp",
    "eireli",
    "mei",
    "ss",
    "inc",
    "llc",
    "ltd",
    "corp",
    "co",
)
_SUFFIX_RE = re.compile(
    r"(?:\s+(?:" + "|".join(re.escape(s) for s in sorted(LEGAL_SUFFIXES, key=len, reverse=True)) + r"))+$"
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _fold_definition(text: str) -> str:
    """The rule: lower case without accents (compatibility decomposition, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# The rule per character for Latin letters: str.translate does a 100k-name sheet 5x faster.
_FOLD_TABLE = {c: _fold_definition(chr(c)) for c in range(0x80, 0x250)}
_BEYOND_TABLE = re.compile(r"[^\x00-\u024f]")


def fold(text: str) -> str:
    """Lower case without accents: 'Açougue São João' -> 'acougue sao joao'."""
    if _BEYOND_TABLE.search(text):
        return _fold_definition(text)
    return text.translate(_FOLD_TABLE).lower()


def fold_many(values: Sequence[Any]) -> list[str]:
    """``fold`` of each value ('' for None or NaN); repeated values (owners, segments) folded once."""
    folded = {value: fold_value(value) for value in set(values)}
    return [folded[value] for value in values]


def fold_value(value: object) -> str:
    """``fold`` of any cell: '' for None or NaN, else of its text."""
    if value is None or value != value:  # None or NaN
        return ""
    return fold(str(value))


def name_key(name: str) -> str:
    """Company name for matching: 'Padaria Pitanga S/A' == 'padaria pitanga'."""
    words = _NON_WORD.sub(" ", fold(name)).strip()
    return _SUFFIX_RE.sub("", words).strip() or words


def word_key(text: str) -> str:
    """A header or vocabulary word for matching: folded, punctuation as single spaces."""
    return _NON_WORD.sub(" ", fold(text)).strip()


# name_key over a whole column at once: the names joined by NUL go through folding, the
# non-word pass and the suffix pass as one string (C loops), not five calls per name.
def _suffix_alternation(suffixes) -> str:
    # Grouped by first letter: the same language as LEGAL_SUFFIXES' plain alternation (the
    # repetition and the end anchor make backtracking try every split), fewer tries per space.
    groups: dict[str, list[str]] = {}
    for suffix in sorted(suffixes, key=len, reverse=True):
        groups.setdefault(suffix[0], []).append(suffix[1:])
    return "|".join(
        re.escape(first) + "(?:" + "|".join(re.escape(rest) for rest in tails) + ")"
        for first, tails in groups.items()
    )


_COLUMN_SUFFIX_RE = re.compile(
    (r"(?: (?:" + _suffix_alternation(LEGAL_SUFFIXES) + r"))+(?=\x00|\Z)").encode()
)
_COLUMN_SPACES = re.compile(rb"  +")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Bytes that are not a-z, 0-9 or the NUL separator become spaces (name_key's non-word pass).
_WORD_BYTES = bytes(c if (97 <= c <= 122 or 48 <= c <= 57 or c == 0) else 32 for c in range(256))


def name_keys(names: list[str]) -> list[str]:
    """``[name_key(n) for n in names]``, several times faster for a big column."""
    if not names:
        return []
    joined = "\x00".join(names)
    if joined.count("\x00") != len(names) - 1 or _BEYOND_TABLE.search(joined):
        return [name_key(name) for name in names]
    for char in set(_NON_ASCII.findall(joined)):
        folded = _FOLD_TABLE[ord(char)]
        if not folded.isascii():  # left for the non-word pass, which needs the general path
            return [name_key(name) for name in names]
        joined = joined.replace(char, folded)
    data = _COLUMN_SPACES.sub(b" ", joined.lower().encode("ascii").translate(_WORD_BYTES))
    data = data.replace(b" \x00", b"\x00").replace(b"\x00 ", b"\x00").strip(b" ")
    # Names are words now (no edge spaces), so a name's first word is never taken for a suffix
    # and name_key's "or words" (a name made only of a suffix) cannot apply.
    return _COLUMN_SUFFIX_RE.sub(b"", data).decode("ascii").split("\x00")


def digits(text: str | None) -> str:
    return "".join(c for c in text or "" if c.isdigit())


def normalize_domain(value: str | None) -> str | None:
    """'https://www.Acme.com.br/contato' -> 'acme.com.br'."""
    if not value:
        return None
    text = value.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0].split("@")[-1]
    text = text.removeprefix("www.")
    return text or None
