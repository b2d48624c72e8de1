"""Every change of MRR or status is written by the revenue ledger: no other module inserts movements."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ROOT / "csdesk" / "ledger.py"

# Ways to put a row into revenue_changes: the ORM class built or inserted, its table in an
# INSERT, raw SQL, or a bulk writer handed the model or its table.
PATTERNS = [
    re.compile(r"(?<!class )\bRevenueChange\s*\("),
    re.compile(r"\binsert\s*\(\s*RevenueChange\b"),
    re.compile(r"INSERT\s+(OR\s+\w+\s+)?INTO\s+[\"'`]?revenue_changes\b", re.IGNORECASE),
    re.compile(r"\b_?\w*(write|insert)\w*\([^)\n]*\bRevenueChange\b"),
    re.compile(r"\bTABLES\[\s*[\"']revenue_changes[\"']\s*\]\s*\.\s*insert"),
    re.compile(r"\bRevenueChange\.__table__\s*\.\s*insert\b"),
]


def offenders(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if any(p.search(line) for p in PATTERNS)]


def test_the_scan_finds_the_ways_to_insert_a_movement():
    assert offenders("session.add(RevenueChange(account_id=1))")
    assert offenders("conn.execute(insert(RevenueChange), rows)")
    assert offenders('conn.exec_driver_sql("INSERT INTO revenue_changes (id) VALUES (1)")')
    assert offenders("_write(conn, RevenueChange, batch)")
    assert not offenders("class RevenueChange(Base):")
    assert not offenders("select(RevenueChange.kind)")


def test_only_the_ledger_inserts_into_revenue_changes():
    found = {}
    for package in ("cli", "csdesk", "db", "ui"):
        for path in (ROOT / package).rglob("*.py"):
            if path == LEDGER:
                continue
            lines = offenders(path.read_text(encoding="utf-8"))
            if lines:
                found[str(path.relative_to(ROOT))] = lines
    assert found == {}
    assert offenders(LEDGER.read_text(encoding="utf-8"))  # and the ledger does
