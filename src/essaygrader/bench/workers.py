"""Worker processes for a benchmark, and the CPU they and the machine use.

A benchmark runs ``essaygrader worker`` processes exactly as a deployment does, each in
its own process group. CPU time is read from ``/proc`` (Linux): for the workers, their
main process and pool processes; for the machine, every core's busy time, which shows
whether the cores, rather than essaygrader, were the limit. Elsewhere CPU figures are
simply not reported.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far: by the workers' processes, and by the whole machine."""

    at: float
    workers: float | None
    machine_busy: float | None


class WorkerFleet:
    """``count`` worker processes of ``concurrency`` pool processes each.

    Args:
        env: The environment of every worker (its ``ESSAYGRADER_*`` settings).
        log_dir: Where each worker's output goes, ``worker-<n>.log``.
    """

    def __init__(self, env: dict[str, str], log_dir: Path, count: int, concurrency: int) -> None:
        self.env = env
        self.log_dir = log_dir
        self.count = count
        self.concurrency = concurrency
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for n in range(self.count):
            with open(self.log_dir / f"worker-{n}.log", "ab") as log:
                self.processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "essaygrader",
                            "worker",
                            "--concurrency",
                            str(self.concurrency),
                            "--loglevel",
                            "WARNING",
                        ],
                        env=self.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )

    def exited(self) -> list[int]:
        """Indexes of workers that have stopped."""
        return [n for n, p in enumerate(self.processes) if p.poll() is not None]

    def stop(self, timeout: float = 60) -> None:
        """Warm shutdown; whatever is still running after ``timeout`` is killed."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def kill(self) -> None:
        """SIGKILL every worker with its pool processes at once, mid-task."""
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    def pool_processes(self) -> list[int]:
        """Pids of the workers' pool processes (their main processes' children)."""
        roots = {p.pid for p in self.processes if p.poll() is None}
        return sorted(_tree(list(roots)) - roots)

    def resident_mb(self) -> float | None:
        """Resident memory of the workers with their pool processes, in MB (Linux)."""
        pids = [p.pid for p in self.processes if p.poll() is None]
        return _tree_rss_mb(pids)

    def cpu(self) -> CpuSample:
        """CPU seconds the workers (with their pool processes) and the machine used."""
        pids = [p.pid for p in self.processes if p.poll() is None]
        return CpuSample(time.monotonic(), _tree_cpu_seconds(pids), _machine_busy_seconds())


def _tree_rss_mb(roots: list[int]) -> float | None:
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0.0
    for pid in _tree(roots):
        try:
            # statm: size resident shared ...; resident in pages.
            total += int((proc / str(pid) / "statm").read_text().split()[1]) * page
        except OSError:
            continue
    return total / 2**20


def _tree(roots: list[int]) -> set[int]:
    """The processes ``roots`` and all their descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    wanted = set(roots)
    grew = True
    while grew:
        children = {pid for pid, ppid in parents.items() if ppid in wanted} - wanted
        grew = bool(children)
        wanted |= children
    return wanted


def _tree_cpu_seconds(roots: list[int]) -> float | None:
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    stats: dict[int, tuple[int, float]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # After the command name: state, ppid, ..., utime (12th), stime (13th).
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS)
    wanted = set(roots)
    grew = True
    while grew:
        children = {pid for pid, (ppid, _) in stats.items() if ppid in wanted} - wanted
        grew = bool(children)
        wanted |= children
    return sum(stats[pid][1] for pid in wanted if pid in stats)


def _machine_busy_seconds() -> float | None:
    try:
        line = Path("/proc/stat").read_text().splitlines()[0]
    except OSError:
        return None
    # cpu user nice system idle iowait irq softirq steal ...: all but idle and iowait.
    ticks = [int(v) for v in line.split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICKS
