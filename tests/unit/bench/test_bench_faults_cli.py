"""``essaygrader bench faults`` names every fault it can run."""

from __future__ import annotations

from essaygrader.bench.faults import FAULTS
from essaygrader.cli.main import cli


def test_the_faults_option_names_every_fault():
    command = cli.commands["bench"].commands["faults"]
    (option,) = [p for p in command.params if p.name == "faults"]
    # The CLI lists the faults by hand (it imports the scenarios lazily): they must agree.
    assert option.help is not None
    listed = option.help.split(":", 1)[1].replace("(needs moto's server)", "")
    assert [name.strip(" .") for name in listed.split(",")] == list(FAULTS)
