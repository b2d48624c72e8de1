"""Salesforce reports (en_US and pt-BR): "Account Name", "Billing State/Province", a copyright footer."""

from csdesk.importing.sources import SourceProfile

PROFILE = SourceProfile(
    key="salesforce",
    label="Salesforce",
    menu_order=10,
    signs={
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
    footer_marks=("salesforce.com",),
    aliases={
        "accounts": {
            "external_id": ("account id", "id da conta"),
            "currency": ("currency iso code", "account currency iso code", "currencyisocode"),
        },
        "deals": {
            "lost_reason": ("closed lost reason",),
            "currency": ("currency iso code", "opportunity currency", "currencyisocode"),
        },
    },
    month_first=True,
)
