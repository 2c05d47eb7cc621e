"""Failed authentication is rate-limited per client address: past the limit, 429 with
Retry-After, before any token is looked at; other addresses and valid tokens that arrive
after the wait are not affected."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from essaygrader.config import Settings
from essaygrader.web.app import create_app
from essaygrader.web.rate_limit import MAX_TRACKED_CLIENTS, FailureLimiter
from tests.unit.web.conftest import auth


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def limited(runtime, clock):
    runtime.settings = runtime.settings.with_overrides(
        api_auth_failure_limit=3, sign_in_failure_limit=2, auth_failure_window_seconds=60
    )
    app = create_app(runtime)
    app.state.api_auth_limiter.clock = clock
    app.state.sign_in_limiter.clock = clock
    return app


def client(app, address):
    return TestClient(app, client=(address, 50000), headers={"Origin": "http://testserver"})


def test_wrong_api_tokens_get_429_with_retry_after(limited, tokens, clock):
    guesser = client(limited, "203.0.113.7")
    for _ in range(3):
        assert guesser.get("/api/v1/items", headers=auth("eg_guess")).status_code == 401
    refused = guesser.get("/api/v1/items", headers=auth("eg_guess"))
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["retry-after"] == "20"
    # Refused before the token is checked: a right guess does not get through either.
    assert guesser.get("/api/v1/items", headers=auth(tokens["admin"])).status_code == 429
    # Another address is not held up, and a request without a token is no guess.
    assert (
        client(limited, "198.51.100.1")
        .get("/api/v1/items", headers=auth(tokens["admin"]))
        .status_code
        == 200
    )
    assert client(limited, "203.0.113.9").get("/api/v1/items").status_code == 401
    clock.now += 19
    assert guesser.get("/api/v1/items", headers=auth(tokens["admin"])).status_code == 429
    clock.now += 1
    assert guesser.get("/api/v1/items", headers=auth(tokens["admin"])).status_code == 200
    # One more failure drained: the next wrong token fills the bucket again.
    assert guesser.get("/api/v1/items", headers=auth("eg_guess")).status_code == 401
    assert guesser.get("/api/v1/items", headers=auth("eg_guess")).status_code == 429


def test_valid_tokens_never_fill_the_bucket(limited, tokens):
    caller = client(limited, "203.0.113.8")
    for _ in range(20):
        assert caller.get("/api/v1/items", headers=auth(tokens["staff_a"])).status_code == 200


def test_failed_sign_ins_get_429_with_retry_after(limited, tokens, clock):
    guesser = client(limited, "203.0.113.7")
    for _ in range(2):
        assert guesser.post("/dashboard/sign-in", data={"token": "eg_guess"}).status_code == 401
    refused = guesser.post("/dashboard/sign-in", data={"token": tokens["staff_a"]})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    assert "too many failed sign-ins" in refused.text
    # A forged session cookie is a guess too.
    other = client(limited, "203.0.113.8")
    other.cookies.set("essaygrader_session", "eg_forged", path="/dashboard")
    for _ in range(2):
        assert other.get("/dashboard/", follow_redirects=False).status_code == 303
    page = other.get("/dashboard/", follow_redirects=False)
    assert page.status_code == 429
    assert page.headers["retry-after"] == "30"
    clock.now += 30
    signed = guesser.post(
        "/dashboard/sign-in", data={"token": tokens["staff_a"]}, follow_redirects=False
    )
    assert signed.status_code == 303


def test_the_limits_are_settings(tmp_path):
    settings = Settings.load(
        {
            "ESSAYGRADER_API_AUTH_FAILURE_LIMIT": "5",
            "ESSAYGRADER_SIGN_IN_FAILURE_LIMIT": "0",
            "ESSAYGRADER_AUTH_FAILURE_WINDOW_SECONDS": "10",
        },
        data_dir=tmp_path,
    )
    assert (settings.api_auth_failure_limit, settings.sign_in_failure_limit) == (5, 0)
    off = FailureLimiter(0, 10)
    for _ in range(100):
        off.failed("x")
    assert off.retry_after("x") is None


def test_a_flood_of_addresses_keeps_memory_bounded(clock):
    limiter = FailureLimiter(2, 60, clock=clock)
    for n in range(MAX_TRACKED_CLIENTS + 10):
        limiter.failed(f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}")
    assert len(limiter._levels) <= MAX_TRACKED_CLIENTS
