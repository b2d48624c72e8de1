"""A CSAT file on a 0-10 scale is imported as given, and the metrics read its scale."""

from __future__ import annotations

from datetime import date

from csdesk import metrics
from tests.importing.conftest import import_json


def test_csat_on_0_to_10_is_kept_and_read_as_such(cli, tmp_path, db):
    accounts = tmp_path / "contas.csv"
    accounts.write_text("Nome,MRR,Início do contrato\nPadaria Pitanga,1000,2025-01-01\n", encoding="utf-8")
    import_json(cli, accounts, "--yes")
    answers = tmp_path / "csat.csv"
    answers.write_text(
        "Data,Empresa,Nota CSAT\n"
        + "".join(f"2026-09-0{i + 1},Padaria Pitanga,{score}\n" for i, score in enumerate((10, 9, 8, 6, 0))),
        encoding="utf-8",
    )
    data = import_json(cli, answers, "--kind", "surveys", "--yes")
    assert data["rejected"] == 0, data
    m = metrics.compute(db, date(2026, 9, 1), date(2026, 9, 30))
    assert m.csat_scale == "0-10"
    assert m.csat_responses == 5 and m.csat == 0.6  # 10, 9 and 8 of five answers
