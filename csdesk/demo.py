"""A realistic, deterministic pt-BR book of business for demos, tests and benchmarks.

``generate(db, accounts=200, seed=1)`` fills an empty database with Brazilian
companies (valid CNPJs, domains, contacts), their MRR history as revenue
changes, two years of timeline events, survey answers, weekly usage measures
and a few open tasks. The same seed and ``today`` always give the same data.

Each account has a hidden "propensity" (0..1) that drives everything about it:
usage, NPS, tickets, expansions, and whether it churns; so health scores and
metrics computed from the demo data tell a coherent story.

Speed matters (benchmarks use 50,000 accounts): rows are built as plain dicts
and written with Core ``insert()`` executemany in one transaction, a chunk of
accounts at a time. Touch-light segments get fewer events and sparser
measures, as they would in real life.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, Connection, Date, DateTime, delete, func, insert, select

from csdesk import clock, ledger, vocab
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.nps import nps_group
from csdesk.progress import SILENT, Progress, write_waiting
from csdesk.rules.names import fold, name_key
from db import Database, bulk, search
from db.models import (
    MEASURE_CODES,
    Account,
    Contact,
    Measure,
    RevenueChange,
    SurveyResponse,
    Task,
    TimelineEvent,
)
from db.schema import vacuum_sqlite

SOURCE = "demo"
MEASURE_COLUMNS = ("account_id", "metric", "as_of", "value")
_CODE = {word: code for code, word in enumerate(MEASURE_CODES)}
_EPOCH = date(1970, 1, 1)
HISTORY_DAYS = 730  # timeline events and measures cover the last two years
CHUNK = 500  # accounts per bulk write
# Churn follows the hidden propensity that drives usage, NPS and tickets (so the health
# score), and usage drifts down before it: a book where the score can be seen to work,
# with enough churns (about 15% of the customers a year) to judge it in any 90 days.
CHURN_PROPENSITY = 1.4

# Segment by MRR (in R$), the usual criterion (domain §2).
SEGMENT_MIN_MRR = (("high_touch", 15_000), ("mid_touch", 4_000), ("low_touch", 1_000), ("tech_touch", 0))

OWNERS = (
    "Ana Beatriz Lima",
    "Carlos Eduardo Souza",
    "Fernanda Rocha",
    "Juliana Martins",
    "Rafael Oliveira",
    "Marcos Vinícius Alves",
)

# (prefix, industry) — the prefix says what kind of business it is.
PREFIXES = (
    ("Padaria", "Alimentação"),
    ("Supermercado", "Varejo"),
    ("Mercearia", "Varejo"),
    ("Açougue", "Alimentação"),
    ("Restaurante", "Alimentação"),
    ("Distribuidora", "Distribuição"),
    ("Atacadão", "Varejo"),
    ("Indústria", "Indústria"),
    ("Metalúrgica", "Indústria"),
    ("Têxtil", "Indústria"),
    ("Laticínios", "Agronegócio"),
    ("Agropecuária", "Agronegócio"),
    ("Cooperativa", "Agronegócio"),
    ("Laboratório", "Saúde"),
    ("Clínica", "Saúde"),
    ("Hospital", "Saúde"),
    ("Farmácia", "Saúde"),
    ("Odontologia", "Saúde"),
    ("Colégio", "Educação"),
    ("Escola", "Educação"),
    ("Faculdade", "Educação"),
    ("Transportadora", "Logística"),
    ("Logística", "Logística"),
    ("Construtora", "Construção"),
    ("Imobiliária", "Imobiliário"),
    ("Contabilidade", "Serviços"),
    ("Advocacia", "Serviços"),
    ("Consultoria", "Serviços"),
    ("Agência", "Marketing"),
    ("Rede", "Varejo"),
    ("Lojas", "Varejo"),
    ("Ótica", "Varejo"),
    ("Auto Peças", "Automotivo"),
    ("Concessionária", "Automotivo"),
    ("Hotel", "Turismo"),
    ("Pousada", "Turismo"),
    ("Tecnologia", "Tecnologia"),
    ("Software", "Tecnologia"),
    ("Financeira", "Serviços financeiros"),
    ("Seguros", "Serviços financeiros"),
)
CORES = (
    "Pitanga",
    "Ipê Amarelo",
    "Cerrado",
    "Conceição",
    "Jequitibá",
    "Aroeira",
    "Buriti",
    "Caju",
    "Jabuticaba",
    "Araucária",
    "Sabiá",
    "Bem-te-vi",
    "Tucano",
    "Guarani",
    "Itapuã",
    "Iracema",
    "Horizonte",
    "Boa Vista",
    "Vale Verde",
    "Serra Azul",
    "Mar Aberto",
    "Três Rios",
    "Santa Clara",
    "São Jorge",
    "São Francisco",
    "Santa Luzia",
    "Bom Jesus",
    "Estrela",
    "Aurora",
    "Primavera",
    "Girassol",
    "Manacá",
    "Jacarandá",
    "Paineira",
    "Carnaúba",
    "Babaçu",
    "Açaí",
    "Cupuaçu",
    "Graviola",
    "Mandacaru",
    "Juazeiro",
    "Tamarindo",
    "Maracujá",
    "Goiaba",
    "Acerola",
    "Pequi",
    "Baru",
    "Guaraná",
    "Arara",
    "Capivara",
    "Tatu",
    "Lobo-guará",
    "Onça",
    "Beija-flor",
    "Colibri",
    "Pantanal",
    "Chapada",
    "Sertão",
    "Litoral",
    "Planalto",
    "Paraíso",
    "Esperança",
    "Harmonia",
    "Progresso",
    "União",
    "Aliança",
    "Vitória",
    "Triunfo",
    "Nova Era",
    "Novo Tempo",
    "Pioneira",
    "Central",
    "Atlântico",
    "Pacífico",
    "Amazonas",
    "Tocantins",
    "Paraná",
    "Tietê",
    "Iguaçu",
    "Xingu",
    "Oliveira",
    "Souza",
    "Almeida",
    "Pereira",
    "Carvalho",
    "Ribeiro",
    "Gomes",
    "Barbosa",
    "Teixeira",
    "Moreira",
    "Cardoso",
    "Rocha",
    "Dias",
    "Nogueira",
    "Moura",
    "Campos",
    "Freitas",
    "Vieira",
    "Cavalcanti",
    "Albuquerque",
    "Siqueira",
    "Tavares",
    "Menezes",
    "Bezerra",
    "Macedo",
    "Queiroz",
)
QUALIFIERS = (
    "",
    "",
    "",
    "",
    "do Brasil",
    "Paulista",
    "Mineira",
    "Gaúcha",
    "Baiana",
    "Carioca",
    "Capixaba",
    "Nordeste",
    "do Sul",
    "do Norte",
    "Premium",
    "& Filhos",
    "Irmãos",
    "Express",
    "Center",
    "Brasil",
)
LEGAL_SUFFIXES = (
    ("Ltda", 40),
    ("S/A", 10),
    ("S.A.", 8),
    ("ME", 12),
    ("EPP", 12),
    ("EIRELI", 6),
    ("Ltda ME", 6),
)
PLANS = (("Essencial", 4_990), ("Profissional", 8_990), ("Enterprise", 14_990))  # price per seat, cents

FIRST_NAMES = (
    "Ana",
    "Beatriz",
    "Camila",
    "Daniela",
    "Eduarda",
    "Fernanda",
    "Gabriela",
    "Helena",
    "Isabela",
    "Juliana",
    "Larissa",
    "Mariana",
    "Natália",
    "Patrícia",
    "Renata",
    "Sofia",
    "Tatiane",
    "Vanessa",
    "Aline",
    "Bruna",
    "Carolina",
    "Débora",
    "Luana",
    "Priscila",
    "Rafaela",
    "Simone",
    "Adriana",
    "André",
    "Bruno",
    "Carlos",
    "Diego",
    "Eduardo",
    "Felipe",
    "Gustavo",
    "Henrique",
    "Igor",
    "João",
    "Lucas",
    "Marcelo",
    "Nicolas",
    "Otávio",
    "Paulo",
    "Rodrigo",
    "Sérgio",
    "Thiago",
    "Vinícius",
    "Wagner",
    "Leonardo",
    "Ricardo",
    "Fábio",
    "Márcio",
    "Roberto",
    "Alexandre",
    "Fernando",
    "Mateus",
)
LAST_NAMES = (
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Nascimento",
    "Andrade",
    "Moreira",
    "Nunes",
    "Marques",
    "Machado",
    "Mendes",
    "Freitas",
    "Cardoso",
    "Ramos",
    "Gonçalves",
    "Santana",
    "Teixeira",
    "Araújo",
)
JOB_TITLES = {
    "champion": ("Coordenador(a) de Operações", "Gerente de Projetos", "Analista de Processos Sênior"),
    "sponsor": ("Diretor(a) Financeiro(a)", "Diretor(a) de Operações", "Diretor(a) Comercial"),
    "decision_maker": ("CEO", "Sócio(a)-diretor(a)", "Diretor(a) Geral"),
    "user": (
        "Analista Administrativo",
        "Assistente Financeiro",
        "Supervisor(a) de Loja",
        "Analista Comercial",
    ),
}
AREA_CODES = ("11", "21", "31", "41", "51", "61", "71", "81", "85", "62", "48", "27", "19", "16")

GOALS = (
    "reduzir o tempo de fechamento do mês de 10 para 4 dias",
    "centralizar o atendimento das filiais em um só painel",
    "aumentar a conversão de orçamentos em 15%",
    "eliminar as planilhas paralelas do financeiro",
    "ter indicadores de estoque atualizados diariamente",
    "diminuir a inadimplência da carteira em 20%",
    "padronizar o processo comercial entre as equipes",
    "automatizar a emissão de notas fiscais",
)
FEATURES = (
    "painel de indicadores",
    "relatórios gerenciais",
    "integração com o ERP",
    "app móvel",
    "automação de cobrança",
    "módulo de estoque",
    "fluxo de aprovação",
    "exportação para Excel",
)
TOPICS = (
    "adoção do {feature}",
    "dúvidas sobre o {feature}",
    "expansão para novas filiais",
    "próximos passos do plano de sucesso",
    "renovação do contrato",
    "treinamento de novos usuários",
    "resultados do último trimestre",
    "a integração com o ERP",
)
SENTIMENTS_GOOD = (
    "Cliente muito satisfeito com os resultados.",
    "A equipe está engajada e usando o sistema todos os dias.",
    "Campeão elogiou o suporte e quer apresentar o caso para a diretoria.",
)
SENTIMENTS_NEUTRAL = (
    "Uso estável, sem grandes novidades.",
    "Cliente pediu mais tempo para avaliar a nova funcionalidade.",
    "Algumas dúvidas operacionais, nada crítico.",
)
SENTIMENTS_BAD = (
    "Cliente reclamou da lentidão e da quantidade de chamados abertos.",
    "Sponsor questionou o retorno do investimento.",
    "Baixa adesão da equipe; precisamos de um plano de recuperação.",
)
ACTIONS = (
    "Enviar material do treinamento",
    "Agendar sessão com a equipe de suporte",
    "Compartilhar relatório de uso",
    "Apresentar roadmap do próximo semestre",
    "Revisar metas do plano de sucesso",
    "Validar contatos da conta",
)
EMAIL_SUBJECTS = (
    "Resumo da reunião",
    "Material do treinamento",
    "Relatório de uso mensal",
    "Proposta de renovação",
    "Convite para o webinar",
    "Acesso de novos usuários",
    "Próximos passos",
    "Pesquisa de satisfação",
)
TICKET_TITLES = (
    "Erro ao exportar relatório",
    "Lentidão no painel de indicadores",
    "Dúvida sobre faturamento",
    "Integração com o ERP falhando",
    "Usuário sem acesso ao sistema",
    "Nota fiscal não gerada",
    "Boleto com valor incorreto",
    "Falha na sincronização do app",
    "Permissões de usuário",
    "Importação de planilha com erro",
)
NPS_COMMENTS = {
    "promoter": ("Ótimo suporte", "Facilitou muito nosso dia a dia", "Recomendo, equipe atenciosa", ""),
    "passive": ("Bom, mas poderia ser mais rápido", "Faltam alguns relatórios", "", "Atende bem"),
    "detractor": (
        "Relatórios confusos",
        "Muitos chamados sem solução",
        "Caro para o que entrega",
        "Sistema lento",
    ),
}
MILESTONES = (
    "Integração com o ERP concluída",
    "Go-live da operação",
    "Primeiro relatório gerencial",
    "Todos os usuários treinados",
)
ADVOCACY = ("Indicação de novo cliente", "Depoimento gravado para o site", "Estudo de caso publicado")
RISK_TASKS = (
    "Montar plano de recuperação",
    "Ligar para o sponsor sobre os chamados",
    "Revisar uso com o campeão",
)


@dataclass(frozen=True)
class DemoSummary:
    accounts: int
    contacts: int
    events: int
    revenue_changes: int
    measures: int
    surveys: int
    tasks: int
    churned: int
    mrr_cents: int  # active accounts only


@dataclass
class _Rows:
    accounts: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    revenue: list[dict[str, Any]] = field(default_factory=list)
    # Measures are the bulk of the rows: plain tuples in MEASURE_COLUMNS order, the metric as
    # its stored code and the day as a day number (what db.models stores).
    measures: list[tuple[int, int, int, float]] = field(default_factory=list)
    surveys: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)


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


class _Generator:
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
        title: str,
        channel: str,
    ) -> None:
        """A survey answer and the timeline event that shows it."""
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
            title,
            comment,
            channel=channel,
            source="auto",
            contact_id=who["id"],
            data={"score": score},
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
                self.survey(rows, account_id, who, "nps", score, comment, at, f"NPS: {score}", "email")
                if last_nps is None or at >= last_nps[0]:
                    last_nps = (at, score)
            if rng.random() < 0.5:
                who = rng.choice(contacts)
                score = max(1, min(5, round(rng.gauss(2 + 3 * propensity, 0.8))))
                at = self.moment(day + timedelta(days=rng.randint(20, 60)))
                if at.date() < end:
                    self.survey(rows, account_id, who, "csat", score, None, at, f"CSAT: {score}/5", "in_app")
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


def _brl(cents: int) -> str:
    """R$ 1.234,56 — demo text is pt-BR whatever the UI language."""
    text = f"{cents / 100:,.2f}"
    return "R$ " + text.replace(",", "_").replace(".", ",").replace("_", ".")


_TABLES = (
    ("accounts", Account),
    ("contacts", Contact),
    ("revenue", RevenueChange),
    ("events", TimelineEvent),
    ("surveys", SurveyResponse),
    ("tasks", Task),
)


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy's SQLite types would store, without their per-row overhead."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else "{}"
    return value


def _write(conn: Connection, model: type, batch: list[dict[str, Any]]) -> None:
    """Bulk insert; on SQLite straight through the driver's executemany (3x faster)."""
    if conn.dialect.name != "sqlite":
        conn.execute(insert(model), batch)
        return
    columns = list(batch[0])
    table = model.__table__
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    convert = [isinstance(table.c[c].type, (Date, DateTime, JSON)) for c in columns]
    if any(convert):
        params = [
            tuple(_sqlite_value(v) if conv else v for v, conv in zip(row.values(), convert, strict=True))
            for row in batch
        ]
    else:
        params = [tuple(row.values()) for row in batch]
    conn.exec_driver_sql(sql, params)


def _write_measures(conn: Connection, batch: list[tuple[int, int, int, float]]) -> None:
    if not batch:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(
            insert(Measure),
            [
                {
                    "account_id": a,
                    "metric": MEASURE_CODES[m],
                    "as_of": _EPOCH + timedelta(days=d),
                    "value": v,
                    "source": SOURCE,
                }
                for a, m, d, v in batch
            ],
        )
        return
    conn.exec_driver_sql(
        f"INSERT INTO measures ({', '.join(MEASURE_COLUMNS)}, source) VALUES (?, ?, ?, ?, '{SOURCE}')", batch
    )


def generate(
    db: Database,
    accounts: int = 200,
    seed: int = 1,
    progress: Progress = SILENT,
    today: date | None = None,
) -> DemoSummary:
    """Fill an empty database with a demo book of ``accounts`` accounts; all or nothing."""
    if accounts < 1:
        raise UserError(tr("The number of demo accounts must be at least 1."))
    today = today or clock.today()
    gen = _Generator(seed, today)
    counts = dict.fromkeys([name for name, _ in _TABLES] + ["measures"], 0)
    churned = 0
    mrr_total = 0
    with (
        db.connect(write=True, waiting=write_waiting(progress)) as conn,
        conn.begin(),
        search.bulk_insert(conn),
    ):
        if conn.execute(select(func.count()).select_from(Account)).scalar():
            raise _has_accounts()
        next_contact = (conn.execute(select(func.max(Contact.id))).scalar() or 0) + 1
        done = 0
        progress.step(0, accounts, tr("Creating demo accounts…"), force=True)
        while done < accounts:
            rows = _Rows()
            for account_id in range(done + 1, min(accounts, done + CHUNK) + 1):
                next_contact += gen.account(account_id, next_contact, rows)
            for name, model in _TABLES:
                batch = getattr(rows, name)
                if batch:
                    if model is RevenueChange:  # the ledger is written by its one service
                        ledger.insert_movements(
                            conn, batch, lambda c, _table, rows, m=model: _write(c, m, rows)
                        )
                    else:
                        _write(conn, model, batch)
                    counts[name] += len(batch)
            _write_measures(conn, rows.measures)
            counts["measures"] += len(rows.measures)
            churned += sum(1 for a in rows.accounts if a["status"] == "churned")
            mrr_total += sum(a["mrr_cents"] for a in rows.accounts)
            done += len(rows.accounts)
            progress.step(done, accounts, tr("Creating demo accounts…"))
        bulk.continue_ids(conn)  # the generator chose the accounts' and contacts' ids
    vacuum_sqlite(db.engine)  # written in bulk: repacked, its pages full
    return DemoSummary(
        accounts=counts["accounts"],
        contacts=counts["contacts"],
        events=counts["events"],
        revenue_changes=counts["revenue"],
        measures=counts["measures"],
        surveys=counts["surveys"],
        tasks=counts["tasks"],
        churned=churned,
        mrr_cents=mrr_total,
    )


def create_book(
    db: Database,
    accounts: int = 200,
    seed: int = 1,
    progress: Progress = SILENT,
    today: date | None = None,
) -> DemoSummary:
    """The demo book as the user first sees it: accounts, then their health history, then plans.

    Scores are computed before this returns (the book never shows a demo without
    its health), and the success plans come last because get-well plans follow
    the red accounts. The CLI and the welcome screen both call this.
    """
    if db.sqlite_path is None:  # in memory or a server: step by step in the database itself
        try:
            return _fill(db, accounts, seed, progress, today)
        except BaseException:
            # Cancelled or failed after the accounts were committed: take them back out (with
            # everything that hangs off them), so the book never keeps a demo without its health.
            with db.transaction() as session:
                session.execute(delete(Account).where(Account.source == SOURCE))
            raise
    # A SQLite book is built in a scratch file beside it, then copied in as one transaction, so a
    # CSDesk killed (or cancelled) between the steps never leaves demo accounts without their health.
    from db.engine import copy_into, open_database

    _refuse_a_book_with_accounts(db)
    scratch = db.sqlite_path.with_name(f"{db.sqlite_path.name}.demo")
    _remove_sqlite_file(scratch)  # what a killed run may have left
    try:
        built = open_database(scratch)
        try:
            summary = _fill(built, accounts, seed, progress, today)
            vacuum_sqlite(built.engine)  # the health history written, repacked before it is copied in
        finally:
            built.dispose()
        _refuse_a_book_with_accounts(db)  # another CSDesk may have written to it meanwhile
        copy_into(scratch, db)
    finally:
        _remove_sqlite_file(scratch)
    return summary


def _fill(db: Database, accounts: int, seed: int, progress: Progress, today: date | None) -> DemoSummary:
    from csdesk import health, plans

    summary = generate(db, accounts=accounts, seed=seed, progress=progress, today=today)
    health.recompute(db, today=today, progress=progress)
    plans.add_demo_plans(db, seed=seed, today=today)
    return summary


def _refuse_a_book_with_accounts(db: Database) -> None:
    with db.session() as session:
        if session.scalar(select(func.count()).select_from(Account)):
            raise _has_accounts()


def _has_accounts() -> UserError:
    return UserError(tr("The database already has accounts; create the demo book in a new database."))


def _remove_sqlite_file(path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
