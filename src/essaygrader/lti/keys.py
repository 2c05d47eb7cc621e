"""The tool's RSA key pairs: one signs, retired ones stay published for a grace period.

The private key is stored in the database as a secret: it is read only to sign, and
never logged or served; the JWKS carries public keys only.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from essaygrader.db.models import LtiToolKeyRecord, utcnow

KEY_BITS = 2048


def new_key() -> LtiToolKeyRecord:
    """A fresh RSA key pair, with a random key id."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    kid = secrets.token_hex(16)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return LtiToolKeyRecord(kid=kid, private_key_pem=pem, public_jwk=jwk, created_at=utcnow())


def signing_key(session: Session) -> LtiToolKeyRecord:
    """The key that signs now, made on first use."""
    current = session.scalars(
        select(LtiToolKeyRecord)
        .where(LtiToolKeyRecord.retired_at.is_(None))
        .order_by(LtiToolKeyRecord.created_at.desc())
        .limit(1)
    ).first()
    if current is None:
        current = new_key()
        session.add(current)
        session.flush()
    return current


def published_keys(session: Session, grace: timedelta, now: datetime | None = None) -> list[Any]:
    """The public keys of the JWKS: the signing key and those retired within ``grace``."""
    now = now or utcnow()
    records = session.scalars(
        select(LtiToolKeyRecord)
        .where(
            or_(
                LtiToolKeyRecord.retired_at.is_(None),
                LtiToolKeyRecord.retired_at > now - grace,
            )
        )
        .order_by(LtiToolKeyRecord.created_at.desc())
    ).all()
    return [dict(record.public_jwk) for record in records]


def rotate(session: Session) -> tuple[LtiToolKeyRecord, list[str]]:
    """Retire every signing key and make a new one; returns it and the retired kids."""
    now = utcnow()
    retired = list(
        session.scalars(select(LtiToolKeyRecord).where(LtiToolKeyRecord.retired_at.is_(None)))
    )
    for record in retired:
        record.retired_at = now
    fresh = new_key()
    session.add(fresh)
    session.flush()
    return fresh, [record.kid for record in retired]
