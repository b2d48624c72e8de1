"""The placeholder picker: (expression to insert, English description)."""

from __future__ import annotations

PLACEHOLDERS: list[tuple[str, str]] = [
    ("{{ account.name }}", "Account name"),
    ("{{ account.mrr_cents|money }}", "MRR"),
    ("{{ account.arr_cents|money }}", "ARR"),
    ("{{ account.segment_label }}", "Segment (touch model)"),
    ("{{ account.stage_label }}", "Lifecycle stage"),
    ("{{ account.renewal_date|day }}", "Renewal date"),
    ("{{ account.days_to_renewal }}", "Days to renewal"),
    ("{{ account.owner }}", "Owner CSM"),
    ("{{ account.adoption|percent }}", "Adoption (active ÷ licensed users)"),
    ("{{ health.score|number }}", "Health score"),
    ("{{ health.band_label }}", "Health band"),
    ("{{ health.trend|number }}", "Health trend (points in 30 days)"),
    (
        "{% for c in health.components %}- {{ c.label }}: {{ c.points|number(1) }}\n{% endfor %}",
        "Health components (loop)",
    ),
    ("{{ metrics.nps.score|number }}", "NPS in the period"),
    ("{{ metrics.tickets.total }}", "Support tickets in the period"),
    ("{{ metrics.usage.logins.last|number }}", "Logins (latest)"),
    (
        "{% for m in plan.milestones %}- {{ m.title }} ({{ m.due_date|day }})\n{% endfor %}",
        "Milestones (loop)",
    ),
    ("{% for o in plan.outcomes %}- {{ o.required_outcome }}\n{% endfor %}", "Desired outcomes (loop)"),
    ("{% for c in contacts %}- {{ c.name }}, {{ c.role_label }}\n{% endfor %}", "Contacts (loop)"),
    ("{{ champion.name }}", "Champion"),
    ("{{ decision_maker.name }}", "Decision maker"),
    ("{{ period.label }}", "Period (e.g. 2026-T4)"),
    ("{% if health.band == 'red' %}\n…\n{% endif %}", "Only for red accounts (condition)"),
    ("{{ today|day }}", "Today"),
    ("!chart health_trend", "Chart: health trend"),
    ("!chart health_components", "Chart: health components"),
    ("!chart usage", "Chart: usage"),
    ("!kpi MRR | {{ account.mrr_cents|money }}", "KPI card"),
]
