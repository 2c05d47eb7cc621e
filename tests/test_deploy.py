"""The deployment files in ``deploy/`` and the guide stay true to the code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from essaygrader.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/essaygrader/venv/bin/essaygrader"
SETTINGS = {f.name for f in fields(Settings)} | {"config"}


def test_unit_files_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip(
            "systemd-analyze is not installed on this machine (no systemd), so the unit "
            "files in deploy/ cannot be verified here; this skip is expected wherever "
            "systemd is absent, CI included"
        )
    executable = Path(sys.executable).parent / "essaygrader"
    assert executable.exists(), "install the package first (pip install -e .)"
    units = sorted(DEPLOY.glob("*.service"))
    assert {u.name for u in units} >= {
        "essaygrader-init.service",
        "essaygrader-api@.service",
        "essaygrader-grading-worker.service",
        "essaygrader-training-worker.service",
    }
    copies = []
    for unit in units:
        # verify checks that ExecStart exists: point it at this checkout's command.
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED, str(executable)))
        copies.append(str(copy))
    result = subprocess.run(
        [analyze, "verify", *copies], capture_output=True, text=True, check=False
    )
    # verify only warns (exit 0) about unknown keys and bad values: any output fails.
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", result.stdout
    assert result.stderr.strip() == "", result.stderr


def test_the_api_unit_uses_options_serve_has():
    from click.testing import CliRunner

    from essaygrader.cli.main import cli

    unit = (DEPLOY / "essaygrader-api@.service").read_text()
    command = re.search(rf"^ExecStart={INSTALLED} (.*)$", unit, re.M)
    assert command is not None
    arguments = command.group(1).split()
    assert arguments[:2] == ["serve", "--no-worker"]
    usage = CliRunner().invoke(cli, ["serve", "--help"]).output
    for option in (a for a in arguments if a.startswith("--")):
        assert option in usage, option


def test_workers_consume_their_own_queue():
    grading = (DEPLOY / "essaygrader-grading-worker.service").read_text()
    training = (DEPLOY / "essaygrader-training-worker.service").read_text()
    assert f"ExecStart={INSTALLED} worker --queues grading" in grading
    assert f"ExecStart={INSTALLED} worker --queues training --concurrency 1" in training
    for unit in (grading, training):
        assert "KillMode=mixed" in unit


def test_the_example_environment_file_holds_valid_settings():
    environ = {}
    for line in (DEPLOY / "essaygrader.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            environ[name.strip()] = value.strip()
    names = {n[len(ENV_PREFIX) :].lower() for n in environ if n.startswith(ENV_PREFIX)}
    assert names <= SETTINGS, names - SETTINGS
    Settings.load(environ)


def test_the_guide_names_only_real_settings():
    guide = (ROOT / "docs" / "deployment.md").read_text()
    named = {m.lower() for m in re.findall(rf"{ENV_PREFIX}([A-Z0-9_]+)", guide)}
    assert named, "the guide names no settings"
    assert named <= SETTINGS, named - SETTINGS
