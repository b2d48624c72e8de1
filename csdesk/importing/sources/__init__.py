"""Where a file comes from: one profile per source CRM, each in its own module of this package.

A profile (:class:`SourceProfile`) says how to recognise the source's exports
(header words and their weights, marks in the first row or the footer), the
header labels only that CRM writes (by kind and field, on top of the common
aliases in :mod:`csdesk.importing.detect`), and its quirks (dates month first,
money with a decimal comma). Detection, preparing and reading take all of that
from here; adding a CRM is adding a module (see docs/architecture.md).

The modules are found at import time: every module of this package with a
``PROFILE`` is a source.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field

# A mark in the first row's values or in the stripped footer weighs as much as this many header signs.
MARK_WEIGHT = 5.0


@dataclass(frozen=True)
class SourceProfile:
    key: str  # stored on accounts and import runs: never change it once released
    label: str  # English, through tr() when shown
    menu_order: int  # where it is listed (the spreadsheet last)
    # Folded header names (csdesk.importing.values.word_key) that point to this source, with their weight.
    signs: Mapping[str, float] = field(default_factory=dict)
    # Headers like "Entity - Field" whose entity (folded) is one of these: each weighs entity_weight.
    entities: frozenset[str] = frozenset()
    entity_weight: float = 0.0
    # Text in the first data row's values (Zoho's record ids start "zcrm_").
    first_row_marks: tuple[str, ...] = ()
    # Text of a footer line the export adds (stripped by reading, then a hint of the source).
    footer_marks: tuple[str, ...] = ()
    # Kind -> field -> header labels (folded) only this CRM writes; the common ones are in detect.
    aliases: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    # English exports write dates month first (unless the file is ';'-separated, a pt-BR Excel's).
    month_first: bool = False
    # Money with a decimal comma (1.234,56) whatever the delimiter.
    decimal_comma: bool = False


def _discover() -> dict[str, SourceProfile]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        profile = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PROFILE", None)
        if isinstance(profile, SourceProfile):
            found.append(profile)
    found.sort(key=lambda p: (p.menu_order, p.key))
    return {p.key: p for p in found}


PROFILES: dict[str, SourceProfile] = _discover()
FALLBACK = "spreadsheet"  # a file no profile recognises


def profile(key: str) -> SourceProfile:
    """The profile of source ``key``; the spreadsheet's for an unknown one."""
    return PROFILES.get(key) or PROFILES[FALLBACK]


def footer_marks() -> tuple[str, ...]:
    return tuple(mark for p in PROFILES.values() for mark in p.footer_marks)
