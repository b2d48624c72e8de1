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

# Where a measure came from (its position is its stored code): typed here, an import, the
# demo book, or worked out by CSDesk. Frozen, a new source is appended.
MEASURE_SOURCE_CODES = ("manual", "import", "demo", "auto")
