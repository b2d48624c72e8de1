"""Playbooks: a trigger the CSM chooses and the tasks it creates, once per occurrence.

A playbook (*playbook*: gatilho, passos, responsáveis, prazos) is data the CSM
edits: a trigger with its parameters and a list of steps (title, days after
the trigger is noticed, working days or calendar days, owner side, priority,
task kind, optional e-mail template). ``evaluate`` finds every occurrence of
each enabled playbook's trigger across the book, with one query per trigger
(no loop over accounts), and acts on the ones it has not acted on before: each
occurrence is one row of ``playbook_runs`` keyed by (playbook, account,
occurrence key: the survey answer's id, the day a band began, the renewal
date...), so re-importing a file or evaluating again never creates a task
twice. Tasks keep ``playbook_id`` and a ``rule_key`` of their own.

E-mail templates are Jinja rendered in the documents' sandbox
(:func:`csdesk.templates.render`); the text goes into the task's notes.

The package, by step: ``definitions`` (triggers, parameters, a playbook as data), ``store``
(saving and listing them, their runs), ``builtin`` (the shipped ones), ``occurrences`` (finding
a trigger's occurrences), ``emails`` (what an e-mail template sees) and ``runs`` (``evaluate``).
"""

from csdesk.playbooks.builtin import (
    BUILTIN,
    SEEDED_KEY,
    builtin_email,
    builtin_playbooks,
    ensure_builtin,
)
from csdesk.playbooks.definitions import (
    CANCELLATION_KINDS,
    CHOICE_PARAMS,
    CSAT_DETRACTOR_MAX,
    MAX_STEPS,
    NUMBER_PARAMS,
    OWNER_SIDES,
    TRIGGER_LABELS,
    TRIGGER_NAMES,
    TRIGGERS,
    PlaybookData,
    Step,
    default_params,
    stored_kinds,
    trigger_label,
)
from csdesk.playbooks.emails import (
    email_contexts,
    sample_context,
)
from csdesk.playbooks.occurrences import (
    CHAMPIONS_KEY,
    EVENT_TRIGGERS,
    FINDERS,
    IMPORT_TRIGGERS,
    Occurrence,
)
from csdesk.playbooks.runs import (
    EvaluationResult,
    add_working_days,
    due_date,
    evaluate,
)
from csdesk.playbooks.store import (
    RunData,
    delete_playbook,
    get_playbook,
    list_playbooks,
    list_runs,
    occurrence_label,
    resolve_playbook,
    save_playbook,
    set_enabled,
    validate,
)

__all__ = [
    "BUILTIN",
    "CANCELLATION_KINDS",
    "CHAMPIONS_KEY",
    "CHOICE_PARAMS",
    "CSAT_DETRACTOR_MAX",
    "EVENT_TRIGGERS",
    "EvaluationResult",
    "FINDERS",
    "IMPORT_TRIGGERS",
    "MAX_STEPS",
    "NUMBER_PARAMS",
    "OWNER_SIDES",
    "Occurrence",
    "PlaybookData",
    "RunData",
    "SEEDED_KEY",
    "Step",
    "TRIGGERS",
    "TRIGGER_LABELS",
    "TRIGGER_NAMES",
    "add_working_days",
    "builtin_email",
    "builtin_playbooks",
    "default_params",
    "delete_playbook",
    "due_date",
    "email_contexts",
    "ensure_builtin",
    "evaluate",
    "get_playbook",
    "list_playbooks",
    "list_runs",
    "occurrence_label",
    "resolve_playbook",
    "sample_context",
    "save_playbook",
    "set_enabled",
    "stored_kinds",
    "trigger_label",
    "validate",
]
