"""A real HTTP server in a thread, and a task queue that a thread works through: for
tests that need a socket (a browser, the command line) but control over the runtime."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from essaygrader.queues.inprocess import InProcessTaskQueue


class ThreadedTaskQueue(InProcessTaskQueue):
    """Runs queued tasks in a background thread, like a worker would, until stopped."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__()
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="tasks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _work(self) -> None:
        while not self._stop.is_set():
            self.join()
            self._stop.wait(self.interval)


class LiveServer:
    """uvicorn serving ``app`` on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()
