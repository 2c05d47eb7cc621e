"""The README's first command: ``essaygrader demo`` on a fresh data directory, with no
worker running, starts its own worker and prints every essay's grades."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "demo"


def test_demo_runs_the_whole_flow_on_a_fresh_machine(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESSAYGRADER_")}
    env["ESSAYGRADER_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "essaygrader", "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "starting a worker for this command" in result.stderr
    with (EXAMPLES / "essays.csv").open(newline="", encoding="utf-8") as handle:
        students = [row["student_id"] for row in csv.DictReader(handle)]
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("student"))
    table = lines[header + 1 : header + 1 + len(students)]
    assert [line.split()[0] for line in table] == students
    assert not any("not graded" in line for line in table)
    # The in-command worker is gone once the command returns.
    status = subprocess.run(
        [sys.executable, "-m", "essaygrader", "status"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "workers   0 alive" in status.stdout
    assert f"{len(students)} complete" in status.stdout
