"""An account's activity over the demo's two years: timeline events, surveys, usage measures and tasks."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from typing import Any

from csdesk import vocab
from csdesk.demo.rows import _CODE, _EPOCH, SOURCE, _Rows
from csdesk.demo.words import (
    ACTIONS,
    ADVOCACY,
    EMAIL_SUBJECTS,
    FEATURES,
    GOALS,
    MILESTONES,
    NPS_COMMENTS,
    RISK_TASKS,
    SENTIMENTS_BAD,
    SENTIMENTS_GOOD,
    SENTIMENTS_NEUTRAL,
    TICKET_TITLES,
    TOPICS,
)
from csdesk.nps import nps_group


class _Activity:
    """The generator's timeline, survey, usage and task steps (``_Generator`` holds the state)."""

    rng: random.Random
    today: date
    window_start: date

    def event(
        self,
        rows: _Rows,
        account_id: int,
        at: datetime,
        kind: str,
        title: str,
        body: str | None = None,
        *,
        subkind: str | None = None,
        channel: str | None = None,
        severity: str | None = None,
        source: str = "manual",
        contact_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        rows.events.append(
            {
                "account_id": account_id,
                "occurred_at": at,
                "kind": kind,
                "subkind": subkind,
                "title": title,
                "body": body,
                "channel": channel,
                "severity": severity,
                "source": source,
                "contact_id": contact_id,
                "data": data or {},
            }
        )

    def survey(
        self,
        rows: _Rows,
        account_id: int,
        who: dict[str, Any],
        kind: str,
        score: int,
        comment: str | None,
        at: datetime,
        channel: str,
        *,
        scale: int | None = None,
    ) -> None:
        """A survey answer and the timeline event that shows it (its title rendered from the score)."""
        rows.surveys.append(
            {
                "account_id": account_id,
                "contact_id": who["id"],
                "kind": kind,
                "score": score,
                "comment": comment,
                "respondent": who["email"],
                "answered_at": at,
                "source": SOURCE,
            }
        )
        self.event(
            rows,
            account_id,
            at,
            kind,
            "",
            comment,
            channel=channel,
            source="auto",
            contact_id=who["id"],
            data={"score": score} if scale is None else {"score": score, "scale": scale},
        )

    def timeline(
        self,
        account_id: int,
        contacts: list[dict],
        segment: str,
        start: date,
        end: date,
        churn_date: date | None,
        propensity: float,
        licensed: int,
        seat_price: int,
        history: list[tuple[date, int]],
        rows: _Rows,
    ) -> tuple[datetime | None, int | None, int]:
        """Events, surveys and measures; returns (last touch, last NPS, current active users)."""
        rng = self.rng
        first = max(start, self.window_start)
        champion = contacts[0]
        decision = next((c for c in contacts if c["role"] in ("decision_maker", "sponsor")), champion)
        last_touch: datetime | None = None
        last_nps: tuple[datetime, int] | None = None

        def touch(at: datetime, kind: str, title: str, body: str | None, **kw: Any) -> None:
            nonlocal last_touch
            self.event(rows, account_id, at, kind, title, body, **kw)
            if last_touch is None or at > last_touch:
                last_touch = at

        def mood() -> str:
            p = propensity + rng.uniform(-0.2, 0.2)
            pool = SENTIMENTS_GOOD if p > 0.7 else SENTIMENTS_NEUTRAL if p > 0.45 else SENTIMENTS_BAD
            return rng.choice(pool)

        # Onboarding, when it happened inside the window.
        if start >= self.window_start:
            kickoff = self.moment(start + timedelta(days=rng.randint(3, 10)))
            if kickoff.date() < end:
                goal = rng.choice(GOALS)
                touch(
                    kickoff,
                    "meeting",
                    "Reunião de kick-off",
                    f"## Kick-off\n\n**Participantes:** {champion['name']}, {decision['name']}\n\n"
                    f"- Resultado desejado: {goal}\n- Campeão: {champion['name']}\n"
                    f"- Próximos passos: configuração e treinamento da equipe",
                    subkind="kickoff",
                    channel="video",
                    contact_id=champion["id"],
                )
                train = kickoff + timedelta(days=rng.randint(7, 20))
                if train.date() < end:
                    feature = rng.choice(FEATURES)
                    touch(
                        self.moment(train.date()),
                        "meeting",
                        f"Treinamento: {feature}",
                        f"Treinamento da equipe no **{feature}**.\n\n- [x] Acessos criados\n- [ ] {rng.choice(ACTIONS)}",
                        subkind="training",
                        channel="video",
                        contact_id=champion["id"],
                    )
                value_day = kickoff.date() + timedelta(days=int(25 + 40 * (1 - propensity)))
                if value_day < end:
                    self.event(
                        rows,
                        account_id,
                        self.moment(value_day),
                        "first_value",
                        "Primeiro valor entregue",
                        f"Cliente atingiu o primeiro resultado: {rng.choice(MILESTONES).lower()}.",
                        contact_id=champion["id"],
                    )
                review = kickoff.date() + timedelta(days=rng.randint(80, 100))
                if review < end and segment != "tech_touch":
                    touch(
                        self.moment(review),
                        "meeting",
                        "Revisão do onboarding",
                        f"Onboarding concluído. {mood()}",
                        subkind="onboarding_review",
                        channel="video",
                        contact_id=champion["id"],
                    )

        # Recurring touches by touch model: (every N days, kind).
        cadence = {
            "high_touch": {"qbr": 91, "check_in": 30, "call": 45, "email": 20, "note": 60},
            "mid_touch": {"qbr": 182, "check_in": 60, "call": 90, "email": 45, "note": 120},
            "low_touch": {"check_in": 180, "call": 240, "email": 90, "note": 365},
            "tech_touch": {"email": 180},
        }[segment]
        span = (end - first).days
        for what, every in cadence.items():
            # Engaged customers meet as planned; disengaged ones skip meetings.
            count = int(span / every * (0.6 + 0.4 * propensity) + rng.random())
            for _ in range(count):
                day = first + timedelta(days=rng.randrange(max(1, span)))
                at = self.moment(day)
                if at.date() >= end:
                    continue
                who = rng.choice(contacts)
                if what == "qbr":
                    q = (at.month - 1) // 3 + 1
                    touch(
                        at,
                        "meeting",
                        f"QBR {q}º trimestre {at.year}",
                        f"## Revisão trimestral de sucesso\n\n**Participantes:** {decision['name']}, {champion['name']}\n\n"
                        f"- {mood()}\n- Metas revisadas: {rng.choice(GOALS)}\n- Próximos passos: {rng.choice(ACTIONS).lower()}",
                        subkind="qbr",
                        channel=rng.choice(("video", "in_person")),
                        contact_id=decision["id"],
                    )
                elif what == "check_in":
                    topic = rng.choice(TOPICS).format(feature=rng.choice(FEATURES))
                    touch(
                        at,
                        "meeting",
                        "Check-in",
                        f"Conversa sobre {topic}. {mood()}\n\n- [ ] {rng.choice(ACTIONS)}",
                        subkind="check_in",
                        channel="video",
                        contact_id=who["id"],
                    )
                elif what == "call":
                    topic = rng.choice(TOPICS).format(feature=rng.choice(FEATURES))
                    touch(
                        at,
                        "call",
                        f"Ligação com {who['name']}",
                        f"Falamos sobre {topic}. {mood()}",
                        channel="phone",
                        contact_id=who["id"],
                    )
                elif what == "email":
                    subject = rng.choice(EMAIL_SUBJECTS)
                    # The subject says what was sent (a greeting body would only repeat it).
                    touch(at, "email", subject, None, channel="email", contact_id=who["id"])
                else:
                    touch(at, "note", "Nota interna", f"**Observação:** {mood()}", contact_id=who["id"])

        # Tickets per week drive the ticket measures; unhappy, large customers open more.
        weekly_tickets = (0.05 + 0.6 * (1 - propensity) ** 2) * min(4.0, 0.5 + licensed / 40)
        if segment == "tech_touch":
            weekly_tickets *= 0.4
        week0 = first - timedelta(days=first.weekday())  # Monday of the first week
        weeks = max(0, (end - week0).days // 7)
        tickets_in_week = [0] * (weeks + 1)
        critical_in_week = [0] * (weeks + 1)
        for w in range(weeks + 1):
            n = _poisson(rng, weekly_tickets)
            for _ in range(n):
                day = week0 + timedelta(days=7 * w + rng.randrange(5))
                if day >= end or day < first:
                    continue
                severity = rng.choices(
                    vocab.TICKET_SEVERITIES, weights=(5, 4, 2, 0.5 + 2 * (1 - propensity))
                )[0]
                tickets_in_week[w] += 1
                critical_in_week[w] += severity == "critical"
                title = rng.choice(TICKET_TITLES)
                # The most numerous events: the title says it all, the requester is the contact.
                self.event(
                    rows,
                    account_id,
                    self.moment(day),
                    "ticket",
                    title,
                    None,
                    severity=severity,
                    channel=rng.choice(("email", "chat")),
                    source="auto",
                    contact_id=rng.choice(contacts)["id"],
                    data={"ticket": f"#{rng.randrange(10000, 99999)}"},
                )
                if severity == "critical" and segment in ("high_touch", "mid_touch") and rng.random() < 0.5:
                    self.event(
                        rows,
                        account_id,
                        self.moment(day + timedelta(days=1)),
                        "escalation",
                        f"Escalonamento: {title}",
                        "Chamado crítico escalonado para a liderança de suporte e produto.",
                        contact_id=decision["id"],
                    )

        # Surveys: NPS every six months, CSAT now and then.
        nps_every = 182
        day = first + timedelta(days=rng.randint(30, 120))
        while day < end:
            respondents = contacts[: {"high_touch": 3, "mid_touch": 2}.get(segment, 1)]
            for who in respondents:
                if rng.random() < 0.3:
                    continue  # not everyone answers
                score = max(0, min(10, round(rng.gauss(3 + 7 * propensity, 1.5))))
                band = nps_group(score)
                comment = rng.choice(NPS_COMMENTS[band]) or None
                at = self.moment(day) + timedelta(minutes=rng.randrange(600))
                self.survey(rows, account_id, who, "nps", score, comment, at, "email")
                if last_nps is None or at >= last_nps[0]:
                    last_nps = (at, score)
            if rng.random() < 0.5:
                who = rng.choice(contacts)
                score = max(1, min(5, round(rng.gauss(2 + 3 * propensity, 0.8))))
                at = self.moment(day + timedelta(days=rng.randint(20, 60)))
                if at.date() < end:
                    self.survey(rows, account_id, who, "csat", score, None, at, "in_app", scale=5)
            day += timedelta(days=nps_every + rng.randint(-10, 10))

        # Milestones, expansion talk and advocacy for the engaged ones; churn story for the rest.
        if segment in ("high_touch", "mid_touch"):
            for title in rng.sample(MILESTONES, k=rng.randint(1, 3)):
                day = first + timedelta(days=rng.randrange(max(1, (end - first).days)))
                if day < end:
                    self.event(
                        rows, account_id, self.moment(day), "milestone", f"Marco atingido: {title}", None
                    )
        if propensity > 0.7 and not churn_date and rng.random() < 0.6:
            day = self.today - timedelta(days=rng.randrange(1, 120))
            if day >= first:
                more = rng.randint(5, 50)
                self.event(
                    rows,
                    account_id,
                    self.moment(day),
                    "expansion_opportunity",
                    f"Oportunidade de expansão: +{more} licenças",
                    f"{champion['name']} comentou que outras áreas querem usar o sistema.",
                    contact_id=champion["id"],
                    data={"seats": more},
                )
        if propensity > 0.85 and rng.random() < 0.3:
            day = first + timedelta(days=rng.randrange(max(1, (end - first).days)))
            self.event(
                rows,
                account_id,
                self.moment(day),
                "advocacy",
                rng.choice(ADVOCACY),
                None,
                contact_id=champion["id"],
            )
        if churn_date:
            request = churn_date - timedelta(days=rng.randint(15, 45))
            if request >= first:
                touch(
                    self.moment(request),
                    "call",
                    "Pedido de cancelamento",
                    f"{decision['name']} informou a intenção de cancelar. {rng.choice(SENTIMENTS_BAD)}",
                    channel="phone",
                    contact_id=decision["id"],
                )
                self.event(
                    rows,
                    account_id,
                    self.moment(request),
                    "churn_request",
                    "Pedido de cancelamento",
                    None,
                    contact_id=decision["id"],
                )
                self.event(
                    rows,
                    account_id,
                    self.moment(request + timedelta(days=3)),
                    "save_attempt",
                    "Tentativa de retenção",
                    "Oferecido desconto de 15% e plano de recuperação; cliente manteve a decisão.",
                    contact_id=decision["id"],
                )

        active_now = self.measures(
            account_id,
            segment,
            week0,
            weeks,
            first,
            end,
            churn_date,
            propensity,
            history,
            seat_price,
            tickets_in_week,
            critical_in_week,
            rows,
        )
        return last_touch, (last_nps[1] if last_nps else None), active_now

    def measures(
        self,
        account_id: int,
        segment: str,
        week0: date,
        weeks: int,
        first: date,
        end: date,
        churn_date: date | None,
        propensity: float,
        history: list[tuple[date, int]],
        seat_price: int,
        tickets_in_week: list[int],
        critical_in_week: list[int],
        rows: _Rows,
    ) -> int:
        """Weekly usage (sparser for touch-light segments); returns the latest active users."""
        rng = self.rng
        # Weeks between samples: the touch-light long tail is what makes 50,000 accounts big.
        every = {"high_touch": 1, "mid_touch": 2, "low_touch": 4, "tech_touch": 8}[segment]
        active = 0
        h = 0
        mrr = history[0][1]
        out = rows.measures
        for w in range(0, weeks + 1, every):
            as_of = week0 + timedelta(days=7 * w + 6)  # Sunday closing week w
            if as_of < first or as_of >= end:
                continue
            while h + 1 < len(history) and history[h + 1][0] <= as_of:
                h += 1
                mrr = history[h][1] or mrr
            licensed = max(3, mrr // seat_price)
            # Usage drifts down before a churn, and for unhappy customers lately.
            decline = 1.0
            if churn_date:
                left = (churn_date - as_of).days
                if left < 120:
                    decline = max(0.1, left / 120)
            elif propensity < 0.4:
                recent = (self.today - as_of).days
                if recent < 90:
                    decline = 0.6 + 0.4 * recent / 90
            adoption = max(0.05, min(1.0, (0.25 + 0.7 * propensity) * decline + rng.gauss(0, 0.05)))
            active = max(0, min(licensed, round(licensed * adoption)))
            logins = round(active * rng.uniform(2.5, 5.0) * decline)
            key_use = round(max(0.0, min(100.0, 100 * adoption * rng.uniform(0.7, 1.0))), 1)
            day = (as_of - _EPOCH).days
            append = out.append
            append((account_id, _CODE["logins"], day, float(logins)))
            append((account_id, _CODE["active_users"], day, float(active)))
            append((account_id, _CODE["key_feature_use"], day, key_use))
            if segment == "high_touch":
                # The big accounts' usage reports carry their ticket counts; elsewhere Support
                # reads the ticket events (the same tickets: not stored twice).
                append((account_id, _CODE["tickets"], day, float(tickets_in_week[w])))
                append((account_id, _CODE["critical_tickets"], day, float(critical_in_week[w])))
            # Licences and payments change slowly: monthly for the big accounts, quarterly or
            # half-yearly for the long tail (licences are read up to a year back).
            if w % (4 if every < 4 else 12) == 0:
                append((account_id, _CODE["licensed_users"], day, float(licensed)))
                late = 0.0 if rng.random() < 0.5 + 0.5 * propensity else float(rng.choice((3, 7, 15, 30, 45)))
                append((account_id, _CODE["payment_delay_days"], day, late))
                if segment in ("high_touch", "mid_touch"):
                    pulse = float(max(1, min(5, round(1 + 4 * propensity * decline + rng.gauss(0, 0.5)))))
                    append((account_id, _CODE["csm_pulse"], day, pulse))
        return active

    def tasks(
        self, account_id: int, segment: str, propensity: float, renewal: date | None, rows: _Rows
    ) -> None:
        rng, today = self.rng, self.today
        planned: list[tuple[str, str, str, date]] = []
        if renewal and (renewal - today).days <= 90:
            planned.append(
                ("Preparar proposta de renovação", "renewal", "high", renewal - timedelta(days=30))
            )
        if segment == "high_touch" and rng.random() < 0.5:
            planned.append(
                ("Preparar QBR", "follow_up", "normal", today + timedelta(days=rng.randint(-5, 30)))
            )
        if propensity < 0.4 and rng.random() < 0.6:
            planned.append(
                (rng.choice(RISK_TASKS), "risk", "high", today + timedelta(days=rng.randint(-10, 14)))
            )
        if propensity > 0.8 and rng.random() < 0.15:
            planned.append(
                (
                    "Apresentar módulo adicional",
                    "expansion",
                    "normal",
                    today + timedelta(days=rng.randint(5, 45)),
                )
            )
        for title, kind, priority, due in planned:
            rows.tasks.append(
                {
                    "account_id": account_id,
                    "title": title,
                    "notes": None,
                    "due_date": due,
                    "priority": priority,
                    "kind": kind,
                    "status": "open",
                    "owner_side": "ours",
                    "origin": "manual",
                    "rule_key": None,
                    "plan_id": None,
                    "milestone_id": None,
                    "completed_at": None,
                }
            )


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
