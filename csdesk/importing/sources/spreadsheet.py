"""A CSM's own spreadsheet: what a file is when no CRM's profile recognises it."""

from csdesk.importing.sources import SourceProfile

PROFILE = SourceProfile(key="spreadsheet", label="Spreadsheet", menu_order=1000)
