"""RD Station CRM exports: "Nome da negociação", "Valor único" beside "Valor recorrente", R$ with a decimal comma."""

from csdesk.importing.sources import SourceProfile

PROFILE = SourceProfile(
    key="rdstation",
    label="RD Station CRM",
    menu_order=50,
    signs={
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
    aliases={
        "deals": {
            "account": ("negociacao empresa",),
            "title": ("negociacao", "nome da negociacao"),
            "external_id": ("id da negociacao",),
            "one_off_value": ("valor unico",),
        },
    },
    decimal_comma=True,
)
