"""Zoho CRM exports: UTF-16 and tab-separated, "Created Time", record ids starting "zcrm_", dates month first."""

from csdesk.importing.sources import SourceProfile

PROFILE = SourceProfile(
    key="zoho",
    label="Zoho CRM",
    menu_order=40,
    signs={
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
    first_row_marks=("zcrm_",),
    aliases={"deals": {"won_date": ("closing date",)}},
    month_first=True,
)
