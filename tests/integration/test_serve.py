"""``essaygrader serve`` on a fresh machine: one command gives the API, the dashboard and
a worker; the example item is loaded and graded; a platform's submit through
``HttpClient`` comes back graded; a worker that dies is replaced; stopping the server
stops its worker."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from essaygrader.client import HttpClient
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def submit_graded(client: HttpClient, student: str, text: str, log) -> dict:
    """Submit an essay to the example item and wait until it is graded."""
    submitted = client.submit("demo-course", "maple-street-letter", student, text)
    wait_until(
        lambda: client.is_grading_workflow_complete(submitted["grading_workflow_uuid"]),
        timeout=90,
        what=f"{student}'s essay to be graded",
        logs=log,
    )
    return submitted


def test_serve_answers_and_grades(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESSAYGRADER_")}
    env.update({"ESSAYGRADER_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"})
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    output = tmp_path / "serve.out"
    with output.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "essaygrader", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log() -> str:
        return output.read_text(errors="replace")[-4000:]

    try:
        wait_until(lambda: ready(url), timeout=90, what="/readyz to answer 200", logs=log)
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        token = re.search(r"^\s+(eg_\S+)$", output.read_text(), re.M).group(1)
        with HttpClient(url, token) as client:
            # The example item was loaded into the empty database, and gets graded.
            example = client.list_submissions("demo-course", "maple-street-letter")
            assert example["total"] == 12
            wait_until(
                lambda: client.status()["workflows"]["grade"]["complete"] == 12,
                timeout=120,
                what="the example item's essays to be graded",
                logs=log,
            )
            submitted = submit_graded(
                client,
                "newcomer-1",
                "Dear council, the maple street lot should become a garden because the "
                "children of our street have nowhere to grow food or play safely.",
                log,
            )
            assessment = client.get_latest_assessment(submitted["submission_uuid"])
            assert assessment["type"] == "ai"
            assert assessment["parts"]
            scores = client.get_assessment_scores_by_criteria(submitted["submission_uuid"])
            assert set(scores) == {p["criterion"] for p in assessment["parts"]}

            # The embedded worker dies (the out-of-memory killer, a crash): another
            # is started, and grading goes on.
            started = re.search(r"embedded worker started \(pid (\d+)", output.read_text())
            os.kill(int(started.group(1)), signal.SIGKILL)
            wait_until(
                lambda: "embedded worker started again" in log(),
                timeout=60,
                what="the embedded worker to be started again",
                logs=log,
            )
            submit_graded(
                client,
                "newcomer-2",
                "Dear council, a garden on the maple street lot would give our street "
                "shade, vegetables and a safe place for the children to play after school.",
                log,
            )
        dashboard = httpx.get(f"{url}/dashboard/", follow_redirects=False)
        assert dashboard.headers["location"].startswith("/dashboard/sign-in")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    assert code == 0, log()
    # The embedded worker stopped with the server: nothing of the session is left.
    time.sleep(0.5)
    leftovers = subprocess.run(
        ["pgrep", "-s", str(server.pid)], capture_output=True, text=True, check=False
    )
    assert leftovers.stdout.strip() == "", log()
