"""Planning a deals file: won deals as revenue, lost and open ones on the timeline."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from csdesk import formatting, ledger
from csdesk.i18n import tr
from csdesk.importing.match import AMBIGUOUS, NewAccount, import_key
from csdesk.importing.plan.accounts import _default_stage
from csdesk.importing.plan.base import Planner
from csdesk.importing.prepare import as_datetime
from csdesk.rules.names import fold, name_key
from db.models import RevenueChange, TimelineEvent


def plan_deals(p: Planner) -> None:
    book, plan, as_of = p.book, p.plan, p.as_of
    keys = p.existing_keys(TimelineEvent)
    last_revenue = dict(
        p.session.execute(
            select(RevenueChange.account_id, func.max(RevenueChange.effective_date)).group_by(
                RevenueChange.account_id
            )
        ).all()
    )
    skipped = 0
    for i in p.rows(tr("Matching deals…")):
        status = p.col("status")[i]
        title = p.col("title")[i] or tr("Deal")
        org = p.col("account")[i]
        value = p.col("value")[i] or 0
        ext = p.col("external_id")[i]
        when = p.col("won_date")[i]
        identity = f"{p.source}:{ext}" if ext else f"{name_key(org or '')}:{fold(title)}:{when}"
        key = import_key("deal", identity, status)
        if key in keys:
            plan.count("unchanged")
            continue
        keys.add(key)
        target = book.resolve(org)
        if target is AMBIGUOUS:
            p.reject(i, "account", tr('"{name}" matches several accounts; use its id or CNPJ.', name=org))
            continue
        if value < 0:
            p.reject(i, "value", tr("The deal value cannot be negative."))
            continue
        data = {
            "deal": title,
            "status": status,
            "value_cents": value,
            "external_id": ext,
            "one_off_cents": p.col("one_off_value")[i],
            "owner": p.col("owner")[i],
            "stage": p.col("stage")[i],
        }
        if status != "won":
            if target is None:
                skipped += 1
                plan.count("unchanged")
                continue
            on = as_datetime(when or as_of)
            label = (
                tr("Deal lost: {title}", title=title)
                if status == "lost"
                else tr("Open deal: {title}", title=title)
            )
            body = p.col("lost_reason")[i]
            p.event(target, on, "expansion_opportunity", label, subkind=status, body=body, key=key, data=data)
            plan.count("created")
            continue
        won_on = when or as_of
        if not org:
            p.reject(i, "account", tr("The account is empty."))
            continue
        if target is None:
            values = {
                "name": org,
                "name_key": name_key(org),
                "source": None,
                "external_id": None,
                "cnpj": None,
                "domain": None,
                "segment": None,
                "tier": None,
                "industry": None,
                "plan": None,
                "mrr_cents": value,
                "currency": p.col("currency")[i] or "BRL",
                "contract_start": won_on,
                "renewal_date": None,
                "stage": _default_stage("active", won_on, as_of),
                "status": "active",
                "churn_date": None,
                "churn_reason": None,
                "owner": None,
                "licensed_users": None,
                "active_users": None,
                "custom_fields": {},
                "last_touch_at": None,
                "last_nps": None,
                "mrr_as_of": as_of,
                "health_score": None,
                "health_band": None,
                "health_trend": None,
            }
            target = book.create(i, values)
            plan.count("created")
            if value:
                p.revenue(target, "new", 0, value, won_on, reason=title, key=key, extra={"deal": title})
            else:
                p.event(
                    target,
                    as_datetime(won_on),
                    "revenue_change",
                    tr("Deal won: {title}", title=title),
                    subkind="deal_won",
                    key=key,
                    data=data,
                )
            continue
        row = book.get(target)
        known = row.get("mrr_as_of") or (row["created_at"].date() if row.get("created_at") else None)
        if isinstance(target, int) and target in last_revenue:
            known = max(known or date.min, last_revenue[target])
        if isinstance(target, NewAccount) or not value or (known is not None and won_on <= known):
            # Already in the MRR the book holds: history for the timeline only.
            p.event(
                target,
                as_datetime(won_on),
                "revenue_change",
                tr("Deal won: {title} ({value})", title=title, value=formatting.money(value)),
                subkind="deal_won",
                key=key,
                data={**data, "applied": False},
            )
        else:
            # Expansion of a customer; a churned account that signs again is a reactivation.
            state = ledger.row_state(row["status"], row["mrr_cents"])
            kind, before, after = ledger.classify(state, True, (state.mrr if state.active else 0) + value)
            changes = {
                **ledger.account_values(ledger.after(state, kind, before, after), won_on),
                "mrr_as_of": won_on,
            }
            if row["status"] == "churned":
                changes["stage"] = "ongoing_adoption"
            book.set(target, {k: v for k, v in changes.items() if row.get(k) != v})
            p.revenue(target, kind, before, after, won_on, reason=title, key=key, extra={"deal": title})
        plan.count("created")
    if skipped:
        plan.warnings.append(
            tr(
                "{count} lost or open deals of organisations that are not accounts were skipped.",
                count=skipped,
            )
        )
