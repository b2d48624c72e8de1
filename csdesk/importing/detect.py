"""What a file is: its source CRM, the kind of records, and which column holds which field.

Headers are matched through alias tables (English and pt-BR labels of
Salesforce, HubSpot, Pipedrive, Zoho, RD Station and of CSMs' own sheets).
Pipedrive's ``Entity - Field`` labels are matched whole and without the
entity. A vocabulary column (segment, stage, status) is only mapped
automatically when most of its values are words of that vocabulary: HubSpot's
"Lifecycle stage" holds "Customer", not a customer-success stage.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from csdesk.i18n import tr
from csdesk.importing import values as V
from csdesk.importing.reading import Table

KINDS = ("accounts", "contacts", "deals", "activities", "surveys", "usage", "mrr")
SOURCES = ("salesforce", "hubspot", "pipedrive", "zoho", "rdstation", "spreadsheet")
KIND_LABELS = {
    "accounts": "Accounts",
    "contacts": "Contacts",
    "deals": "Deals",
    "activities": "Activities",
    "surveys": "Survey answers",
    "usage": "Usage",
    "mrr": "MRR history",
}
SOURCE_LABELS = {
    "salesforce": "Salesforce",
    "hubspot": "HubSpot",
    "pipedrive": "Pipedrive",
    "zoho": "Zoho CRM",
    "rdstation": "RD Station CRM",
    "spreadsheet": "Spreadsheet",
}


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str  # English, through tr() when shown
    type: str  # text, money, int, number, date, datetime, bool, ref, email, score, vocab names
    required: bool = False


def _f(key: str, label: str, type_: str = "text", required: bool = False) -> FieldSpec:
    return FieldSpec(key, label, type_, required)


FIELDS: dict[str, list[FieldSpec]] = {
    "accounts": [
        _f("name", "Account name", required=True),
        _f("external_id", "External id"),
        _f("cnpj", "CNPJ", "cnpj"),
        _f("domain", "Website / domain", "domain"),
        _f("segment", "Segment", "segment"),
        _f("tier", "Tier"),
        _f("industry", "Industry"),
        _f("plan", "Plan"),
        _f("mrr", "MRR", "money"),
        _f("arr", "ARR (divided by 12)", "money"),
        _f("currency", "Currency", "currency"),
        _f("contract_start", "Contract start", "date"),
        _f("renewal_date", "Renewal date", "date"),
        _f("stage", "Stage", "stage"),
        _f("status", "Status", "account_status"),
        _f("churn_date", "Churn date", "date"),
        _f("churn_reason", "Churn reason", "churn_reason"),
        _f("owner", "Owner (CSM)"),
        _f("licensed_users", "Licensed users", "int"),
        _f("active_users", "Active users", "int"),
    ],
    "contacts": [
        _f("account", "Account", "ref", True),
        _f("name", "Contact name"),
        _f("first_name", "First name"),
        _f("last_name", "Last name"),
        _f("email", "E-mail", "email"),
        _f("phone", "Phone"),
        _f("job_title", "Job title"),
        _f("role", "Role", "role"),
        _f("is_primary", "Primary contact", "bool"),
        _f("external_id", "External id"),
    ],
    "deals": [
        _f("account", "Account", "ref", True),
        _f("title", "Deal title"),
        _f("external_id", "External id"),
        _f("value", "Recurring value (monthly)", "money"),
        _f("one_off_value", "One-off value", "money"),
        _f("status", "Deal status", "deal_status", True),
        _f("won_date", "Won / close date", "date"),
        _f("owner", "Owner"),
        _f("stage", "Pipeline stage"),
        _f("lost_reason", "Lost reason"),
        _f("currency", "Currency", "currency"),
    ],
    "activities": [
        _f("account", "Account", "ref", True),
        _f("subject", "Subject"),
        _f("type", "Activity type", "activity_type"),
        _f("date", "Date", "datetime", True),
        _f("note", "Note"),
        _f("done", "Done", "bool"),
        _f("owner", "Owner"),
        _f("external_id", "External id"),
    ],
    "surveys": [
        _f("account", "Account", "ref", True),
        _f("answered_at", "Answered at", "datetime", True),
        _f("respondent", "Respondent e-mail"),
        _f("nps", "NPS score (0-10)", "score"),
        _f("csat", "CSAT score (1-5, 1-10 or 0-10)", "score"),
        _f("ces", "CES score (1-7)", "score"),
        _f("comment", "Comment"),
    ],
    "usage": [
        _f("account", "Account", "ref", True),
        _f("date", "Date", "date", True),
        _f("active_users", "Active users", "number"),
        _f("licensed_users", "Licensed users", "number"),
        _f("logins", "Logins", "number"),
        _f("tickets", "Tickets", "number"),
        _f("critical_tickets", "Critical tickets", "number"),
        _f("key_feature_use", "Key feature use", "number"),
        _f("payment_delay_days", "Payment delay (days)", "number"),
    ],
    "mrr": [
        _f("account", "Account", "ref", True),
        _f("date", "Date", "date", True),
        _f("mrr", "MRR", "money"),
        _f("arr", "ARR (divided by 12)", "money"),
    ],
}
FIELD_LABELS = {spec.key: spec.label for specs in FIELDS.values() for spec in specs}
# Usage columns are stored as Measure rows with these metric keys (csdesk.vocab.MEASURES).
USAGE_METRICS = (
    "active_users",
    "licensed_users",
    "logins",
    "tickets",
    "critical_tickets",
    "key_feature_use",
    "payment_delay_days",
)


def spec(kind: str, key: str) -> FieldSpec:
    return next(s for s in FIELDS[kind] if s.key == key)


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {V.word_key(alias): key for key, words in table.items() for alias in words}


_ACCOUNT_NAME = (
    "account name",
    "nome da conta",
    "conta",
    "company name",
    "nome da empresa",
    "empresa",
    "cliente",
    "organization name",
    "organizacao nome",
    "organization",
    "organizacao",
    "razao social",
    "nome fantasia",
    "customer",
    "customer name",
    "nome do cliente",
    "account",
    "company",
    "organizacao nome da organizacao",
)
_OWNER = (
    "account owner",
    "proprietario da conta",
    "csm",
    "owner",
    "responsavel",
    "company owner",
    "proprietario da empresa",
    "dono",
    "gerente de contas",
    "proprietario",
    "organization owner",
    "organizacao proprietario",
    "deal owner",
    "negocio proprietario",
    "proprietario do negocio",
    "atividade proprietario",
    "activity owner",
    "usuario",
    "assigned to",
    "atribuido a",
    "cs responsavel",
)

ALIASES: dict[str, dict[str, str]] = {
    "accounts": _aliases(
        {
            "name": _ACCOUNT_NAME + ("name", "nome"),
            "external_id": (
                "account id",
                "id da conta",
                "record id",
                "id do registro",
                "id",
                "organization id",
                "organizacao id",
                "id da empresa",
                "company id",
                "codigo do cliente",
                "codigo",
            ),
            "cnpj": ("cnpj", "cnpj cpf", "cpf cnpj", "documento", "tax id", "organizacao cnpj"),
            "domain": (
                "website",
                "site",
                "company domain name",
                "nome de dominio da empresa",
                "dominio",
                "domain",
                "url",
                "web site",
                "organizacao site",
                "organization website",
            ),
            "segment": (
                "segmento",
                "segment",
                "touch model",
                "modelo de atendimento",
                "tipo de atendimento",
                "cs segment",
                "segmento de cs",
                "modelo de contato",
                "touch",
            ),
            "tier": ("tier", "nivel", "classificacao", "account tier", "curva", "curva abc"),
            "industry": (
                "industry",
                "setor",
                "ramo",
                "ramo de atividade",
                "vertical",
                "segmento de mercado",
                "organizacao segmento",
                "organization industry",
                "industria",
                "setor de atuacao",
            ),
            "plan": (
                "plano",
                "plan",
                "produto",
                "product",
                "pacote",
                "edition",
                "edicao",
                "plano contratado",
            ),
            "mrr": (
                "mrr",
                "mensalidade",
                "valor mensal",
                "receita recorrente mensal",
                "valor recorrente",
                "recurring revenue",
                "monthly recurring revenue",
                "valor da mensalidade",
                "monthly fee",
                "mrr brl",
                "receita mensal",
                "mrr r",
                "mensalidade r",
                "monthly revenue",
            ),
            "arr": (
                "arr",
                "valor anual",
                "annual recurring revenue",
                "receita recorrente anual",
                "valor anual do contrato",
                "annual contract value",
                "acv",
            ),
            "currency": (
                "moeda",
                "currency",
                "currency code",
                "moeda do valor",
                "account currency",
                "moeda da conta",
                "codigo da moeda",
                "currency iso code",
                "account currency iso code",
                "currencyisocode",
            ),
            "contract_start": (
                "contract start date",
                "contract start",
                "inicio do contrato",
                "data de inicio",
                "inicio",
                "data de assinatura",
                "customer since",
                "cliente desde",
                "start date",
                "data de inicio do contrato",
                "inicio da vigencia",
                "data do contrato",
            ),
            "renewal_date": (
                "renewal date",
                "renovacao",
                "data de renovacao",
                "proxima renovacao",
                "vencimento do contrato",
                "contract end date",
                "fim do contrato",
                "contract end",
                "termino do contrato",
                "fim da vigencia",
                "data da renovacao",
                "renewal",
            ),
            "stage": (
                "fase",
                "etapa",
                "stage",
                "jornada",
                "fase da jornada",
                "cs stage",
                "estagio",
                "lifecycle stage",
                "estagio do ciclo de vida",
                "etapa da jornada",
                "fase do cliente",
            ),
            "status": (
                "status",
                "customer status",
                "situacao",
                "status do cliente",
                "account status",
                "situacao do cliente",
                "status da conta",
            ),
            "churn_date": (
                "churn date",
                "data do cancelamento",
                "data de cancelamento",
                "cancelado em",
                "data do churn",
                "cancellation date",
                "churned on",
                "data de saida",
            ),
            "churn_reason": (
                "motivo do cancelamento",
                "motivo de cancelamento",
                "churn reason",
                "motivo do churn",
                "cancellation reason",
                "motivo",
                "reason",
            ),
            "owner": _OWNER,
            "licensed_users": (
                "licencas",
                "licenses",
                "licencas contratadas",
                "usuarios contratados",
                "seats",
                "assentos",
                "licensed users",
                "numero de licencas",
            ),
            "active_users": ("usuarios ativos", "active users"),
        }
    ),
    "contacts": _aliases(
        {
            "account": _ACCOUNT_NAME
            + (
                "associated company",
                "empresa associada",
                "pessoa organizacao",
                "person organization",
                "empresa principal associada",
                "primary associated company",
                "organizacao",
            ),
            "name": (
                "name",
                "nome",
                "full name",
                "nome completo",
                "contact name",
                "nome do contato",
                "pessoa nome",
                "person name",
                "contato",
            ),
            "first_name": ("first name", "primeiro nome", "nome proprio"),
            "last_name": ("last name", "sobrenome", "ultimo nome"),
            "email": (
                "email",
                "e mail",
                "endereco de e mail",
                "pessoa email",
                "pessoa email work",
                "person email",
                "email address",
                "e mail do contato",
                "email work",
                "pessoa e mail",
            ),
            "phone": (
                "phone",
                "telefone",
                "phone number",
                "numero de telefone",
                "celular",
                "mobile",
                "pessoa telefone",
                "pessoa telefone work",
                "telefone work",
                "mobile phone number",
            ),
            "job_title": ("job title", "cargo", "title", "funcao", "titulo do cargo", "pessoa cargo"),
            "role": ("papel", "role", "contact role", "papel do contato", "papel no cliente"),
            "is_primary": ("primary", "principal", "contato principal", "primary contact"),
            "external_id": (
                "record id",
                "id do registro",
                "contact id",
                "id do contato",
                "pessoa id",
                "person id",
                "id",
            ),
        }
    ),
    "deals": _aliases(
        {
            "account": (
                "deal organization",
                "negocio organizacao",
                "organizacao",
                "organization",
                "organization name",
                "organizacao nome",
                "associated company",
                "empresa associada",
                "account name",
                "nome da conta",
                "empresa",
                "cliente",
                "conta",
                "company",
                "nome da empresa",
                "negociacao empresa",
            ),
            "title": (
                "deal title",
                "negocio titulo",
                "titulo",
                "deal name",
                "nome do negocio",
                "negociacao",
                "nome da negociacao",
                "title",
                "nome",
            ),
            "external_id": ("deal id", "negocio id", "id", "record id", "id do registro", "id da negociacao"),
            "value": (
                "deal value",
                "negocio valor",
                "valor",
                "amount",
                "valor recorrente",
                "mrr",
                "valor mensal",
                "valor do negocio",
                "quantia",
                "recurring value",
                "mensalidade",
            ),
            "one_off_value": (
                "valor unico",
                "one off value",
                "one time value",
                "valor de implantacao",
                "setup fee",
                "taxa de implantacao",
            ),
            "status": (
                "status",
                "negocio status",
                "deal status",
                "deal stage",
                "etapa do negocio",
                "estado",
                "situacao",
            ),
            "won_date": (
                "won time",
                "negocio ganho em",
                "ganho em",
                "won date",
                "data de ganho",
                "data de fechamento",
                "close date",
                "closing date",
                "fechado em",
                "negocio data de fechamento",
                "data de fechamento do negocio",
            ),
            "owner": _OWNER,
            "stage": ("etapa", "stage", "negocio etapa", "pipeline stage", "etapa do funil"),
            "lost_reason": (
                "lost reason",
                "motivo da perda",
                "motivo de perda",
                "negocio motivo da perda",
                "closed lost reason",
            ),
            "currency": (
                "currency",
                "moeda",
                "negocio moeda do valor",
                "currency of value",
                "moeda do valor",
                "deal currency of value",
                "currency iso code",
                "opportunity currency",
                "currencyisocode",
            ),
        }
    ),
    "activities": _aliases(
        {
            "account": _ACCOUNT_NAME + ("related to", "relacionado a", "negocio organizacao"),
            "subject": ("assunto", "subject", "atividade assunto", "titulo", "title", "activity subject"),
            "type": ("tipo", "type", "atividade tipo", "activity type", "tipo de atividade"),
            "date": (
                "data",
                "date",
                "data de vencimento",
                "due date",
                "atividade data de vencimento",
                "data da atividade",
                "data de conclusao",
                "done time",
                "concluida em",
                "marked as done time",
                "activity date",
                "atividade data",
                "activity due date",
            ),
            "note": (
                "nota",
                "note",
                "atividade nota",
                "notes",
                "observacoes",
                "descricao",
                "description",
                "comentario",
                "activity note",
            ),
            "done": (
                "concluida",
                "done",
                "atividade concluida",
                "feito",
                "completed",
                "activity done",
                "status",
            ),
            "owner": _OWNER,
            "external_id": ("atividade id", "activity id", "id"),
        }
    ),
    "surveys": _aliases(
        {
            "account": _ACCOUNT_NAME,
            "answered_at": (
                "carimbo de data hora",
                "timestamp",
                "data",
                "date",
                "submitted at",
                "data da resposta",
                "respondido em",
                "data hora",
                "response date",
                "enviado em",
            ),
            "respondent": (
                "endereco de e mail",
                "email",
                "e mail",
                "email address",
                "respondente",
                "respondent",
                "contato",
            ),
            "nps": ("nps", "nota nps", "nps score"),
            "csat": ("csat", "nota csat", "csat score"),
            "ces": ("ces", "nota ces", "ces score"),
            "comment": (
                "comentario",
                "comment",
                "comentarios",
                "comments",
                "por que",
                "why",
                "motivo",
                "observacao",
                "feedback",
                "por que essa nota",
                "por que voce deu essa nota",
            ),
        }
    ),
    "usage": _aliases(
        {
            "account": _ACCOUNT_NAME,
            "date": (
                "semana",
                "week",
                "data",
                "date",
                "periodo",
                "mes",
                "month",
                "week of",
                "semana de",
                "inicio da semana",
                "referencia",
            ),
            "active_users": (
                "usuarios ativos",
                "active users",
                "wau",
                "mau",
                "usuarios ativos semanais",
                "weekly active users",
                "monthly active users",
            ),
            "licensed_users": ("licencas", "licenses", "seats", "licencas contratadas", "licensed users"),
            "logins": ("logins", "acessos", "sessoes", "sessions", "log ins", "login"),
            "tickets": (
                "tickets",
                "tickets abertos",
                "chamados",
                "chamados abertos",
                "tickets opened",
                "support tickets",
            ),
            "critical_tickets": ("tickets criticos", "chamados criticos", "critical tickets"),
            "key_feature_use": (
                "uso da funcionalidade chave",
                "key feature use",
                "funcionalidade chave",
                "uso de funcionalidade chave",
            ),
            "payment_delay_days": (
                "dias de atraso",
                "atraso no pagamento",
                "payment delay",
                "payment delay days",
                "days late",
                "dias em atraso",
            ),
        }
    ),
    "mrr": _aliases(
        {
            "account": _ACCOUNT_NAME,
            "date": (
                "data",
                "date",
                "mes",
                "month",
                "competencia",
                "periodo",
                "referencia",
                "as of",
                "mes de referencia",
            ),
            "mrr": (
                "mrr",
                "mensalidade",
                "valor mensal",
                "receita recorrente mensal",
                "valor recorrente",
                "valor",
                "mrr brl",
            ),
            "arr": ("arr", "valor anual"),
        }
    ),
}

# Survey questions are headers like "Em uma escala de 0 a 10, o quanto você recomendaria...".
_SURVEY_HINTS = {
    "nps": ("recomend", "recommend", "0 a 10", "0 to 10", "nps"),
    "csat": ("satisf", "csat"),
    "ces": ("esforco", "effort", "facil foi", "easy was", "ces"),
}

_SOURCE_SIGNS: dict[str, dict[str, float]] = {
    "salesforce": {
        "account id": 2,
        "account owner": 1,
        "account name": 1,
        "billing city": 1.5,
        "billing state province": 2,
        "billing country": 1,
        "account number": 2,
        "rating": 1,
        "last modified date": 1.5,
        "created date": 1,
        "last activity": 1.5,
        "type": 0.5,
        "billingstate": 3,
        "annualrevenue": 3,
        "ownerid": 3,
        "customer status": 0.5,
        "proprietario da conta": 1,
        "nome da conta": 1,
        "cidade de cobranca": 2,
    },
    "hubspot": {
        "record id": 1,
        "id do registro": 2,
        "company name": 1,
        "nome da empresa": 1,
        "company domain name": 3,
        "nome de dominio da empresa": 3,
        "company owner": 2,
        "proprietario da empresa": 2,
        "lifecycle stage": 2,
        "estagio do ciclo de vida": 2,
        "associated company": 2,
        "empresa associada": 2,
        "deal stage": 2,
        "etapa do negocio": 1,
        "pipeline": 1,
        "create date": 1,
        "data de criacao": 0.5,
        "last activity date": 1,
        "state region": 2,
        "estado regiao": 2,
        "country region": 2,
        "pais regiao": 2,
    },
    "zoho": {
        "record id": 1,
        "created time": 3,
        "modified time": 3,
        "account type": 1.5,
        "closing date": 2,
        "billing state": 1,
        "billing code": 2,
        "account owner": 0.5,
        "account name": 0.5,
    },
    "rdstation": {
        "valor unico": 3,
        "valor recorrente": 2,
        "previsao de fechamento": 3,
        "funil de vendas": 3,
        "funil": 2,
        "nome da negociacao": 3,
        "negociacao": 2,
        "responsavel": 1,
        "fonte": 1,
        "motivo de perda": 1.5,
        "data de fechamento": 0.5,
        "qualificacao": 1,
    },
}
_PIPEDRIVE_ENTITIES = {
    "organizacao",
    "organization",
    "negocio",
    "deal",
    "atividade",
    "activity",
    "pessoa",
    "person",
    "lead",
    "produto",
    "product",
}


@dataclass
class Detection:
    kind: str
    kind_confidence: float
    source: str
    source_confidence: float
    mapping: dict[int, str]  # column index -> field key
    kind_scores: dict[str, float] = field(default_factory=dict)


def header_keys(header: str) -> list[str]:
    """The header's matching keys: whole, then without a Pipedrive ``Entity -`` prefix."""
    whole = V.word_key(header)
    keys = [whole]
    if " - " in header:
        parts = [V.word_key(p) for p in header.split(" - ")]
        keys.append(" ".join(parts[1:]))
        if len(parts) > 2:  # "Pessoa - Email - Work"
            keys.append(parts[1])
    return keys


def header_signature(headers: list[str]) -> str:
    """A stable hash of the header names, to offer a saved preset for the same layout."""
    joined = "\x1f".join(V.word_key(h) for h in headers)
    return hashlib.sha256(joined.encode()).hexdigest()


def _vocab_table(type_: str) -> dict[str, str] | None:
    return {
        "segment": V.segment_words,
        "stage": V.stage_words,
        "account_status": lambda: V.ACCOUNT_STATUS_WORDS,
        "deal_status": lambda: V.DEAL_STATUS_WORDS,
        "churn_reason": V.churn_reason_words,
        "activity_type": lambda: V.ACTIVITY_TYPE_WORDS,
    }.get(type_, lambda: None)()


def _values_fit(table: Table, index: int, type_: str) -> bool:
    """Whether most filled values of a column are words of the field's vocabulary."""
    words = _vocab_table(type_)
    if words is None:
        return True
    distinct = {row[index].strip() for row in table.rows[:2000] if row[index].strip()}
    if not distinct:
        return True
    known = sum(1 for v in distinct if V.word_key(v) in words)
    return known * 2 >= len(distinct)


def auto_mapping(table: Table, kind: str) -> dict[int, str]:
    """Column index -> field for ``kind``: each field from the first column that names it."""
    aliases = ALIASES[kind]
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    # Whole-header matches first, so "Negócio - Organização" wins over a stripped "Organização".
    for pass_ in (0, 1, 2):
        for index, header in enumerate(table.headers):
            if index in mapping:
                continue
            keys = header_keys(header)
            if pass_ >= len(keys):
                continue
            key = aliases.get(keys[pass_])
            if key and key not in taken and _values_fit(table, index, spec(kind, key).type):
                mapping[index] = key
                taken.add(key)
    if kind == "surveys":
        for index, header in enumerate(table.headers):
            if index in mapping:
                continue
            folded = V.word_key(header)
            for key, hints in _SURVEY_HINTS.items():
                if key not in taken and any(h in folded for h in hints) and len(folded) > 12:
                    mapping[index] = key
                    taken.add(key)
                    break
    return mapping


def _kind_score(kind: str, mapping: dict[int, str], width: int) -> float:
    fields = set(mapping.values())
    required = [s.key for s in FIELDS[kind] if s.required]
    if not all(r in fields for r in required):
        return 0.25 * len(fields) / max(width, 1)
    score = 0.55 + 0.45 * len(mapping) / max(width, 1)
    if kind == "surveys" and not fields & {"nps", "csat", "ces"}:
        return 0.2
    if kind == "usage" and not fields & set(USAGE_METRICS):
        return 0.2
    if kind == "mrr" and not fields & {"mrr", "arr"}:
        return 0.2
    if kind == "deals" and not fields & {"value", "title"}:
        score -= 0.2
    if kind == "contacts" and not fields & {"name", "first_name", "email"}:
        return 0.2
    return min(score, 1.0)


def detect_source(table: Table) -> tuple[str, float]:
    keys = {k for h in table.headers for k in header_keys(h)[:1]}
    prefixed = sum(
        1 for h in table.headers if " - " in h and V.word_key(h.split(" - ")[0]) in _PIPEDRIVE_ENTITIES
    )
    scores = {name: sum(w for k, w in signs.items() if k in keys) for name, signs in _SOURCE_SIGNS.items()}
    scores["pipedrive"] = 3.0 * prefixed
    if any("zcrm_" in v for v in (table.rows[0] if table.rows else [])):
        scores["zoho"] += 5
    if "salesforce.com" in table.footer.lower():
        scores["salesforce"] += 5
    best = max(scores, key=lambda s: scores[s])
    if scores[best] < 2.5:
        return "spreadsheet", round(min(0.95, 1.0 - scores[best] / 5), 2)
    ranked = sorted(scores.values(), reverse=True)
    margin = ranked[0] - ranked[1]
    confidence = min(0.99, 0.5 + 0.08 * ranked[0] + 0.05 * margin)
    return best, round(confidence, 2)


def detect(table: Table, kind: str = "auto", source: str = "auto") -> Detection:
    """Guess the kind and the source (unless given) and map the columns."""
    width = len(table.headers)
    mappings = {k: auto_mapping(table, k) for k in KINDS}
    scores = {k: round(_kind_score(k, mappings[k], width), 2) for k in KINDS}
    if kind == "auto":
        chosen = max(KINDS, key=lambda k: scores[k])
        ranked = sorted(scores.values(), reverse=True)
        confidence = scores[chosen] if ranked[0] - ranked[1] >= 0.1 else scores[chosen] * 0.8
    else:
        if kind not in KINDS:
            raise ValueError(kind)
        chosen, confidence = kind, 1.0
    if source == "auto":
        found, source_confidence = detect_source(table)
    else:
        if source not in SOURCES:
            raise ValueError(source)
        found, source_confidence = source, 1.0
    return Detection(
        kind=chosen,
        kind_confidence=round(confidence, 2),
        source=found,
        source_confidence=source_confidence,
        mapping=mappings[chosen],
        kind_scores=scores,
    )


def describe_missing(kind: str, mapping: dict[int, str]) -> list[str]:
    """Labels of the required fields no column is mapped to."""
    fields = set(mapping.values())
    missing = [tr(s.label) for s in FIELDS[kind] if s.required and s.key not in fields]
    if kind == "contacts" and not fields & {"name", "first_name", "email"}:
        missing.append(tr("Contact name"))
    if kind == "surveys" and not fields & {"nps", "csat", "ces"}:
        missing.append(tr("NPS score (0-10)"))
    if kind == "mrr" and not fields & {"mrr", "arr"}:
        missing.append(tr("MRR"))
    return missing
