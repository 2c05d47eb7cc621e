"""Rate limits on failed authentication: token guessing slows to a crawl.

Each client address has a leaky bucket of failures: a wrong token (over the API, in the
dashboard's cookie, or at sign-in) adds one, and the bucket drains at ``limit`` per
``window_seconds``. While it is full, that address's attempts are answered 429 with
``Retry-After`` before any token is looked at, so guessing cannot continue at all, and
nothing is counted while refused, so the wait announced is the wait needed. Requests
with a valid token never fill the bucket.

The buckets live in the memory of one server process: with ``serve --workers N`` each
process counts for itself (a guesser gets N times the limit at most), and a restart
forgets them. Behind a reverse proxy the address is the one the proxy puts in
``X-Forwarded-For``, trusted from loopback by default and from elsewhere when
``FORWARDED_ALLOW_IPS`` names the proxy.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from fastapi import Request

from essaygrader.errors import RequestError

MAX_TRACKED_CLIENTS = 100_000


class FailureLimiter:
    """Counts failures per client and says when a client must wait.

    Args:
        limit: Failures a client may make in a burst; 0 turns the limit off.
        window_seconds: The time over which ``limit`` failures drain away.
        clock: Seconds from a monotonic clock (tests pass their own).
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.rate = limit / window_seconds if limit else 0.0
        self.clock = clock
        self._levels: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """Whole seconds ``client`` must wait before trying again, or None if it may."""
        if not self.limit:
            return None
        with self._lock:
            level = self._level(client, self.clock())
        excess = level - (self.limit - 1)
        return None if excess <= 0 else max(1, math.ceil(excess / self.rate))

    def failed(self, client: str) -> None:
        """Count one failure of ``client``."""
        if not self.limit:
            return
        with self._lock:
            now = self.clock()
            if len(self._levels) >= MAX_TRACKED_CLIENTS:
                self._forget_drained(now)
            self._levels[client] = (self._level(client, now) + 1, now)

    def check(self, client: str, what: str) -> None:
        """Raises:
        RequestError: ``rate_limited``; ``client`` must wait, for ``retry_after`` seconds.
        """
        wait = self.retry_after(client)
        if wait is not None:
            raise RequestError(
                f"too many failed {what} from this address; try again in {wait} seconds",
                code="rate_limited",
                retry_after=wait,
            )

    def _level(self, client: str, now: float) -> float:
        level, since = self._levels.get(client, (0.0, now))
        return max(0.0, level - (now - since) * self.rate)

    def _forget_drained(self, now: float) -> None:
        for client in [c for c in self._levels if self._level(c, now) == 0.0]:
            del self._levels[client]
        if len(self._levels) >= MAX_TRACKED_CLIENTS:
            # A flood of addresses: keep the fuller half, the ones closest to a limit.
            kept = sorted(self._levels.items(), key=lambda e: e[1][0], reverse=True)
            self._levels = dict(kept[: MAX_TRACKED_CLIENTS // 2])


def client_address(request: Request) -> str:
    """The address limits are counted against (the proxy's own unless it is trusted)."""
    return request.client.host if request.client else "unknown"
