"""Pipedrive exports: every header is "Entity - Field" ("Negócio - Valor", "Pessoa - E-mail - Work")."""

from csdesk.importing.sources import SourceProfile

PROFILE = SourceProfile(
    key="pipedrive",
    label="Pipedrive",
    menu_order=30,
    entities=frozenset(
        {
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
    ),
    entity_weight=3.0,
    aliases={
        "accounts": {
            "external_id": ("organization id", "organizacao id"),
            "cnpj": ("organizacao cnpj",),
            "domain": ("organizacao site", "organization website"),
            "industry": ("organizacao segmento", "organization industry"),
        },
        "contacts": {
            "account": ("pessoa organizacao", "person organization"),
            "name": ("pessoa nome", "person name"),
            "email": ("pessoa email", "pessoa email work", "person email", "email work", "pessoa e mail"),
            "phone": ("pessoa telefone", "pessoa telefone work", "telefone work"),
            "job_title": ("pessoa cargo",),
            "external_id": ("pessoa id", "person id"),
        },
        "deals": {
            "account": ("deal organization", "negocio organizacao"),
            "title": ("deal title", "negocio titulo"),
            "external_id": ("deal id", "negocio id"),
            "value": ("deal value", "negocio valor"),
            "status": ("negocio status",),
            "won_date": ("won time", "negocio ganho em", "negocio data de fechamento"),
            "stage": ("negocio etapa",),
            "lost_reason": ("negocio motivo da perda",),
            "currency": ("negocio moeda do valor", "currency of value", "deal currency of value"),
        },
        "activities": {
            "account": ("negocio organizacao",),
            "subject": ("atividade assunto",),
            "type": ("atividade tipo",),
            "date": ("atividade data de vencimento", "done time", "marked as done time", "atividade data"),
            "note": ("atividade nota",),
            "done": ("atividade concluida",),
            "external_id": ("atividade id", "activity id"),
        },
    },
)
