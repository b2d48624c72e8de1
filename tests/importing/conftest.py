"""Helpers for import tests: the shared samples and a CLI runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli.main import main

# Copies of the shared CRM-export samples (byte for byte: encodings and line ends matter).
SAMPLES = Path(__file__).resolve().parent / "samples"

AS_OF = "2026-11-25"


@pytest.fixture
def samples(tmp_path) -> Path:
    """A private copy of the samples, so tests may change them."""
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target)
    return target


@pytest.fixture
def cli(db_path, capsys):
    """Run ``csdesk --db DB ...``; returns (exit code, parsed JSON or text, stderr)."""

    def run(*args: str):
        code = main(["--db", str(db_path), *args])
        out, err = capsys.readouterr()
        try:
            return code, json.loads(out), err
        except json.JSONDecodeError:
            return code, out, err

    return run


def import_json(cli, path, *extra: str):
    code, data, err = cli("import", str(path), "--format", "json", "--as-of", AS_OF, *extra)
    assert code == 0, err
    return data
