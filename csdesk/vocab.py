"""The domain's controlled vocabularies: stored keys, in display order.

Labels for the UI come from ``csdesk.i18n`` (English source, pt-BR catalogue).
"""

from dataclasses import dataclass

from db.codes import CHANNEL_CODES, EVENT_SOURCE_CODES, MEASURE_CODES, SEVERITY_CODES

SEGMENTS = ("high_touch", "mid_touch", "low_touch", "tech_touch")
SEGMENT_LABELS = {
    "high_touch": "High Touch",
    "mid_touch": "Mid Touch",
    "low_touch": "Low Touch",
    "tech_touch": "Tech Touch",
}

STAGES = ("onboarding", "early_adoption", "ongoing_adoption", "expansion", "renewal", "churned")
STAGE_LABELS = {
    "onboarding": "Onboarding",
    "early_adoption": "Early adoption",
    "ongoing_adoption": "Ongoing adoption",
    "expansion": "Expansion and advocacy",
    "renewal": "Renewal",
    "churned": "Churned",
}

STATUSES = ("active", "churned")

CHURN_REASONS = (
    "product",
    "price",
    "competition",
    "support",
    "no_roi",
    "internal_change",
    "bad_fit",
    "nonpayment",
)
CHURN_REASON_LABELS = {
    "product": "Product",
    "price": "Price",
    "competition": "Competition",
    "support": "Support",
    "no_roi": "No ROI",
    "internal_change": "Internal change at the customer",
    "bad_fit": "Bad fit",
    "nonpayment": "Non-payment",
}

CONTACT_ROLES = ("champion", "sponsor", "decision_maker", "user")
CONTACT_ROLE_LABELS = {
    "champion": "Champion",
    "sponsor": "Sponsor",
    "decision_maker": "Decision maker",
    "user": "User",
}

HEALTH_BANDS = ("green", "yellow", "red")
HEALTH_BAND_LABELS = {"green": "Healthy", "yellow": "At risk", "red": "Critical"}
# An account without a score (too little of the model's weight present): its own group, not a band.
HEALTH_NO_DATA = "No data"
PLAN_STATUS_LABELS = {"on_track": "On track", "late": "Late", "done": "Done"}  # a success plan's state


@dataclass(frozen=True)
class EventKind:
    """One kind of timeline event: its stored key, English label, colour and symbol on the
    timeline, whether the CSM logs it by hand (quick add, ``csdesk log``), and other names
    the command line accepts for it."""

    key: str
    label: str
    color: str
    symbol: str
    loggable: bool = False
    aliases: tuple[str, ...] = ()


# The one table of event kinds: the timeline, quick add, the CLI and the filters read it.
# Colour by family: touches blue/teal, support orange, surveys purple, money green, risk red.
# Loggable kinds are offered in this order.
EVENT_KIND_TABLE = (
    EventKind("note", "Note", "#64748b", "✎", loggable=True),
    EventKind("call", "Call", "#0891b2", "☎", loggable=True),
    EventKind("meeting", "Meeting", "#2563eb", "◉", loggable=True),
    EventKind("email", "E-mail", "#0d9488", "✉", loggable=True),
    EventKind("escalation", "Escalation", "#dc2626", "⚠", loggable=True),
    EventKind(
        "churn_request",
        "Cancellation request",
        "#b91c1c",
        "✖",
        loggable=True,
        aliases=("cancellation_request",),
    ),
    EventKind("save_attempt", "Save attempt", "#d97706", "↺", loggable=True),
    EventKind("first_value", "First value", "#16a34a", "✓", loggable=True),
    EventKind("advocacy", "Referral / case study", "#9333ea", "❝", loggable=True, aliases=("referral",)),
    EventKind("ticket", "Support ticket", "#ea580c", "⚒", loggable=True),
    EventKind("pulse", "CSM pulse", "#0284c7", "♪", loggable=True),
    EventKind("nps", "NPS answer", "#7c3aed", "★"),
    EventKind("csat", "CSAT answer", "#7c3aed", "☺"),
    EventKind("ces", "CES answer", "#7c3aed", "◆"),
    EventKind("health_change", "Health change", "#db2777", "♥"),
    EventKind("revenue_change", "Revenue change", "#16a34a", "$"),
    EventKind("renewal", "Renewal", "#15803d", "⟳"),
    EventKind("milestone", "Milestone reached", "#ca8a04", "⚑"),
    EventKind("expansion_opportunity", "Expansion opportunity", "#16a34a", "↗"),
    EventKind("document", "Document", "#475569", "▤"),
)
EVENT_KINDS = tuple(k.key for k in EVENT_KIND_TABLE)
EVENT_KIND_LABELS = {k.key: k.label for k in EVENT_KIND_TABLE}
EVENT_KIND_STYLE = {k.key: (k.color, k.symbol) for k in EVENT_KIND_TABLE}
LOG_KINDS = tuple(k.key for k in EVENT_KIND_TABLE if k.loggable)
# Every name ``--kind`` accepts (keys and aliases) -> the stored key.
EVENT_KIND_NAMES = {name: k.key for k in EVENT_KIND_TABLE for name in (k.key, *k.aliases)}
PULSE_SCORES = (1, 2, 3, 4, 5)  # the CSM's own feeling about the account, 1 (bad) to 5 (great)

RENEWAL_OUTCOMES = ("renewed", "downsell", "upsell", "lost")
RENEWAL_OUTCOME_LABELS = {
    "renewed": "Renewed",
    "downsell": "Renewed with downsell",
    "upsell": "Renewed with upsell",
    "lost": "Not renewed (lost)",
}
CHURN_TYPES = ("voluntary", "involuntary")
CHURN_TYPE_LABELS = {"voluntary": "Voluntary", "involuntary": "Involuntary"}

MEETING_TYPES = ("kickoff", "training", "check_in", "qbr", "onboarding_review")
# Kinds that count as a touch for "last touch" (something we did with the customer).
TOUCH_KINDS = ("meeting", "call", "email", "note")
CHANNELS = CHANNEL_CODES  # stored as their positions
TICKET_SEVERITIES = SEVERITY_CODES

# "opening": an account first seen without a known start (csdesk.ledger), not a new logo.
REVENUE_KINDS = ("new", "opening", "expansion", "contraction", "churn", "reactivation")
REVENUE_KIND_LABELS = {
    "new": "New customer",
    "opening": "Opening balance",
    "expansion": "Expansion",
    "contraction": "Contraction",
    "churn": "Churn",
    "reactivation": "Reactivation",
}

MEASURES = MEASURE_CODES  # their stored codes are their positions

TASK_KINDS = ("risk", "renewal", "onboarding", "expansion", "follow_up")
TASK_PRIORITIES = ("low", "normal", "high")
TASK_STATUSES = ("open", "done", "cancelled")
MILESTONE_STATUSES = ("planned", "in_progress", "done", "late", "cancelled")

MEETING_TYPE_LABELS = {
    "kickoff": "Kickoff",
    "training": "Training",
    "check_in": "Check-in",
    "qbr": "QBR",
    "onboarding_review": "Onboarding review",
}
# Where an event came from: typed in CSDesk, imported from a CRM export, or written by CSDesk itself.
EVENT_SOURCES = EVENT_SOURCE_CODES
EVENT_SOURCE_LABELS = {"manual": "Typed here", "import": "Imported", "auto": "Automatic"}
CHANNEL_LABELS = {
    "email": "E-mail",
    "phone": "Phone",
    "video": "Video call",
    "in_person": "In person",
    "in_app": "In-app",
    "chat": "Chat",
}
TICKET_SEVERITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}
TASK_KIND_LABELS = {
    "risk": "Risk",
    "renewal": "Renewal",
    "onboarding": "Onboarding",
    "expansion": "Expansion",
    "follow_up": "Follow-up",
}
TASK_PRIORITY_LABELS = {"low": "Low", "normal": "Normal", "high": "High"}
TASK_STATUS_LABELS = {"open": "Open", "done": "Done", "cancelled": "Cancelled"}
