"""``essaygrader bench load`` end to end, with its own worker processes."""

from __future__ import annotations

import tempfile

import pytest
from click.testing import CliRunner

from essaygrader.cli.main import cli

pytestmark = pytest.mark.integration


@pytest.fixture
def env(tmp_path, monkeypatch):
    for name in ("DATA_DIR", "DATABASE_URL", "BROKER_URL", "STORAGE_URL", "ALGORITHMS"):
        monkeypatch.delenv(f"ESSAYGRADER_{name}", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("env")
def test_a_small_burst_on_the_embedded_engine():
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "load",
            "--engine",
            "embedded",
            "--workers",
            "1",
            "--essays",
            "30",
            "--algorithm",
            "fake",
        ],
    )
    assert result.exit_code == 0, result.output
    report = result.stdout
    for line in (
        "engine     embedded",
        "workers    1 process(es) x 1 pool process(es)",
        "algorithm  fake",
        "load       30 essays as one burst",
        "(30 graded, 0 failed, 0 submissions refused)",
    ):
        assert line in report
    assert "p99" in report
    assert "drain" in report
    assert "essays/s per core" in report
    assert "(throughput / scoring per core)" in report


@pytest.mark.usefixtures("env")
def test_an_engine_without_its_broker_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    tempfile.tempdir = None  # read TMPDIR again
    try:
        result = CliRunner().invoke(cli, ["bench", "load", "--engine", "rabbitmq", "--essays", "5"])
    finally:
        tempfile.tempdir = None
    assert result.exit_code == 1
    assert "engine rabbitmq needs a rabbitmq broker" in result.output
    assert not list(tmp_path.glob("essaygrader-bench-*")), "it left its folder behind"
