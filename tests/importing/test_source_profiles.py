"""Source CRMs are profiles: one module each in csdesk.importing.sources, read by detection, preparing and reading."""

from __future__ import annotations

import textwrap

from csdesk import importing
from csdesk.importing import detect, reading, sources
from csdesk.importing.reading import Table


def table(headers, rows=(), footer=""):
    return Table(path=None, headers=list(headers), rows=[list(r) for r in rows], row_numbers=[], footer=footer)


def test_every_profile_module_is_a_source_listed_with_the_spreadsheet_last():
    assert detect.SOURCES == ("salesforce", "hubspot", "pipedrive", "zoho", "rdstation", "spreadsheet")
    assert detect.SOURCE_LABELS["zoho"] == "Zoho CRM"
    assert sources.profile("nonesuch") is sources.PROFILES["spreadsheet"]


def test_a_new_profile_file_is_found_and_recognised(tmp_path, monkeypatch):
    (tmp_path / "acme.py").write_text(
        textwrap.dedent(
            """
            from csdesk.importing.sources import SourceProfile

            PROFILE = SourceProfile(
                key="acme", label="Acme CRM", menu_order=60,
                signs={"acme customer code": 3}, first_row_marks=("ACME-",),
            )
            """
        )
    )
    monkeypatch.setattr(sources, "__path__", [*sources.__path__, str(tmp_path)])
    found = sources._discover()
    assert list(found)[-2:] == ["acme", "spreadsheet"]
    for key, profile in found.items():
        monkeypatch.setitem(sources.PROFILES, key, profile)
    file = table(["Acme Customer Code", "Name"], [["ACME-1", "Hotel Pitanga"]])
    source, confidence = detect.detect_source(file)
    assert source == "acme" and confidence > 0.5


def test_a_profile_mark_in_the_first_row_or_the_footer_tells_the_source():
    plain = ["Name", "Website", "MRR"]
    assert detect.detect_source(table(plain, [["Hotel Pitanga", "x.com.br", "10"]]))[0] == "spreadsheet"
    assert detect.detect_source(table(plain, [["zcrm_5012", "x.com.br", "10"]]))[0] == "zoho"
    assert detect.detect_source(table(plain, footer="Copyright (c) 2000-2026 salesforce.com, inc."))[0] == (
        "salesforce"
    )
    # The footer a profile names is stripped when reading.
    assert reading._FOOTER_RE.match("confidential - salesforce.com")


def test_pipedrive_entity_headers_score_for_pipedrive():
    file = table(["Negócio - Título", "Negócio - Valor", "Negócio - Organização"])
    assert detect.detect_source(file)[0] == "pipedrive"
    # ...and its own labels map, though no common alias has them.
    assert detect.auto_mapping(file, "deals") == {0: "title", 1: "value", 2: "account"}


def test_a_profiles_quirks_decide_date_order_and_decimal_comma(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("Nome da negociação,Empresa,Valor recorrente,Funil,Status\nA,Hotel Pitanga,1.234,V,Vendida\n")
    prepared = importing.prepare(path)
    assert prepared.source == "rdstation"
    assert prepared.number_style == "comma"  # "1.234" is R$ 1.234,00: RD Station writes a decimal comma
    zoho = tmp_path / "zoho.csv"
    zoho.write_text("Record Id,Account Name,Created Time,Contract Start\nzcrm_1,Hotel Pitanga,x,04/06/2024\n")
    prepared = importing.prepare(zoho)
    assert prepared.source == "zoho"
    from csdesk.importing.run import guess_date_order

    assert guess_date_order(prepared) == "mdy"
