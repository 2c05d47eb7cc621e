"""``essaygrader demo`` as a newcomer runs it: from an empty folder, on an installed (not
editable) package, with no worker running, in a data directory of its own that leaves
any other data alone; it starts its own worker and prints every essay's grades."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "src" / "essaygrader" / "examples" / "demo"


def clean_env(tmp_path: Path) -> dict[str, str]:
    """No essaygrader settings, no source tree on the path, a home of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ESSAYGRADER_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env["XDG_DATA_HOME"] = str(tmp_path / "home-data")
    return env


def students() -> list[str]:
    with (EXAMPLES / "essays.csv").open(newline="", encoding="utf-8") as handle:
        return [row["student_id"] for row in csv.DictReader(handle)]


def graded_students(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("student"))
    table = lines[header + 1 : header + 1 + len(students())]
    assert not any("not graded" in line for line in table), stdout
    return [line.split()[0] for line in table]


def test_demo_from_an_installed_package_in_an_empty_folder(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # The test environment's packages serve as the dependencies (offline and fast); a
    # path in a .pth file adds them without running their own .pth files, so the
    # editable install of this source tree stays out. essaygrader itself is built and
    # installed as operators install it.
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--no-deps", str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    env = clean_env(tmp_path)
    located = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import essaygrader; print(essaygrader.__file__)"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert located.stdout.startswith(str(venv)), located.stdout
    result = subprocess.run(
        [str(venv / "bin" / "essaygrader"), "demo"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "starting a worker for this command" in result.stderr
    assert "the demo runs in a data directory of its own" in result.stdout
    assert graded_students(result.stdout) == students()
    assert "removed " in result.stdout
    assert list(empty.iterdir()) == []
    assert not (tmp_path / "home-data").exists()


def test_demo_leaves_a_services_data_alone_and_keeps_its_own_on_request(tmp_path):
    env = clean_env(tmp_path)
    env["ESSAYGRADER_DATA_DIR"] = str(tmp_path / "live")

    def essaygrader(
        *args: str, extra: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "essaygrader", *args],
            env={**env, **(extra or {})},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert essaygrader("init").returncode == 0
    result = essaygrader("demo", "--keep")
    assert result.returncode == 0, result.stdout + result.stderr
    assert graded_students(result.stdout) == students()
    # The live database got nothing: the demo ran elsewhere.
    assert essaygrader("items", "list").stdout == ""
    kept = next(
        line.split()[1].rstrip(";")
        for line in result.stdout.splitlines()
        if line.startswith("kept ")
    )
    # The kept directory holds the demo's work, and its worker is gone.
    status = essaygrader("status", extra={"ESSAYGRADER_DATA_DIR": kept})
    assert status.returncode == 0, status.stderr
    assert f"data directory {kept}" in status.stdout
    assert "workers   0 alive" in status.stdout
    assert f"{len(students())} complete" in status.stdout
