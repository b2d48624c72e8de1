"""What a file is: its source CRM, the kind of records, and which column holds which field.

Headers are matched through alias tables: the common English and pt-BR
labels of CSMs' own sheets here, plus each source CRM's own labels from its
profile (:mod:`csdesk.importing.sources`), which also tells how to recognise
its files. ``Entity - Field`` labels (Pipedrive's) are matched whole and
without the entity. A vocabulary column (segment, stage, status) is only mapped
automatically when most of its values are words of that vocabulary: HubSpot's
"Lifecycle stage" holds "Customer", not a customer-success stage.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from csdesk.i18n import tr
from csdesk.importing import values as V
from csdesk.importing.aliases import ALIASES
from csdesk.importing.reading import Table
from csdesk.importing.sources import FALLBACK, MARK_WEIGHT, PROFILES

KINDS = ("accounts", "contacts", "deals", "activities", "surveys", "usage", "mrr")
SOURCES = tuple(PROFILES)
KIND_LABELS = {
    "accounts": "Accounts",
    "contacts": "Contacts",
    "deals": "Deals",
    "activities": "Activities",
    "surveys": "Survey answers",
    "usage": "Usage",
    "mrr": "MRR history",
}
SOURCE_LABELS = {key: profile.label for key, profile in PROFILES.items()}


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str  # English, through tr() when shown
    type: str  # text, money, int, number, date, datetime, bool, ref, email, score, vocab names
    required: bool = False


def _f(key: str, label: str, type_: str = "text", required: bool = False) -> FieldSpec:
    return FieldSpec(key, label, type_, required)


FIELDS: dict[str, list[FieldSpec]] = {
    "accounts": [
        _f("name", "Account name", required=True),
        _f("external_id", "External id"),
        _f("cnpj", "CNPJ", "cnpj"),
        _f("domain", "Website / domain", "domain"),
        _f("segment", "Segment", "segment"),
        _f("tier", "Tier"),
        _f("industry", "Industry"),
        _f("plan", "Plan"),
        _f("mrr", "MRR", "money"),
        _f("arr", "ARR (divided by 12)", "money"),
        _f("currency", "Currency", "currency"),
        _f("contract_start", "Contract start", "date"),
        _f("renewal_date", "Renewal date", "date"),
        _f("stage", "Stage", "stage"),
        _f("status", "Status", "account_status"),
        _f("churn_date", "Churn date", "date"),
        _f("churn_reason", "Churn reason", "churn_reason"),
        _f("owner", "Owner (CSM)"),
        _f("licensed_users", "Licensed users", "int"),
        _f("active_users", "Active users", "int"),
    ],
    "contacts": [
        _f("account", "Account", "ref", True),
        _f("name", "Contact name"),
        _f("first_name", "First name"),
        _f("last_name", "Last name"),
        _f("email", "E-mail", "email"),
        _f("phone", "Phone"),
        _f("job_title", "Job title"),
        _f("role", "Role", "role"),
        _f("is_primary", "Primary contact", "bool"),
        _f("external_id", "External id"),
    ],
    "deals": [
        _f("account", "Account", "ref", True),
        _f("title", "Deal title"),
        _f("external_id", "External id"),
        _f("value", "Recurring value (monthly)", "money"),
        _f("one_off_value", "One-off value", "money"),
        _f("status", "Deal status", "deal_status", True),
        _f("won_date", "Won / close date", "date"),
        _f("owner", "Owner"),
        _f("stage", "Pipeline stage"),
        _f("lost_reason", "Lost reason"),
        _f("currency", "Currency", "currency"),
    ],
    "activities": [
        _f("account", "Account", "ref", True),
        _f("subject", "Subject"),
        _f("type", "Activity type", "activity_type"),
        _f("date", "Date", "datetime", True),
        _f("note", "Note"),
        _f("done", "Done", "bool"),
        _f("owner", "Owner"),
        _f("external_id", "External id"),
    ],
    "surveys": [
        _f("account", "Account", "ref", True),
        _f("answered_at", "Answered at", "datetime", True),
        _f("respondent", "Respondent e-mail"),
        _f("nps", "NPS score (0-10)", "score"),
        _f("csat", "CSAT score (1-5, 1-10 or 0-10)", "score"),
        _f("ces", "CES score (1-7)", "score"),
        _f("comment", "Comment"),
    ],
    "usage": [
        _f("account", "Account", "ref", True),
        _f("date", "Date", "date", True),
        _f("active_users", "Active users", "number"),
        _f("licensed_users", "Licensed users", "number"),
        _f("logins", "Logins", "number"),
        _f("tickets", "Tickets", "number"),
        _f("critical_tickets", "Critical tickets", "number"),
        _f("key_feature_use", "Key feature use", "number"),
        _f("payment_delay_days", "Payment delay (days)", "number"),
    ],
    "mrr": [
        _f("account", "Account", "ref", True),
        _f("date", "Date", "date", True),
        _f("mrr", "MRR", "money"),
        _f("arr", "ARR (divided by 12)", "money"),
    ],
}
# Usage columns are stored as Measure rows with these metric keys (csdesk.vocab.MEASURES).
USAGE_METRICS = (
    "active_users",
    "licensed_users",
    "logins",
    "tickets",
    "critical_tickets",
    "key_feature_use",
    "payment_delay_days",
)


def spec(kind: str, key: str) -> FieldSpec:
    return next(s for s in FIELDS[kind] if s.key == key)


# Survey questions are headers like "Em uma escala de 0 a 10, o quanto você recomendaria...".
_SURVEY_HINTS = {
    "nps": ("recomend", "recommend", "0 a 10", "0 to 10", "nps"),
    "csat": ("satisf", "csat"),
    "ces": ("esforco", "effort", "facil foi", "easy was", "ces"),
}


@dataclass
class Detection:
    kind: str
    kind_confidence: float
    source: str
    source_confidence: float
    mapping: dict[int, str]  # column index -> field key
    kind_scores: dict[str, float] = field(default_factory=dict)


def header_keys(header: str) -> list[str]:
    """The header's matching keys: whole, then without a Pipedrive ``Entity -`` prefix."""
    whole = V.word_key(header)
    keys = [whole]
    if " - " in header:
        parts = [V.word_key(p) for p in header.split(" - ")]
        keys.append(" ".join(parts[1:]))
        if len(parts) > 2:  # "Pessoa - Email - Work"
            keys.append(parts[1])
    return keys


def header_signature(headers: list[str]) -> str:
    """A stable hash of the header names, to offer a saved preset for the same layout."""
    joined = "\x1f".join(V.word_key(h) for h in headers)
    return hashlib.sha256(joined.encode()).hexdigest()


def _vocab_table(type_: str) -> dict[str, str] | None:
    return {
        "segment": V.segment_words,
        "stage": V.stage_words,
        "account_status": lambda: V.ACCOUNT_STATUS_WORDS,
        "deal_status": lambda: V.DEAL_STATUS_WORDS,
        "churn_reason": V.churn_reason_words,
        "activity_type": lambda: V.ACTIVITY_TYPE_WORDS,
    }.get(type_, lambda: None)()


def _values_fit(table: Table, index: int, type_: str) -> bool:
    """Whether most filled values of a column are words of the field's vocabulary."""
    words = _vocab_table(type_)
    if words is None:
        return True
    distinct = {row[index].strip() for row in table.rows[:2000] if row[index].strip()}
    if not distinct:
        return True
    known = sum(1 for v in distinct if V.word_key(v) in words)
    return known * 2 >= len(distinct)


def auto_mapping(table: Table, kind: str) -> dict[int, str]:
    """Column index -> field for ``kind``: each field from the first column that names it."""
    aliases = ALIASES[kind]
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    # Whole-header matches first, so "Negócio - Organização" wins over a stripped "Organização".
    for pass_ in (0, 1, 2):
        for index, header in enumerate(table.headers):
            if index in mapping:
                continue
            keys = header_keys(header)
            if pass_ >= len(keys):
                continue
            key = aliases.get(keys[pass_])
            if key and key not in taken and _values_fit(table, index, spec(kind, key).type):
                mapping[index] = key
                taken.add(key)
    if kind == "surveys":
        for index, header in enumerate(table.headers):
            if index in mapping:
                continue
            folded = V.word_key(header)
            for key, hints in _SURVEY_HINTS.items():
                if key not in taken and any(h in folded for h in hints) and len(folded) > 12:
                    mapping[index] = key
                    taken.add(key)
                    break
    return mapping


def _kind_score(kind: str, mapping: dict[int, str], width: int) -> float:
    fields = set(mapping.values())
    required = [s.key for s in FIELDS[kind] if s.required]
    if not all(r in fields for r in required):
        return 0.25 * len(fields) / max(width, 1)
    score = 0.55 + 0.45 * len(mapping) / max(width, 1)
    if kind == "surveys" and not fields & {"nps", "csat", "ces"}:
        return 0.2
    if kind == "usage" and not fields & set(USAGE_METRICS):
        return 0.2
    if kind == "mrr" and not fields & {"mrr", "arr"}:
        return 0.2
    if kind == "deals" and not fields & {"value", "title"}:
        score -= 0.2
    if kind == "contacts" and not fields & {"name", "first_name", "email"}:
        return 0.2
    return min(score, 1.0)


def detect_source(table: Table) -> tuple[str, float]:
    """The source whose profile's signs the file shows most, and how sure that is."""
    keys = {k for h in table.headers for k in header_keys(h)[:1]}
    entities = [V.word_key(h.split(" - ")[0]) for h in table.headers if " - " in h]
    first_row = table.rows[0] if table.rows else []
    footer = table.footer.lower()
    scores = {}
    for name, profile in PROFILES.items():
        if name == FALLBACK:
            continue
        score = sum(w for k, w in profile.signs.items() if k in keys)
        score += profile.entity_weight * sum(1 for entity in entities if entity in profile.entities)
        if any(mark in value for mark in profile.first_row_marks for value in first_row):
            score += MARK_WEIGHT
        if any(mark in footer for mark in profile.footer_marks):
            score += MARK_WEIGHT
        scores[name] = score
    best = max(scores, key=lambda s: scores[s])
    if scores[best] < 2.5:
        return FALLBACK, round(min(0.95, 1.0 - scores[best] / 5), 2)
    ranked = sorted(scores.values(), reverse=True)
    margin = ranked[0] - ranked[1]
    confidence = min(0.99, 0.5 + 0.08 * ranked[0] + 0.05 * margin)
    return best, round(confidence, 2)


def detect(table: Table, kind: str = "auto", source: str = "auto") -> Detection:
    """Guess the kind and the source (unless given) and map the columns."""
    width = len(table.headers)
    mappings = {k: auto_mapping(table, k) for k in KINDS}
    scores = {k: round(_kind_score(k, mappings[k], width), 2) for k in KINDS}
    if kind == "auto":
        chosen = max(KINDS, key=lambda k: scores[k])
        ranked = sorted(scores.values(), reverse=True)
        confidence = scores[chosen] if ranked[0] - ranked[1] >= 0.1 else scores[chosen] * 0.8
    else:
        if kind not in KINDS:
            raise ValueError(kind)
        chosen, confidence = kind, 1.0
    if source == "auto":
        found, source_confidence = detect_source(table)
    else:
        if source not in SOURCES:
            raise ValueError(source)
        found, source_confidence = source, 1.0
    return Detection(
        kind=chosen,
        kind_confidence=round(confidence, 2),
        source=found,
        source_confidence=source_confidence,
        mapping=mappings[chosen],
        kind_scores=scores,
    )


def describe_missing(kind: str, mapping: dict[int, str]) -> list[str]:
    """Labels of the required fields no column is mapped to."""
    fields = set(mapping.values())
    missing = [tr(s.label) for s in FIELDS[kind] if s.required and s.key not in fields]
    if kind == "contacts" and not fields & {"name", "first_name", "email"}:
        missing.append(tr("Contact name"))
    if kind == "surveys" and not fields & {"nps", "csat", "ces"}:
        missing.append(tr("NPS score (0-10)"))
    if kind == "mrr" and not fields & {"mrr", "arr"}:
        missing.append(tr("MRR"))
    return missing
