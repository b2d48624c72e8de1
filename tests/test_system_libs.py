"""tools/system-libs.sh: names the Debian packages for the Qt libraries a machine lacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "system-libs.sh"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def run(tmp_path: Path, mode: str, fake_missing: list[str]) -> subprocess.CompletedProcess:
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    lines = "".join(f"echo '\t{lib} => not found'\n" for lib in fake_missing)
    (fake / "ldd").write_text(f"#!/bin/sh\n{lines}")
    (fake / "ldd").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{fake}:{os.environ['PATH']}",
        "CSDESK_SYSLIBS_DRY_RUN": "1",
        "VENV": str(Path(sys.prefix)),
        "PYTHON": sys.executable,
    }
    return subprocess.run(
        ["sh", str(SCRIPT), mode], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


def test_nothing_missing_means_nothing_to_do(tmp_path):
    done = run(tmp_path, "offscreen", [])
    assert done.returncode == 0 and "would run" not in done.stdout


def test_missing_libraries_map_to_packages(tmp_path):
    done = run(
        tmp_path, "gui", ["libEGL.so.1", "libxkbcommon.so.0", "libxcb-cursor.so.0", "libfontconfig.so.1"]
    )
    assert done.returncode == 0
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("system-libs: would run: apt-get install -y --no-install-recommends")
    for package in ("libegl1", "libxkbcommon0", "libxcb-cursor0", "libfontconfig1"):
        assert f" {package}" in line
    assert line.count("libegl1") == 1  # each package once, however many files need it


def test_unknown_mode_is_refused(tmp_path):
    assert run(tmp_path, "wayland", []).returncode == 2
