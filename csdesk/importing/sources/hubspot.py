"""HubSpot exports (pt-BR and English): "Record ID", "Company Domain Name", "Associated Company"."""

from csdesk.importing.sources import SourceProfile

PROFILE = SourceProfile(
    key="hubspot",
    label="HubSpot",
    menu_order=20,
    signs={
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
    aliases={
        "accounts": {
            "external_id": ("record id", "id do registro"),
            "domain": ("company domain name", "nome de dominio da empresa"),
            "stage": ("lifecycle stage", "estagio do ciclo de vida"),
        },
        "contacts": {
            "account": (
                "associated company",
                "empresa associada",
                "empresa principal associada",
                "primary associated company",
            ),
            "external_id": ("record id", "id do registro"),
        },
        "deals": {
            "account": ("associated company", "empresa associada"),
            "external_id": ("record id", "id do registro"),
            "status": ("deal stage", "etapa do negocio"),
        },
    },
)
