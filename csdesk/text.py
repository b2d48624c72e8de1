"""Text keys for matching and searching: accents, case, punctuation, legal suffixes."""

from __future__ import annotations

import re
import unicodedata

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


def fold(text: str) -> str:
    """Lower case without accents: 'Açougue São João' -> 'acougue sao joao'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def name_key(name: str) -> str:
    """Company name for matching: 'Padaria Pitanga S/A' == 'padaria pitanga'."""
    words = _NON_WORD.sub(" ", fold(name)).strip()
    return _SUFFIX_RE.sub("", words).strip() or words


def digits(text: str | None) -> str:
    return "".join(c for c in text or "" if c.isdigit())


def valid_cnpj(value: str) -> bool:
    """Check a CNPJ's two verification digits."""
    number = digits(value)
    if len(number) != 14 or number == number[0] * 14:
        return False

    def check(base: str) -> str:
        weights = list(range(len(base) - 7, 1, -1)) + list(range(9, 1, -1))
        total = sum(int(d) * w for d, w in zip(base, weights[-len(base) :], strict=True))
        rest = total % 11
        return "0" if rest < 2 else str(11 - rest)

    first = check(number[:12])
    second = check(number[:12] + first)
    return number[12:] == first + second


def format_cnpj(value: str | None) -> str:
    number = digits(value)
    if len(number) != 14:
        return value or ""
    return f"{number[:2]}.{number[2:5]}.{number[5:8]}/{number[8:12]}-{number[12:]}"


def normalize_domain(value: str | None) -> str | None:
    """'https://www.Acme.com.br/contato' -> 'acme.com.br'."""
    if not value:
        return None
    text = value.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0].split("@")[-1]
    text = text.removeprefix("www.")
    return text or None
