"""The audit log's vocabulary: who acted, what they did, and how a student is named in it.

An audit record must prove that something was done without keeping what was removed: an
erased student appears only as a digest of their course and id, which matches when the
same student is looked for again (``essaygrader audit --student``) and names nobody by
itself.
"""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass
from enum import StrEnum


class AuditAction(StrEnum):
    STUDENT_ERASED = "student_erased"
    TEXTS_PURGED = "texts_purged"
    TOKEN_CREATED = "token_created"  # noqa: S105 - an action's name, not a secret
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 - an action's name, not a secret


@dataclass(frozen=True)
class Actor:
    """Who did something: a token (its uuid and name), or a person or process without one.

    Attributes:
        name: As shown in the log (a token's name, ``command line (user)``, ``service``).
        token_uuid: The token used, when there was one.
    """

    name: str
    token_uuid: str | None = None

    @classmethod
    def command_line(cls) -> Actor:
        """Someone running ``essaygrader`` on the server, named by their login."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown user"
        return cls(f"command line ({user})")


IN_PROCESS = Actor("in-process call")
SERVICE = Actor("service (retention period)")


def student_subject(course_id: str, student_id: str) -> str:
    """How the audit log names a student of a course: a sha256 digest, not the id."""
    return hashlib.sha256(f"{course_id}\x00{student_id}".encode()).hexdigest()
