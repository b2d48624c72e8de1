"""Importing a 100,000-row pt-BR accounts CSV (``;``, cp1252, ``R$ 1.234,56``, dd/mm/yyyy).

Baseline, measured in the same run: pandas ``read_csv`` of the same file plus
``sqlite3`` ``executemany`` of the same rows into a bare table (the floor any
importer pays to read the file and write the rows). Goal: within 2x of it,
peak memory under 1 GB, progress reported at least every 200 ms.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from csdesk import importing
from csdesk.progress import Progress
from db import open_database
from tests.benchmarks.conftest import best_of

ROWS = 100_000
HEADER = (
    "Cliente;CNPJ;Segmento;Fase;Mensalidade;Início do contrato;Renovação;CSM;Status;Motivo do cancelamento"
)
WORDS = ("Padaria", "Hotel", "Rede", "Açougue", "Laboratório", "Construtora", "Editora", "Farmácia", "Escola")
PLACES = ("Ipê Amarelo", "Conceição", "Cerrado", "Paraíso", "Bela Vista", "Maré Alta", "Itapuã", "Caiçara")
SUFFIXES = ("Ltda", "S.A.", "ME", "EPP", "EIRELI", "")
SEGMENTS = ("High Touch", "Mid Touch", "Low Touch", "Tech Touch")
PHASES = ("Onboarding", "Adoção inicial", "Adoção contínua", "Expansão", "Renovação")


def cnpj(base: int) -> str:
    number = f"{base:08d}0001"
    for weights in ((5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)):
        rest = sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 11
        number += "0" if rest < 2 else str(11 - rest)
    return f"{number[:2]}.{number[2:5]}.{number[5:8]}/{number[8:12]}-{number[12:]}"


def brl(cents: int) -> str:
    units, rest = divmod(cents, 100)
    return f"R$ {units:,}".replace(",", ".") + f",{rest:02d}"


def write_accounts_csv(path: Path, rows: int = ROWS, seed: int = 7) -> None:
    rng = random.Random(seed)
    lines = [HEADER]
    for i in range(rows):
        name = f"{rng.choice(WORDS)} {rng.choice(PLACES)} {i} {rng.choice(SUFFIXES)}".strip()
        start = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2021, 2026)}"
        renewal = start[:6] + "2027"
        churned = rng.random() < 0.08
        lines.append(
            ";".join(
                (
                    name,
                    cnpj(10_000_000 + i),
                    rng.choice(SEGMENTS),
                    "Cancelado" if churned else rng.choice(PHASES),
                    brl(rng.randint(9_900, 5_000_000)),
                    start,
                    renewal,
                    rng.choice(("Ana Souza", "Bruno Lima")),
                    "Cancelado" if churned else "Ativo",
                    rng.choice(("Preço", "Concorrência")) if churned else "",
                )
            )
        )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def floor(path: Path, db_file: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    db_file.unlink(missing_ok=True)
    conn = sqlite3.connect(db_file)
    conn.execute("CREATE TABLE t (" + ", ".join(f"c{i} TEXT" for i in range(frame.shape[1])) + ")")
    conn.executemany(
        f"INSERT INTO t VALUES ({', '.join('?' * frame.shape[1])})", frame.itertuples(index=False)
    )
    conn.commit()
    conn.close()


def full_import(path: Path, db_file: Path, progress: Progress | None = None) -> importing.ImportResult:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_file) + suffix).unlink(missing_ok=True)
    db = open_database(db_file)
    try:
        prepared = importing.prepare(path, progress=progress or Progress())
        return importing.run_import(db, prepared, accept_rejects=True, progress=progress or Progress())
    finally:
        db.dispose()


@pytest.mark.benchmark
def test_import_100k_accounts(tmp_path, bench_report):
    path = tmp_path / "carteira_100k.csv"
    write_accounts_csv(path)
    db_file = tmp_path / "import.sqlite"

    floor_ms = best_of(lambda: floor(path, tmp_path / "floor.sqlite"), repeat=3)
    import_ms = best_of(lambda: full_import(path, db_file), repeat=2)
    result = full_import(path, db_file)
    assert (result.created, result.rejected) == (ROWS, 0)
    bench_report.add(
        "import 100k accounts CSV (new book)",
        import_ms,
        baseline_name="pandas read_csv + sqlite3 executemany",
        baseline=floor_ms,
        goal="within 2x",
    )

    # Re-importing the same file into that book: every row matched and unchanged.
    db = open_database(db_file)
    try:

        def again() -> None:
            res = importing.run_import(db, importing.prepare(path), accept_rejects=True)
            assert res.unchanged == ROWS

        again_ms = best_of(again, repeat=2)
    finally:
        db.dispose()
    bench_report.add(
        "re-import the same 100k file (all unchanged)",
        again_ms,
        baseline_name="pandas read_csv + sqlite3 executemany",
        baseline=floor_ms,
        goal="within 2x",
    )

    # Progress: the longest silence between two reports, start and end included.
    stamps: list[float] = []
    progress = Progress(lambda done, total, message: stamps.append(time.perf_counter()), min_interval=0.05)
    start = time.perf_counter()
    full_import(path, db_file, progress)
    end = time.perf_counter()
    points = [start, *stamps, end]
    gap_ms = max(b - a for a, b in zip(points, points[1:], strict=False)) * 1000
    bench_report.add(
        "progress: longest gap between reports",
        gap_ms,
        baseline_name="goal 200 ms",
        baseline=200.0,
        goal="<= 200 ms",
    )

    tracemalloc.start()
    full_import(path, db_file)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    bench_report.add(
        "peak Python memory (tracemalloc)",
        peak / 2**20,
        "MB",
        baseline_name="goal 1024 MB",
        baseline=1024.0,
        goal="< 1 GB",
    )
    # Peak RSS of a fresh process doing one import. VmHWM, not ru_maxrss: Linux carries a
    # parent's ru_maxrss across fork and exec, which would report this benchmark's own peak.
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[3]);"
        "from tests.benchmarks.bench_import import full_import;"
        "full_import(Path(sys.argv[1]), Path(sys.argv[2]));"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script, str(path), str(db_file), str(root)],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
    ).stdout
    rss = int(out.split()[-1]) / 1024
    bench_report.add(
        "peak RSS of a process importing the 100k file",
        rss,
        "MB",
        baseline_name="goal 1024 MB",
        baseline=1024.0,
        goal="< 1 GB",
    )
