"""Documents from an account's data: QBR decks, kickoff, success and get-well plans, follow-up emails.

Templates (:mod:`csdesk.templates`) render to CSDesk Markdown, which
:mod:`csdesk.documents.template_markup` parses into one :class:`Document` model that
the PPTX, DOCX, PDF and Markdown writers all draw.
"""

from csdesk.documents.builder import (
    DOC_KINDS,
    FORMATS,
    GeneratedDocument,
    build_document,
    default_file_name,
    follow_up_email,
    generate,
    record_kickoff_held,
)

__all__ = [
    "DOC_KINDS",
    "FORMATS",
    "GeneratedDocument",
    "build_document",
    "default_file_name",
    "follow_up_email",
    "generate",
    "record_kickoff_held",
]
