"""The domain's controlled vocabularies: stored keys, in display order.

Labels for the UI come from ``csdesk.i18n`` (English source, pt-BR catalogue).
"""

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

EVENT_KINDS = (
    "meeting",
    "call",
    "email",
    "note",
    "ticket",
    "nps",
    "csat",
    "ces",
    "health_change",
    "revenue_change",
    "milestone",
    "first_value",
    "churn_request",
    "save_attempt",
    "escalation",
    "expansion_opportunity",
    "advocacy",
    "document",
)
MEETING_TYPES = ("kickoff", "training", "check_in", "qbr", "onboarding_review")
# Kinds that count as a touch for "last touch" (something we did with the customer).
TOUCH_KINDS = ("meeting", "call", "email", "note")
CHANNELS = ("email", "phone", "video", "in_person", "in_app", "chat")
TICKET_SEVERITIES = ("low", "medium", "high", "critical")

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

MEASURES = (
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

TASK_KINDS = ("risk", "renewal", "onboarding", "expansion", "follow_up")
TASK_PRIORITIES = ("low", "normal", "high")
TASK_STATUSES = ("open", "done", "cancelled")
MILESTONE_STATUSES = ("planned", "in_progress", "done", "late", "cancelled")

EVENT_KIND_LABELS = {
    "meeting": "Meeting",
    "call": "Call",
    "email": "E-mail",
    "note": "Note",
    "ticket": "Support ticket",
    "nps": "NPS answer",
    "csat": "CSAT answer",
    "ces": "CES answer",
    "health_change": "Health change",
    "revenue_change": "Revenue change",
    "milestone": "Milestone reached",
    "first_value": "First value",
    "churn_request": "Churn request",
    "save_attempt": "Save attempt",
    "escalation": "Escalation",
    "expansion_opportunity": "Expansion opportunity",
    "advocacy": "Referral / case study",
    "document": "Document",
}
MEETING_TYPE_LABELS = {
    "kickoff": "Kickoff",
    "training": "Training",
    "check_in": "Check-in",
    "qbr": "QBR",
    "onboarding_review": "Onboarding review",
}
# Where an event came from: typed in CSDesk, imported from a CRM export, or written by CSDesk itself.
EVENT_SOURCES = ("manual", "import", "auto")
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
