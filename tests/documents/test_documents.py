"""Documents from real account data: numbers in the files equal the database's."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document as WordDocument
from pptx import Presentation

from csdesk import documents, formatting, timeline
from csdesk.accounts import get_account
from csdesk.documents.context import Period
from csdesk.documents.model import BulletList, Image, KpiRow, Paragraph, Table
from csdesk.documents.template_markup import parse
from csdesk.errors import UserError
from tests.documents.conftest import TODAY

PERIOD = Period.quarter_to(TODAY)


def slide_texts(path: Path) -> list[str]:
    texts = []
    for slide in Presentation(str(path)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [c.text for row in shape.table.rows for c in row.cells]
        texts.append("\n".join(parts))
    return texts


def test_qbr_deck_shows_the_accounts_real_numbers_in_pt_br(book, tmp_path):
    db, account_id = book
    account = get_account(db, account_id)
    out = tmp_path / "qbr.pptx"
    result = documents.generate(db, "qbr", account_id, out, "pt_BR", PERIOD, today=TODAY)
    texts = slide_texts(out)
    everything = "\n".join(texts)
    assert result.path == out and len(texts) >= 9
    assert account.name in texts[0] and "2026-T4" in texts[0]
    assert formatting.money(account.mrr_cents, "BRL", "pt_BR") in everything
    assert formatting.money(account.mrr_cents * 12, "BRL", "pt_BR") in everything
    assert formatting.day(account.renewal_date, "pt_BR") in everything
    for title in (
        "Agenda",
        "Visão geral da conta",
        "Uso, satisfação e suporte",
        "Valor entregue, contrato e renovação",
        "Expansão e advocacia",
        "Recomendações e próximos passos",
    ):
        assert any(title in t.split("\n") for t in texts), title
    # NPS of the period from 10, 9, 6, 8, 9: 3 promoters, 1 detractor -> 40
    assert "NPS: 40" in everything
    # three tickets, one critical, on the usage slide
    assert "Chamados no período: 3 (1 crítico(s)" in everything
    # the health score is the CSM's internal number: not in a deck for the customer
    assert "Health Score" not in everything
    # no slide holds a single sentence
    assert all(len([line for line in t.split("\n") if line.strip()]) > 2 for t in texts[1:]), texts


def test_the_health_score_is_in_the_deck_only_when_asked(book, tmp_path):
    db, account_id = book
    out = tmp_path / "qbr.pptx"
    documents.generate(db, "qbr", account_id, out, "pt_BR", PERIOD, today=TODAY, show_health=True)
    texts = slide_texts(out)
    everything = "\n".join(texts)
    assert any("Health Score" in t.split("\n") for t in texts)
    assert "86" in everything  # the latest health score
    pictures = [s for slide in Presentation(str(out)).slides for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) >= 3  # health trend, components, usage


def test_qbr_records_a_timeline_event(book, tmp_path):
    db, account_id = book
    result = documents.generate(db, "qbr", account_id, tmp_path / "q.pptx", "pt_BR", PERIOD, today=TODAY)
    event = timeline.get_event(db, result.event_id) if hasattr(timeline, "get_event") else None
    events = timeline.list_events(db, account_id) if hasattr(timeline, "list_events") else []
    found = event or next(e for e in events if e.id == result.event_id)
    assert (found.kind, found.subkind, found.source) == ("document", "qbr", "auto")


@pytest.mark.parametrize(
    "band_scores, title",
    [
        ([70, 68, 65], "Revisão simplificada de indicadores"),
        ([60, 50, 40], "Plano de recuperação"),
    ],
)
def test_qbr_adapts_to_the_band(db, band_scores, title):
    from csdesk import demo
    from tests.documents.conftest import seed_account

    demo.generate(db, accounts=2, seed=3, today=TODAY)
    seed_account(db, 1, band_scores)
    doc = documents.build_document(db, "qbr", 1, "pt_BR", PERIOD, today=TODAY, with_charts=False)
    titles = [s.title for s in doc.sections]
    assert title in titles and "Expansão e advocacia" not in titles


def test_english_deck_uses_english_formats(book, tmp_path):
    db, account_id = book
    account = get_account(db, account_id)
    out = tmp_path / "qbr.pptx"
    documents.generate(db, "qbr", account_id, out, "en", PERIOD, record_event=False, today=TODAY)
    everything = "\n".join(slide_texts(out))
    assert "Quarterly Business Review" in everything and "Q4 2026" in everything
    assert formatting.money(account.mrr_cents, "BRL", "en") in everything


def test_kickoff_success_and_get_well_documents(book, tmp_path):
    db, account_id = book
    for kind, name in (
        ("kickoff", "k.pptx"),
        ("kickoff", "k.docx"),
        ("success-plan", "s.docx"),
        ("success-plan", "s.pdf"),
        ("get-well", "g.docx"),
        ("get-well", "g.pdf"),
        ("kickoff", "k.md"),
        ("qbr", "q.md"),
        ("qbr", "q.pdf"),
    ):
        path = documents.generate(db, kind, account_id, tmp_path / name, "pt_BR", PERIOD, today=TODAY).path
        assert path.stat().st_size > 500, name
    kickoff = "\n".join(slide_texts(tmp_path / "k.pptx"))
    assert "daqui a 6 meses" in kickoff and "Boas-vindas e apresentações" in kickoff
    word = WordDocument(str(tmp_path / "s.docx"))
    text = "\n".join(p.text for p in word.paragraphs) + "\n".join(
        c.text for t in word.tables for r in t.rows for c in r.cells
    )
    assert "Fechar o caixa em 1 dia" in text and "Dias para fechar o caixa" in text
    assert "Reunião de kick-off realizada" in text  # the first milestone
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    md = (tmp_path / "q.md").read_text(encoding="utf-8")
    assert md.startswith("# Revisão Trimestral de Sucesso") and "q - usage.png" in md.replace(
        "%20", " "
    )
    assert (tmp_path / "q - usage.png").exists()


def test_unsupported_combinations_are_refused(book, tmp_path):
    db, account_id = book
    with pytest.raises(UserError, match=r"\.docx"):
        documents.generate(db, "success-plan", account_id, tmp_path / "x.pptx")
    with pytest.raises(UserError):
        documents.generate(db, "qbr", account_id, tmp_path / "x.xlsx")
    with pytest.raises(UserError):
        documents.generate(db, "qbr", account_id, tmp_path / "missing" / "x.pptx")
    assert not list(tmp_path.glob("x.*"))


def test_follow_up_email(book):
    db, account_id = book
    text = documents.follow_up_email(db, account_id, "pt_BR", today=TODAY)
    assert text.startswith("Assunto: Resumo da nossa reunião")
    assert "Próximos passos" in text


def test_default_file_name():
    assert documents.default_file_name("qbr", "Padaria Pitanga", PERIOD, "pt_BR", "pptx") == (
        "QBR - Padaria Pitanga - 2026-T4.pptx"
    )
    assert "/" not in documents.default_file_name("kickoff", "A/B: C", None, "en", "docx")


def test_markup_parses_every_block():
    doc = parse(
        "# Title\nsub one\nsub two\n## S\ntext\n> quote\n- a\n  - b\n1. one\n| h1 | h2 |\n|---|---|\n| x |\n"
        "!kpi MRR | R$ 1,00 | note\n!kpi NPS | 40\n!chart health_trend Caption\n"
    )
    assert doc.title == "Title" and doc.subtitle == ["sub one", "sub two"]
    kinds = [type(b) for b in doc.sections[0].blocks]
    assert kinds == [Paragraph, Paragraph, BulletList, BulletList, Table, KpiRow, Image]
    table = doc.sections[0].blocks[4]
    assert table.rows == [["x", ""]]
    assert len(doc.sections[0].blocks[5].items) == 2


def test_long_lists_and_tables_split_across_slides(tmp_path):
    from csdesk.documents.pptx_writer import write_pptx

    rows = "\n".join(
        f"| Marco número {i} com um título bem comprido para quebrar a linha | Cliente | 01/01/2027 |"
        for i in range(40)
    )
    bullets = "\n".join(f"- Item {i}: " + "texto longo " * 12 for i in range(30))
    doc = parse(
        f"# T\n## Tabela\n| Marco | Responsável | Prazo |\n|---|---|---|\n{rows}\n## Lista\n{bullets}\n"
    )
    out = write_pptx(doc, tmp_path / "long.pptx")
    texts = slide_texts(out)
    assert any("(cont.)" in t for t in texts)
    assert sum(t.count("Marco número") for t in texts) == 40
    assert sum(t.count("Item ") for t in texts) == 30
    emu_bottom = Presentation(str(out)).slide_height
    for slide in Presentation(str(out)).slides:
        for shape in slide.shapes:
            assert shape.top + shape.height <= emu_bottom


def test_an_email_column_is_wide_enough_for_its_longest_address():
    from csdesk.documents.docx_writer import CELL_CHAR_CM
    from csdesk.documents.model import Table, column_widths

    address = "gabriela.fernandes@agenciatietebaiana.com.br"
    table = Table(
        header=["Nome", "Papel", "Cargo", "E-mail"],
        rows=[["Gabriela Fernandes", "Patrocinador", "Analista Administrativo", address]] * 3,
    )
    widths = column_widths(table, 16.6, CELL_CHAR_CM, 0.4)
    assert abs(sum(widths) - 16.6) < 1e-6
    for width, word in zip(widths[:3], ("Fernandes", "Patrocinador", "Administrativo"), strict=True):
        assert width >= len(word) * CELL_CHAR_CM + 0.4 - 1e-6, word
    # the address takes the rest: nearly all it asks for (the estimate is generous)
    assert widths[3] >= 0.95 * (len(address) * CELL_CHAR_CM + 0.4)


def test_the_get_well_exit_criterion_is_the_health_models_yellow_threshold(book, tmp_path):
    from dataclasses import replace

    from csdesk import health

    db, account_id = book
    segment = get_account(db, account_id).segment
    health.save_model(db, replace(health.model_for(db, segment), green=85, yellow=55))
    path = documents.generate(
        db, "get-well", account_id, tmp_path / "g.md", "en", PERIOD, today=TODAY, show_health=True
    ).path
    text = path.read_text(encoding="utf-8")
    assert "Health score above 55 for four weeks in a row" in text
    assert "above 60" not in text
