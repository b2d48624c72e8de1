"""Checks that the installed (or frozen) program has everything it needs.

``csdesk --selftest`` runs these, then the GUI ones in ``ui/selftest.py``. A
frozen build that forgot a data file (translations, templates, python-pptx's
default deck, matplotlib's fonts) fails here instead of in a user's hands.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from csdesk import i18n
from csdesk.paths import resources_dir


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    ms: float


def check_resources() -> str:
    root = resources_dir()
    catalogues = sorted((root / "translations" / "pt_BR").glob("*.po"))
    if not catalogues:
        raise RuntimeError(f"no pt-BR translations in {root}")
    if not (root / "templates").is_dir() or not (root / "icons").is_dir():
        raise RuntimeError(f"templates or icons missing in {root}")
    return f"{len(catalogues)} catalogues in {root}"


def check_translations() -> str:
    i18n.catalog.cache_clear()
    translated = i18n.tr("Book of business", "pt_BR")
    if translated == "Book of business":
        raise RuntimeError("pt-BR catalogue not loaded")
    return translated


def check_documents() -> str:
    """The document libraries, with the data files they load at run time."""
    import docx
    import openpyxl
    import pptx
    from reportlab.pdfgen import canvas

    pptx.Presentation().save(io.BytesIO())
    docx.Document().save(io.BytesIO())
    openpyxl.Workbook().save(io.BytesIO())
    pdf = canvas.Canvas(io.BytesIO())
    pdf.drawString(72, 72, "Relatório de saúde — ação")
    pdf.save()
    return "pptx, docx, xlsx, pdf"


def check_charts() -> str:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1))
    figure.add_subplot().plot([1, 2, 3], [3, 1, 2])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return f"{len(buffer.getvalue())} bytes of PNG"


def check_templates_render() -> str:
    from jinja2.sandbox import SandboxedEnvironment

    text = SandboxedEnvironment().from_string("{{ nome }}: {{ mrr }}").render(nome="Padaria", mrr="R$ 1,00")
    return text


def check_database(location: str) -> str:
    """Open (creating or upgrading) the database, read its schema version and search it."""
    from db import open_database, search
    from db.schema import CURRENT_VERSION

    database = open_database(location)
    try:
        with database.engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version FROM schema_info").scalar()
            search.search_event_ids(conn, ["selftest"], limit=1)
            indexed = search.has_index(conn)
    finally:
        database.dispose()
    if version != CURRENT_VERSION:
        raise RuntimeError(f"schema {version}, expected {CURRENT_VERSION}")
    kind = "indexed search" if indexed else "search without an index"
    return f"schema {version}, {kind}, at {database.location}"


def core_checks(database: str | Path) -> list[tuple[str, Callable[[], str]]]:
    """The checks without Qt; ``database`` is a file path or a SQLAlchemy URL."""
    return [
        ("resources", check_resources),
        ("translations", check_translations),
        ("database", lambda: check_database(str(database))),
        ("documents", check_documents),
        ("charts", check_charts),
        ("templates", check_templates_render),
    ]


def run_checks(checks: list[tuple[str, Callable[[], str]]]) -> list[CheckResult]:
    results = []
    for name, check in checks:
        start = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as exc:  # a self-test reports every failure, it does not stop at one
            detail, ok = f"{type(exc).__name__}: {exc}", False
        results.append(CheckResult(name, ok, detail, (time.perf_counter() - start) * 1000))
    return results
