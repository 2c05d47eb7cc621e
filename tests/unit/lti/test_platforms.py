"""The LTI tool's and webhooks' rules that need no server: registrations, keys, URLs,
signatures and backoff."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from essaygrader.errors import RequestError
from essaygrader.lti.passback import scores_url
from essaygrader.lti.webhooks import LONGEST_RETRY_SECONDS, retry_seconds, signature

PLATFORM = {
    "issuer": "https://lms.example.org",
    "client_id": "tool-1",
    "deployment_ids": ["1"],
    "auth_login_url": "https://lms.example.org/auth",
    "auth_token_url": "https://lms.example.org/token",
    "keyset_url": "https://lms.example.org/jwks",
}


def test_scores_go_to_the_line_items_scores_endpoint():
    assert scores_url("https://lms/li/7") == "https://lms/li/7/scores"
    assert scores_url("https://lms/li/7/?type=x") == "https://lms/li/7/scores?type=x"


def test_a_signature_covers_the_timestamp_and_the_body():
    header = signature("secret-of-sixteen", 1700000000, b'{"a":1}')
    expected = hmac.new(b"secret-of-sixteen", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert signature("secret-of-sixteen", 1700000001, b'{"a":1}') != header


def test_retries_back_off_to_an_hour():
    assert [retry_seconds(n) for n in (1, 2, 3)] == [10.0, 20.0, 40.0]
    assert retry_seconds(30) == LONGEST_RETRY_SECONDS


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("keyset_url", "not a url"),
        ("auth_login_url", "ftp://lms.example.org/auth"),
        ("deployment_ids", []),
        ("student_id_claim", "name"),
        ("issuer", " padded "),
    ],
)
def test_a_bad_registration_names_its_field_and_stores_nothing(runtime, field, value):
    with pytest.raises(RequestError) as refused:
        runtime.lti.register_platform(**{**PLATFORM, field: value})
    assert refused.value.field in (field, field.removesuffix("s"))
    assert runtime.lti.list_platforms() == []


def test_registering_again_adds_deployments(runtime):
    runtime.lti.register_platform(**PLATFORM)
    again = runtime.lti.register_platform(**{**PLATFORM, "deployment_ids": ["2", "1"]})
    assert again["deployment_ids"] == ["1", "2"]
    assert len(runtime.lti.list_platforms()) == 1


def test_rotated_keys_stay_published_for_the_grace_period(runtime):
    first = {k["kid"] for k in runtime.lti.jwks()["keys"]}
    rotated = runtime.lti.rotate_key()
    assert rotated["retired"] == sorted(first)
    published = runtime.lti.jwks()["keys"]
    assert {k["kid"] for k in published} == first | {rotated["kid"]}
    # Public members only: none of an RSA private key's (d, p, q, dp, dq, qi).
    assert all(not set(k) & {"d", "p", "q", "dp", "dq", "qi"} for k in published)
