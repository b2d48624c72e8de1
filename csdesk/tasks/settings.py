"""The data settings tasks follow (stored in the book): contact cadences and the reminder rules."""

from __future__ import annotations

from typing import Any

from csdesk import vocab
from csdesk.accounts import FieldError, ValidationError
from csdesk.i18n import tr
from db import Database
from db.models import Setting


def get_setting(db: Database, key: str, default: Any = None) -> Any:
    with db.session() as session:
        row = session.get(Setting, key)
        return default if row is None else row.value


def set_setting(db: Database, key: str, value: Any) -> None:
    with db.transaction() as session:
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value


CADENCE_KEY = "today.cadence_days"
DEFAULT_CADENCES = {"high_touch": 14, "mid_touch": 30, "low_touch": 60, "tech_touch": 90}
# Accounts without a segment are treated as mid touch.
UNSEGMENTED = "mid_touch"


def get_cadences(db: Database) -> dict[str, int]:
    """Days without a touch after which an account of each segment needs one."""
    stored = get_setting(db, CADENCE_KEY, {}) or {}
    result = dict(DEFAULT_CADENCES)
    for segment in vocab.SEGMENTS:
        value = stored.get(segment)
        if isinstance(value, int) and value > 0:
            result[segment] = value
    return result


def set_cadences(db: Database, cadences: dict[str, int]) -> None:
    errors = [
        FieldError(segment, tr("Use a whole number of days from 1 to 3650."))
        for segment, value in cadences.items()
        if segment not in vocab.SEGMENTS or not isinstance(value, int) or not 1 <= value <= 3650
    ]
    if errors:
        raise ValidationError(errors)
    set_setting(db, CADENCE_KEY, {**get_cadences(db), **cadences})


RULES_KEY = "reminders.rules"
RULES = ("renewal_plan", "qbr_quarterly", "checkin_after_kickoff", "nps_after_onboarding")
RULE_LABELS = {
    "renewal_plan": "Plan the renewal from month {month} of the contract",
    "qbr_quarterly": "A QBR every quarter for high-touch accounts",
    "checkin_after_kickoff": "A check-in {days} days after the kickoff",
    "nps_after_onboarding": "An NPS survey {months} months after onboarding starts",
}
# What each rule's reminder says (English source, stored; shown through ``reminder_title``).
REMINDER_TITLES = {
    "renewal_plan": "Plan the renewal of {day}",
    "qbr_quarterly": "Hold this quarter's QBR ({quarter})",
    "checkin_after_kickoff": "Check-in {days} days after the kickoff",
    "nps_after_onboarding": "Send the NPS survey ({months} months after onboarding)",
}
# The one grouped reminder of a rule, for what it asks that has no task yet.
GROUP_TITLES = {
    "renewal_plan": "Renewals to plan: {n}",
    "qbr_quarterly": "QBRs to hold this quarter: {n}",
    "checkin_after_kickoff": "Check-ins after a kickoff: {n}",
    "nps_after_onboarding": "NPS surveys to send: {n}",
}
RULE_OF_PREFIX = {
    "renewal_plan": "renewal_plan",
    "qbr": "qbr_quarterly",
    "checkin": "checkin_after_kickoff",
    "nps": "nps_after_onboarding",
}
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "renewal_plan": {"enabled": True, "month": 9},
    "qbr_quarterly": {"enabled": True},
    "checkin_after_kickoff": {"enabled": True, "days": 30},
    "nps_after_onboarding": {"enabled": True, "months": 6},
}
# Which number each rule lets the user change, with its allowed range.
RULE_PARAMETERS = {
    "renewal_plan": ("month", 1, 12),
    "checkin_after_kickoff": ("days", 1, 365),
    "nps_after_onboarding": ("months", 1, 36),
}
# A reminder is created this many days before it is due...
LOOKAHEAD_DAYS = 14
# ...and not at all once it is this stale (history imported long after the fact).
STALE_DAYS = 30


def get_rules(db: Database) -> dict[str, dict[str, Any]]:
    stored = get_setting(db, RULES_KEY, {}) or {}
    rules = {key: dict(value) for key, value in DEFAULT_RULES.items()}
    for key, value in stored.items():
        if key in rules and isinstance(value, dict):
            rules[key].update({k: v for k, v in value.items() if k in rules[key]})
    return rules


def set_rules(db: Database, rules: dict[str, dict[str, Any]]) -> None:
    errors: list[FieldError] = []
    for key, value in rules.items():
        if key not in DEFAULT_RULES:
            errors.append(FieldError(key, tr("Unknown reminder rule.")))
            continue
        if key in RULE_PARAMETERS:
            name, low, high = RULE_PARAMETERS[key]
            number = value.get(name, DEFAULT_RULES[key][name])
            if not isinstance(number, int) or not low <= number <= high:
                errors.append(
                    FieldError(key, tr("Use a whole number from {low} to {high}.", low=low, high=high))
                )
    if errors:
        raise ValidationError(errors)
    merged = get_rules(db)
    for key, value in rules.items():
        merged[key].update({k: v for k, v in value.items() if k in merged[key]})
    set_setting(db, RULES_KEY, merged)


def rule_label(key: str, rule: dict[str, Any]) -> str:
    params = {k: v for k, v in rule.items() if k != "enabled"}
    return tr(RULE_LABELS[key], **params)
