"""Playbooks as data: the triggers a playbook can have, their parameters, a playbook and its steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from csdesk import i18n, vocab
from csdesk.i18n import tr
from db.models import (
    Playbook,
)

# ---------------------------------------------------------------------------
# Triggers and their parameters

TRIGGERS = (
    "band_change",
    "score_drop",
    "champion_left",
    "detractor",
    "promoter",
    "low_adoption",
    "renewal_in",
    "no_touch",
    "event_kind",
    "stage",
)
TRIGGER_LABELS = {
    "band_change": "Health band turns {band}",
    "score_drop": "Health drops {points} points in {days} days",
    "champion_left": "The champion contact leaves",
    "detractor": "A detractor answer (NPS 0–6 or CSAT 1–2)",
    "promoter": "A promoter answer (NPS 9–10)",
    "low_adoption": "Adoption below {percent}% of licensed users",
    "renewal_in": "Renewal in {days} days",
    "no_touch": "No touch for {days} days",
    "event_kind": "A logged event: {kinds}",
    "stage": "The account enters the {stage} stage",
}
TRIGGER_NAMES = {
    "band_change": "Band change",
    "score_drop": "Score drop",
    "champion_left": "Champion left",
    "detractor": "Detractor answer",
    "promoter": "Promoter answer",
    "low_adoption": "Low adoption",
    "renewal_in": "Renewal ahead",
    "no_touch": "No touch",
    "event_kind": "Logged event",
    "stage": "Lifecycle stage",
}
# Each trigger's parameters: name -> (default, low, high) for numbers, (default, choices) for words.
NUMBER_PARAMS: dict[str, dict[str, tuple[int, int, int]]] = {
    "score_drop": {"points": (15, 1, 100), "days": (7, 1, 365)},
    "low_adoption": {"percent": (50, 1, 100)},
    "renewal_in": {"days": (120, 1, 730)},
    "no_touch": {"days": (30, 1, 730)},
    "detractor": {"lookback_days": (30, 1, 3650)},
    "promoter": {"lookback_days": (30, 1, 3650)},
    "event_kind": {"lookback_days": (30, 1, 3650)},
}
# A cancellation request is stored as ``churn_request`` (vocab: ``cancellation_request`` is its CLI name).
CANCELLATION_KINDS = ["churn_request"]
CHOICE_PARAMS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "band_change": {"band": ("red", vocab.HEALTH_BANDS)},
    "stage": {"stage": ("onboarding", vocab.STAGES)},
}
# CSAT answers (1–5) this low count as detractors, as NPS 0–6 do (nps.nps_group).
CSAT_DETRACTOR_MAX = 2
OWNER_SIDES = ("ours", "customer")
MAX_STEPS = 30


def default_params(trigger: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[0] for k, v in NUMBER_PARAMS.get(trigger, {}).items()}
    params.update({k: v[0] for k, v in CHOICE_PARAMS.get(trigger, {}).items()})
    if trigger == "event_kind":
        params["kinds"] = list(CANCELLATION_KINDS)
    return params


def stored_kinds(kinds) -> list[str]:
    """The stored event kinds a playbook's kinds name (a CLI name such as cancellation_request included)."""
    return list(dict.fromkeys(vocab.EVENT_KIND_NAMES.get(str(k).strip(), str(k).strip()) for k in kinds or []))


def trigger_label(trigger: str, params: dict[str, Any], language: str | None = None) -> str:
    values = {**default_params(trigger), **params}
    if trigger == "band_change":
        values["band"] = i18n.label(vocab.HEALTH_BAND_LABELS, values.get("band"), language)
    if trigger == "stage":
        values["stage"] = i18n.label(vocab.STAGE_LABELS, values.get("stage"), language)
    if trigger == "event_kind":
        kinds = stored_kinds(values.get("kinds"))
        values["kinds"] = ", ".join(
            i18n.label(vocab.EVENT_KIND_LABELS, k, language) if k in vocab.EVENT_KIND_LABELS else k
            for k in kinds
        )
    return tr(TRIGGER_LABELS[trigger], language, **values)


# ---------------------------------------------------------------------------
# Playbooks as data


@dataclass(frozen=True)
class Step:
    """One task a playbook creates, due ``offset`` days after the trigger is noticed."""

    title: str
    offset: int = 0
    working_days: bool = False
    owner_side: str = "ours"
    priority: str = "normal"
    kind: str = "follow_up"
    email: str | None = None  # a Jinja e-mail template, rendered into the task's notes

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "offset": self.offset,
            "working_days": self.working_days,
            "owner_side": self.owner_side,
            "priority": self.priority,
            "kind": self.kind,
            "email": self.email,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        return cls(
            title=str(data.get("title") or ""),
            offset=int(data.get("offset") or 0),
            working_days=bool(data.get("working_days")),
            owner_side=str(data.get("owner_side") or "ours"),
            priority=str(data.get("priority") or "normal"),
            kind=str(data.get("kind") or "follow_up"),
            email=data.get("email") or None,
        )


@dataclass(frozen=True)
class PlaybookData:
    name: str
    trigger: str
    params: dict[str, Any] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    enabled: bool = True
    id: int | None = None
    builtin_key: str | None = None
    runs: int = 0  # occurrences acted on
    tasks: int = 0  # tasks created, still in the book

    @property
    def trigger_text(self) -> str:
        return trigger_label(self.trigger, self.params)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "builtin": self.builtin_key,
            "trigger": self.trigger,
            "trigger_text": self.trigger_text,
            "params": dict(self.params),
            "enabled": self.enabled,
            "steps": [s.as_dict() for s in self.steps],
            "runs": self.runs,
            "tasks": self.tasks,
        }


def _data(row: Playbook, runs: int = 0, tasks: int = 0) -> PlaybookData:
    return PlaybookData(
        name=row.name,
        trigger=row.trigger,
        params=dict(row.params or {}),
        steps=tuple(Step.from_dict(s) for s in row.steps or []),
        enabled=row.enabled,
        id=row.id,
        builtin_key=row.builtin_key,
        runs=runs,
        tasks=tasks,
    )
