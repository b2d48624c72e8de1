"""The demo's accounts and people: companies with valid CNPJs and domains, contacts, MRR history."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

from csdesk import vocab
from csdesk.demo.activity import _Activity
from csdesk.demo.rows import HISTORY_DAYS, SOURCE, _Rows
from csdesk.demo.words import (
    AREA_CODES,
    CORES,
    FIRST_NAMES,
    JOB_TITLES,
    LAST_NAMES,
    LEGAL_SUFFIXES,
    OWNERS,
    PLANS,
    PREFIXES,
    QUALIFIERS,
)
from csdesk.rules.names import fold, name_key

# Churn follows the hidden propensity that drives usage, NPS and tickets (so the health
# score), and usage drifts down before it: a book where the score can be seen to work,
# with enough churns (about 15% of the customers a year) to judge it in any 90 days.
CHURN_PROPENSITY = 1.4

# Segment by MRR (in R$), the usual criterion (domain §2).
SEGMENT_MIN_MRR = (("high_touch", 15_000), ("mid_touch", 4_000), ("low_touch", 1_000), ("tech_touch", 0))


def make_cnpj(base12: str) -> str:
    """Append the two CNPJ check digits to 12 digits."""

    def check(digits_: str) -> str:
        weights = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)[-len(digits_) :]
        rest = sum(int(d) * w for d, w in zip(digits_, weights, strict=True)) % 11
        return "0" if rest < 2 else str(11 - rest)

    first = check(base12)
    return base12 + first + check(base12 + first)


def _slug(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalnum())


def segment_for(mrr_cents: int) -> str:
    for segment, minimum in SEGMENT_MIN_MRR:
        if mrr_cents >= minimum * 100:
            return segment
    return "tech_touch"


def _anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _brl(cents: int) -> str:
    """R$ 1.234,56 — demo text is pt-BR whatever the UI language."""
    text = f"{cents / 100:,.2f}"
    return "R$ " + text.replace(",", "_").replace(".", ",").replace("_", ".")


class _Generator(_Activity):
    def __init__(self, seed: int, today: date):
        self.rng = random.Random(seed)
        self.today = today
        self.window_start = today - timedelta(days=HISTORY_DAYS)
        self.names: set[str] = set()
        self.domains: set[str] = set()
        self.cnpjs: set[str] = set()
        self.suffix_weights = [w for _, w in LEGAL_SUFFIXES]

    # -- identity --------------------------------------------------------
    def company(self) -> tuple[str, str, str]:
        """(name, industry, domain), unique by name_key and by domain."""
        rng = self.rng
        for attempt in range(50):
            prefix, industry = rng.choice(PREFIXES)
            core = rng.choice(CORES)
            qualifier = rng.choice(QUALIFIERS) if attempt < 20 else f"{rng.choice(QUALIFIERS)} {attempt}"
            base = " ".join(p for p in (prefix, core, qualifier.strip()) if p)
            key = name_key(base)
            if key not in self.names:
                break
        self.names.add(key)
        suffix = rng.choices(LEGAL_SUFFIXES, weights=self.suffix_weights)[0][0]
        name = f"{base} {suffix}"
        slug = _slug(f"{core} {qualifier}" if rng.random() < 0.5 else base)[:40]
        domain = f"{slug}.com.br"
        n = 2
        while domain in self.domains:
            domain = f"{slug}{n}.com.br"
            n += 1
        self.domains.add(domain)
        return name, industry, domain

    def cnpj(self) -> str:
        while True:
            base = f"{self.rng.randrange(10**8):08d}0001"
            number = make_cnpj(base)
            if number not in self.cnpjs and len(set(number)) > 1:
                self.cnpjs.add(number)
                return number

    def person(self) -> tuple[str, str]:
        first = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES)
        return f"{first} {last}", f"{_slug(first)}.{_slug(last)}"

    def moment(self, day: date) -> datetime:
        """A working-hours moment on (or right after) ``day``."""
        if day.weekday() >= 5:
            monday = day + timedelta(days=7 - day.weekday())
            # Never in the future: back to Friday when Monday is still to come.
            day = monday if monday <= self.today else day - timedelta(days=day.weekday() - 4)
        return datetime.combine(day, time(self.rng.randint(8, 17), self.rng.choice((0, 15, 30, 45))))

    # -- one account -------------------------------------------------------
    def account(self, account_id: int, first_contact_id: int, rows: _Rows) -> int:
        """Build every row of one account; return how many contacts it has."""
        rng, today = self.rng, self.today
        name, industry, domain = self.company()
        propensity = rng.betavariate(4, 2)  # most customers are fine, a tail is not
        plan, seat_price = rng.choices(PLANS, weights=(5, 4, 2))[0]
        # Seats follow a log-normal: most small, a few large.
        seats = max(3, int(math.exp(rng.gauss(math.log(15), 1.25))))
        seats = min(seats, 4000)
        start = today - timedelta(days=int(rng.triangular(5, 4 * 365, 3 * 365)))
        churn_date = None
        churn_reason = None
        # Low-propensity accounts that have been with us a while are likely gone.
        if (today - start).days > 120 and rng.random() < CHURN_PROPENSITY * (1 - propensity) ** 1.5:
            earliest = max(start + timedelta(days=90), today - timedelta(days=HISTORY_DAYS))
            span = (today - earliest).days
            if span > 10:
                churn_date = earliest + timedelta(days=rng.randrange(span))
                churn_reason = rng.choices(vocab.CHURN_REASONS, weights=(3, 4, 3, 2, 4, 2, 2, 2))[0]
        end = churn_date or today

        mrr, history = self.revenue(account_id, start, end, seats * seat_price, propensity, churn_date, rows)
        status = "churned" if churn_date else "active"
        first_mrr = history[0][1]
        segment = segment_for(max(mrr, first_mrr) if churn_date else mrr)
        renewal = None
        if not churn_date:
            years = 1
            while _anniversary(start, years) <= today:
                years += 1
            renewal = _anniversary(start, years)
        age = (today - start).days
        if churn_date:
            stage = "churned"
        elif age < 90:
            stage = "onboarding"
        elif age < 180:
            stage = "early_adoption"
        elif renewal and (renewal - today).days <= 90:
            stage = "renewal"
        elif propensity > 0.8 and rng.random() < 0.5:
            stage = "expansion"
        else:
            stage = "ongoing_adoption"
        licensed = max(3, mrr // seat_price) if mrr else max(3, first_mrr // seat_price)
        owner = rng.choice(OWNERS[:2]) if segment == "high_touch" else rng.choice(OWNERS)
        tier = {"high_touch": "Estratégico", "mid_touch": "Ouro", "low_touch": "Prata"}.get(segment, "Bronze")

        contacts = self.contacts(account_id, first_contact_id, segment, domain, rows)
        last_touch, last_nps, active = self.timeline(
            account_id,
            contacts,
            segment,
            start,
            end,
            churn_date,
            propensity,
            licensed,
            seat_price,
            history,
            rows,
        )
        rows.accounts.append(
            {
                "id": account_id,
                "name": name,
                "name_key": name_key(name),
                "external_id": f"DEMO-{account_id:05d}",
                "source": SOURCE,
                "cnpj": self.cnpj(),
                "domain": domain,
                "segment": segment,
                "tier": tier,
                "industry": industry,
                "plan": plan,
                "mrr_cents": mrr,
                "currency": "BRL",
                "contract_start": start,
                "renewal_date": renewal,
                "stage": stage,
                "status": status,
                "churn_date": churn_date,
                "churn_reason": churn_reason,
                "owner": owner,
                "licensed_users": licensed,
                "active_users": min(active, licensed),
                "custom_fields": {},
                "last_touch_at": last_touch,
                "health_score": None,
                "health_band": None,
                "health_trend": None,
                "last_nps": last_nps,
            }
        )
        if not churn_date:
            self.tasks(account_id, segment, propensity, renewal, rows)
        return len(contacts)

    def revenue(
        self,
        account_id: int,
        start: date,
        end: date,
        initial: int,
        propensity: float,
        churn_date: date | None,
        rows: _Rows,
    ) -> tuple[int, list[tuple[date, int]]]:
        """MRR history from the contract start; returns (current MRR, [(date, mrr_after)])."""
        rng = self.rng
        changes: list[tuple[date, str, int, int, str]] = [(start, "new", 0, initial, "Novo contrato")]
        mrr = initial
        month = 1
        while True:
            day = start + timedelta(days=30 * month)
            if day >= end:
                break
            roll = rng.random()
            if month % 12 == 0 and rng.random() < 0.5:
                after = int(mrr * rng.uniform(1.03, 1.06))
                changes.append((day, "expansion", mrr, after, "Reajuste anual (IPCA)"))
                mrr = after
            elif roll < 0.035 * propensity:
                after = mrr + int(mrr * rng.uniform(0.1, 0.5))
                reason = rng.choice(
                    ("Upsell: novas licenças", "Cross-sell: módulo adicional", "Upgrade de plano")
                )
                changes.append((day, "expansion", mrr, after, reason))
                mrr = after
            elif roll > 1 - 0.02 * (1 - propensity) and mrr > 20_000:
                after = mrr - int(mrr * rng.uniform(0.1, 0.35))
                reason = rng.choice(("Downsell: redução de licenças", "Downgrade de plano"))
                changes.append((day, "contraction", mrr, after, reason))
                mrr = after
            month += 1
        if churn_date:
            changes.append((churn_date, "churn", mrr, 0, "Cancelamento"))
            mrr = 0
        window = self.window_start
        for day, kind, before, after, reason in changes:
            rows.revenue.append(
                {
                    "account_id": account_id,
                    "effective_date": day,
                    "kind": kind,
                    "mrr_before_cents": before,
                    "mrr_after_cents": after,
                    "reason": reason,
                    "source": SOURCE,
                }
            )
            if day >= window:
                title = {
                    "new": "Novo contrato: {v}",
                    "expansion": "Expansão: {v}",
                    "contraction": "Retração: {v}",
                    "churn": "Cancelamento: {v}",
                }[kind].format(v=_brl(after if kind != "churn" else before))
                self.event(
                    rows,
                    account_id,
                    datetime.combine(day, time(9)),
                    "revenue_change",
                    title,
                    f"{reason}. MRR de {_brl(before)} para {_brl(after)}.",
                    subkind=kind,
                    source="auto",
                    data={"mrr_before_cents": before, "mrr_after_cents": after},
                )
        return mrr, [(c[0], c[3]) for c in changes]

    def contacts(self, account_id: int, first_id: int, segment: str, domain: str, rows: _Rows) -> list[dict]:
        rng = self.rng
        count = {
            "high_touch": rng.randint(5, 8),
            "mid_touch": rng.randint(3, 5),
            "low_touch": rng.randint(2, 3),
        }.get(segment, rng.randint(1, 2))
        roles = ["champion", "sponsor", "decision_maker"][: max(1, count - 1)] + ["user"] * max(0, count - 3)
        roles = roles[:count]
        out = []
        used: set[str] = set()
        for n, role in enumerate(roles):
            name, local = self.person()
            while local in used:
                name, local = self.person()
            used.add(local)
            contact = {
                "id": first_id + n,
                "account_id": account_id,
                "name": name,
                "role": role,
                "job_title": rng.choice(JOB_TITLES[role]),
                "email": f"{local}@{domain}",
                "phone": f"({rng.choice(AREA_CODES)}) 9{rng.randrange(1000, 9999)}-{rng.randrange(10000):04d}",
                "is_primary": n == 0,
                "external_id": None,
                "source": SOURCE,
            }
            rows.contacts.append(contact)
            out.append(contact)
        return out
