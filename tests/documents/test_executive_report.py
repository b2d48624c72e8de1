"""The executive report: a PPTX deck and a PDF of the portfolio, in pt-BR and English."""

from __future__ import annotations

from datetime import date

import pytest
from pptx import Presentation
from sqlalchemy import select

from cli.main import main
from csdesk import demo, report
from db import open_database
from db.models import Account

TODAY = date(2026, 11, 25)
START, END = date(2025, 11, 1), date(2026, 10, 31)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "demo.sqlite"
    db = open_database(path)
    demo.create_book(db, accounts=80, seed=3, today=TODAY)
    db.dispose()
    return path


def _slides_text(path) -> list[str]:
    out = []
    for slide in Presentation(str(path)).slides:
        texts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts.extend(c.text for row in shape.table.rows for c in row.cells)
        out.append("\n".join(texts))
    return out


def test_pptx_in_portuguese_has_every_section(demo_path, tmp_path):
    db = open_database(demo_path)
    try:
        out = report.write_report(db, START, END, tmp_path / "relatorio.pptx", "pt_BR", today=TODAY)
        with db.session() as s:
            worst = s.scalars(
                select(Account.name)
                .where(Account.status == "active", Account.health_band == "red")
                .order_by(Account.mrr_cents.desc())
            ).first()
    finally:
        db.dispose()
    slides = _slides_text(out)
    text = "\n".join(slides)
    for title in (
        "Relatório executivo da carteira",
        "Indicadores principais",
        "Movimentação do MRR",
        "NRR e GRR por mês",
        "Faixas de saúde",
        "O Health Score prevê o churn?",
        "Safras",
        "Renovações",
        "Principais riscos",
    ):
        assert title in text, title
    assert "01/11/2025 – 31/10/2026" in slides[0]
    assert "Ponte de MRR" not in text
    assert worst in text  # the biggest critical account heads the risks
    pictures = sum(1 for slide in Presentation(str(out)).slides for s in slide.shapes if s.shape_type == 13)
    assert pictures >= 6


def test_pdf_in_english(demo_path, tmp_path):
    db = open_database(demo_path)
    try:
        out = report.write_report(db, START, END, tmp_path / "report.pdf", "en", today=TODAY)
    finally:
        db.dispose()
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 50_000


def test_cli_writes_and_refuses_other_formats(demo_path, tmp_path, capsys):
    out = tmp_path / "exec.pptx"
    args = ["--db", str(demo_path), "--lang", "en", "report", "--from", "2026-01-01", "--to", "2026-06-30"]
    assert main([*args, "--out", str(out)]) == 0
    assert "Executive portfolio report" in _slides_text(out)[0]
    assert main([*args, "--out", str(tmp_path / "exec.docx")]) == 2
    assert ".pptx or .pdf" in capsys.readouterr().err
