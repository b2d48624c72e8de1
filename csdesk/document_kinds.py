"""The kinds of document CSDesk writes, listed once: ``csdesk doc``, ``csdesk templates``, the
Documents menu, the templates page and the document builder all read this table.

``key`` is the stored template kind (``success_plan``), ``name`` the command line's and the
file's (``success-plan``); the labels are English and translated where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocumentKind:
    key: str
    name: str
    label: str  # what the document is ("Success plan"): templates, messages
    menu_label: str  # the Documents menu's entry ("Success plan document…")
    formats: tuple[str, ...]  # what it is meant to be (a deck, a handout, a plan to print); first = default
    file_prefix: str  # the start of its default file name


DOCUMENT_KINDS: tuple[DocumentKind, ...] = (
    DocumentKind("qbr", "qbr", "QBR / Success review", "Generate QBR deck…", ("pptx", "pdf", "md"), "QBR"),
    DocumentKind("kickoff", "kickoff", "Kickoff", "Kickoff…", ("pptx", "docx", "pdf", "md"), "Kickoff"),
    DocumentKind(
        "success_plan",
        "success-plan",
        "Success plan",
        "Success plan document…",
        ("docx", "pdf", "md"),
        "Success plan",
    ),
    DocumentKind(
        "get_well",
        "get-well",
        "Get-well plan",
        "Get-well plan document…",
        ("docx", "pdf", "md"),
        "Get-well plan",
    ),
    DocumentKind(
        "postmortem",
        "postmortem",
        "Churn post-mortem",
        "Churn post-mortem…",
        ("docx", "pdf", "md"),
        "Post-mortem",
    ),
    DocumentKind(
        "follow_up_email", "follow-up", "Follow-up email", "Follow-up email", ("md", "txt"), "Follow-up"
    ),
)
BY_KEY = {k.key: k for k in DOCUMENT_KINDS}
BY_NAME = {k.name: k for k in DOCUMENT_KINDS}


def kind_of(key_or_name: str) -> DocumentKind | None:
    """The kind a stored key (``success_plan``) or a command-line name (``success-plan``) names."""
    return BY_NAME.get(key_or_name) or BY_KEY.get(key_or_name)


def names_help() -> str:
    """``qbr | kickoff | …``: the command line's names, for a help text."""
    return " | ".join(k.name for k in DOCUMENT_KINDS)
