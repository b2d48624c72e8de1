"""Closed lists whose position is the stored code: read by db.models (storage) and by
csdesk.vocab (the words). Imports nothing, so the vocabulary loads without SQLAlchemy."""

# The on-disk code of each measure (its position here): frozen, a new measure is appended.
MEASURE_CODES = (
    "logins",
    "active_users",
    "licensed_users",
    "key_feature_use",
    "tickets",
    "critical_tickets",
    "payment_delay_days",
    "qbr_attendance",
    "csm_pulse",
)

# Timeline events: millions of rows in a big book, so the kind, channel, severity and
# source are stored as codes too. Frozen like the measures: a new word is appended (a word
# not listed is stored as its text). The commonest words come first: codes 0 and 1 take
# no bytes in a SQLite row.
EVENT_KIND_CODES = (
    "email",
    "meeting",
    "ticket",
    "call",
    "note",
    "nps",
    "csat",
    "ces",
    "revenue_change",
    "escalation",
    "churn_request",
    "save_attempt",
    "first_value",
    "advocacy",
    "pulse",
    "health_change",
    "renewal",
    "milestone",
    "expansion_opportunity",
    "document",
)
CHANNEL_CODES = ("email", "phone", "video", "in_person", "in_app", "chat")
SEVERITY_CODES = ("low", "medium", "high", "critical")
EVENT_SOURCE_CODES = ("manual", "import", "auto")

# Where a measure came from (its position is its stored code): typed here, an import, the
# demo book, or worked out by CSDesk. Frozen, a new source is appended.
MEASURE_SOURCE_CODES = ("manual", "import", "demo", "auto")
