"""The shipped playbooks (the course's risk and lifecycle ones), seeded once into a book in its language."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from csdesk import i18n
from csdesk.i18n import tr
from csdesk.paths import resources_dir
from csdesk.playbooks.definitions import CANCELLATION_KINDS, PlaybookData, Step, default_params
from db import Database
from db.models import (
    Playbook,
    Setting,
)


def _step(title: str, offset: int, **kw: Any) -> dict[str, Any]:
    return {"title": title, "offset": offset, **kw}


# English source titles (translated through the catalogue when the book gets them).
BUILTIN: list[dict[str, Any]] = [
    {
        "key": "onboarding",
        "name": "Onboarding",
        "trigger": "stage",
        "params": {"stage": "onboarding"},
        "steps": [
            _step("Send the welcome e-mail", 0, priority="high", kind="onboarding", email="welcome_email"),
            _step("Hold the kickoff meeting", 5, working_days=True, priority="high", kind="onboarding"),
            _step("Check in 30 days after the kickoff", 30, kind="onboarding"),
            _step("Hold the onboarding review with the sponsor", 60, kind="onboarding"),
        ],
    },
    {
        "key": "low_adoption",
        "name": "Low adoption",
        "trigger": "low_adoption",
        "params": {"percent": 50},
        "steps": [
            _step("Review adoption with the champion", 3, working_days=True, priority="high", kind="risk"),
            _step("Schedule a training for the inactive users", 7, kind="risk"),
        ],
    },
    {
        "key": "detractor",
        "name": "Detractor call-back",
        "trigger": "detractor",
        "params": {},
        "steps": [
            _step(
                "Call the customer back",
                2,
                working_days=True,
                priority="high",
                kind="risk",
                email="detractor_email",
            ),
        ],
    },
    {
        "key": "promoter",
        "name": "Promoter: referral or case",
        "trigger": "promoter",
        "params": {},
        "steps": [
            _step(
                "Ask for a referral or a case study",
                5,
                working_days=True,
                kind="expansion",
                email="referral_email",
            ),
        ],
    },
    {
        "key": "champion_change",
        "name": "Champion change",
        "trigger": "champion_left",
        "params": {},
        "steps": [
            _step("Meet the new champion", 3, working_days=True, priority="high", kind="risk"),
            _step("Present the success plan to the new champion", 10, kind="risk"),
        ],
    },
    {
        "key": "renewal",
        "name": "Renewal in 120 days",
        "trigger": "renewal_in",
        "params": {"days": 120},
        "steps": [
            _step("Start the renewal conversation", 0, priority="high", kind="renewal"),
            _step("Confirm the decision maker for the renewal", 7, kind="renewal"),
            _step("Prepare the value review for the renewal", 14, kind="renewal"),
        ],
    },
    {
        "key": "cancellation_request",
        "name": "Cancellation request",
        "trigger": "event_kind",
        "params": {"kinds": list(CANCELLATION_KINDS)},
        "steps": [
            _step(
                "Call the customer about the cancellation request",
                1,
                working_days=True,
                priority="high",
                kind="risk",
            ),
            _step("Prepare a save plan", 2, working_days=True, priority="high", kind="risk"),
        ],
    },
    {
        "key": "turned_red",
        "name": "Account turned red",
        "trigger": "band_change",
        "params": {"band": "red"},
        "enabled": False,  # the health alerts already raise one task for a red account
        "steps": [
            _step(
                "Agree a get-well plan with the customer", 2, working_days=True, priority="high", kind="risk"
            ),
            _step("Weekly check-in until the account is out of red", 7, kind="risk"),
        ],
    },
]
SEEDED_KEY = "playbooks.seeded"


def builtin_email(name: str, language: str) -> str:
    return (resources_dir() / "playbooks" / language / f"{name}.txt.j2").read_text(encoding="utf-8")


def builtin_playbooks(language: str) -> list[PlaybookData]:
    """The shipped playbooks worded in ``language`` (pt_BR or en)."""
    result = []
    for spec in BUILTIN:
        steps = tuple(
            Step.from_dict(
                {
                    **s,
                    "title": tr(s["title"], language),
                    "email": builtin_email(s["email"], language) if s.get("email") else None,
                }
            )
            for s in spec["steps"]
        )
        result.append(
            PlaybookData(
                name=tr(spec["name"], language),
                trigger=spec["trigger"],
                params={**default_params(spec["trigger"]), **spec["params"]},
                steps=steps,
                enabled=spec.get("enabled", True),
                builtin_key=spec["key"],
            )
        )
    return result


def ensure_builtin(db: Database, language: str | None = None) -> int:
    """Put the shipped playbooks in the book once, worded in the app's language; return how many."""
    language = i18n.normalize_language(language or i18n.current_language())
    if getattr(db, "read_only", False):
        return 0  # a book opened read-only (team mode) is read as it is
    with db.session() as session:
        if session.get(Setting, SEEDED_KEY) is not None:
            return 0
    added = 0
    with db.transaction() as session:
        if session.get(Setting, SEEDED_KEY) is not None:
            return 0  # another CSDesk did it meanwhile
        have = set(session.scalars(select(Playbook.builtin_key).where(Playbook.builtin_key.is_not(None))))
        for data in builtin_playbooks(language):
            if data.builtin_key in have:
                continue
            session.add(
                Playbook(
                    builtin_key=data.builtin_key,
                    name=data.name,
                    trigger=data.trigger,
                    params=dict(data.params),
                    steps=[s.as_dict() for s in data.steps],
                    enabled=data.enabled,
                )
            )
            added += 1
        session.add(Setting(key=SEEDED_KEY, value=language))
    return added
