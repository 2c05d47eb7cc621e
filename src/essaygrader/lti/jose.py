"""Checking a platform's signed messages, and signing the tool's own.

A platform publishes its public keys at its keyset URL; they are fetched over HTTP and
kept for ``KEYSET_SECONDS``, and fetched again at once when a token names a key id not
seen yet (the platform rotated its keys).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from essaygrader.errors import ForbiddenError, InternalError

KEYSET_SECONDS = 300.0
HTTP_TIMEOUT_SECONDS = 10.0
# Clocks of the platform and the tool may disagree by this much.
LEEWAY_SECONDS = 60


class KeysetCache:
    """Platforms' public keys by keyset URL, fetched on demand and kept for a while."""

    def __init__(self, *, max_age: float = KEYSET_SECONDS) -> None:
        self.max_age = max_age
        self._keys: dict[str, tuple[float, dict[str, PyJWK]]] = {}
        self._lock = threading.Lock()

    def key(self, keyset_url: str, kid: str | None) -> PyJWK:
        """The key ``kid`` of the keyset (the only one if the token names none).

        Raises:
            ForbiddenError: ``lti_launch_invalid``; the keyset has no such key.
            InternalError: ``lti_keyset_unavailable``; the keyset could not be fetched.
        """
        with self._lock:
            fetched_at, keys = self._keys.get(keyset_url, (0.0, {}))
        fresh = time.monotonic() - fetched_at < self.max_age
        if not fresh or (kid is not None and kid not in keys):
            keys = self._fetch(keyset_url)
            with self._lock:
                self._keys[keyset_url] = (time.monotonic(), keys)
        if kid is None and len(keys) == 1:
            return next(iter(keys.values()))
        if kid is None or kid not in keys:
            raise ForbiddenError(
                f"the platform's keyset has no key {kid!r}", code="lti_launch_invalid"
            )
        return keys[kid]

    @staticmethod
    def _fetch(keyset_url: str) -> dict[str, PyJWK]:
        try:
            response = httpx.get(keyset_url, timeout=HTTP_TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise InternalError(
                f"cannot fetch the platform's keyset at {keyset_url}: {exc}",
                code="lti_keyset_unavailable",
                retryable=True,
            ) from exc
        keys: dict[str, PyJWK] = {}
        for raw in document.get("keys", []) if isinstance(document, dict) else []:
            try:
                key = PyJWK(raw, algorithm=raw.get("alg", "RS256"))
            except jwt.PyJWTError:
                continue  # a key of a kind we do not use (encryption, another algorithm)
            keys[str(raw.get("kid", ""))] = key
        return keys


def verify(token: str, key: PyJWK, *, issuer: str | None, audience: str | None) -> dict[str, Any]:
    """The claims of an RS256 token signed by ``key``, checked for issuer, audience,
    expiry and issue time.

    Raises:
        ForbiddenError: ``lti_launch_invalid``; naming what was wrong.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=issuer,
            audience=audience,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ForbiddenError("the id token has expired", code="lti_launch_invalid") from exc
    except jwt.InvalidAudienceError as exc:
        raise ForbiddenError(
            "the id token is not meant for this tool (aud)", code="lti_launch_invalid"
        ) from exc
    except jwt.InvalidIssuerError as exc:
        raise ForbiddenError(
            "the id token's issuer is not the platform's", code="lti_launch_invalid"
        ) from exc
    except jwt.InvalidSignatureError as exc:
        raise ForbiddenError(
            "the id token's signature does not verify", code="lti_launch_invalid"
        ) from exc
    except jwt.PyJWTError as exc:
        raise ForbiddenError(f"invalid id token: {exc}", code="lti_launch_invalid") from exc
    return claims


def unverified_kid(token: str) -> str | None:
    """The key id in a token's header, before anything is verified.

    Raises:
        ForbiddenError: ``lti_launch_invalid``; not a JWT.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise ForbiddenError("id_token: not a JWT", code="lti_launch_invalid") from exc
    kid = header.get("kid")
    return str(kid) if kid is not None else None


def sign(claims: dict[str, Any], private_key_pem: str, kid: str) -> str:
    """``claims`` as an RS256 JWT with the tool's key."""
    return jwt.encode(claims, private_key_pem, algorithm="RS256", headers={"kid": kid})
