"""Planning a surveys file (NPS and CSAT answers)."""

from __future__ import annotations

from sqlalchemy import func, select

from csdesk.i18n import tr
from csdesk.importing.match import import_key
from csdesk.importing.plan.base import Planner
from db.models import Contact, SurveyResponse


def plan_surveys(p: Planner) -> None:
    keys = p.existing_keys(SurveyResponse)
    latest_nps = dict(
        p.session.execute(
            select(SurveyResponse.account_id, func.max(SurveyResponse.answered_at))
            .where(SurveyResponse.kind == "nps")
            .group_by(SurveyResponse.account_id)
        ).all()
    )
    contacts = {
        e.lower(): (cid, aid)
        for cid, aid, e in p.session.execute(
            select(Contact.id, Contact.account_id, Contact.email).where(Contact.email.is_not(None))
        )
    }
    kinds = [k for k in ("nps", "csat", "ces") if p.has(k)]
    for i in p.rows(tr("Matching answers…")):
        respondent = p.col("respondent")[i]
        email = respondent if respondent and "@" in respondent else None
        target = p.resolve_account(i, email)
        if target is None:
            continue
        answered = p.col("answered_at")[i]
        scores = {k: p.col(k)[i] for k in kinds if p.col(k)[i] is not None}
        if not scores:
            key = kinds[0] if kinds else "nps"
            p.reject(i, key, tr("The answer has no score."), "")
            continue
        comment = p.col("comment")[i]
        contact = contacts.get((email or "").lower())
        contact_id = contact[0] if contact and contact[1] == target else None
        created = False
        for kind, score in scores.items():
            key = import_key("survey", p._identity(target), kind, answered, respondent, score)
            if key in keys:
                continue
            keys.add(key)
            created = True
            p.plan.inserts["survey_responses"].append(
                {
                    "account_id": target,
                    "contact_id": contact_id,
                    "kind": kind,
                    "score": score,
                    "comment": comment,
                    "respondent": respondent,
                    "answered_at": answered,
                    "source": "import",
                    "import_key": key,
                }
            )
            p.event(
                target,
                answered,
                kind,
                "",  # rendered from the score when shown (csdesk.timeline_titles)
                body=comment,
                key=key,
                data={"score": score, "respondent": respondent},
            )
            if kind == "nps":
                last = latest_nps.get(target)
                if last is None or answered >= last:
                    latest_nps[target] = answered
                    p.book.set(target, {"last_nps": score})
        p.plan.count("created" if created else "unchanged")


# Usage ---------------------------------------------------------------------------
