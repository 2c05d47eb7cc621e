"""Every error essaygrader raises: one root and a few kinds that callers act on.

The kind says what a caller can do about it: a :class:`RequestError` is the caller's to
fix (an HTTP skin answers 4xx), with :class:`NotFoundError`, :class:`ConflictError` and
:class:`ForbiddenError` for the cases callers handle apart; an :class:`InternalError` is
ours (5xx). The ``code`` is stable and names the area as well (``item_not_found``,
``grading_invalid``, ``blob_integrity_error``): programs branch on it, people read the
message. ``field`` names the offending input when there is one.

Workers use ``retryable``: an internal error that may go away on its own (a database or
network hiccup) is retried with backoff; anything else fails the workflow at once and is
kept on it, for a person to fix and reschedule. Whether a code is retryable is decided
here, in :data:`PERMANENT_CODES`, not at each place that raises it.
"""

from __future__ import annotations

from typing import Any

PERMANENT_CODES = frozenset(
    {
        # The settings or the store's permissions must change first.
        "configuration_error",
        "storage_access_error",
        # A blob that is missing or altered stays so.
        "blob_not_found",
        "blob_integrity_error",
        # Algorithms are deterministic: the same input fails the same way.
        "algorithm_error",
        "algorithm_load_error",
        "incompatible_model",
        "algorithm_training_error",
        "algorithm_scoring_error",
        "not_fitted",
    }
)
"""Codes of internal errors that retrying cannot fix."""


class EssayGraderError(Exception):
    """Root of every error essaygrader raises.

    Args:
        message: What was wrong and, where it helps, what to do.
        code: The stable identifier, naming the area (``item_not_found``); defaults to
            the kind's own.
        field: The input field at fault, as a path such as ``rubric.criteria[1].name``.
        retryable: Overrides whether retrying may help; by default an internal error is
            retryable unless its code is in :data:`PERMANENT_CODES`, and no other is.
        **details: Offending values, kept as attributes for programs and logs.
    """

    code = "error"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        retryable: bool | None = None,
        **details: Any,
    ) -> None:
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable
        elif self.code in PERMANENT_CODES:
            self.retryable = False
        self.message = message
        self.field = field
        self.details = details
        super().__init__(f"{field}: {message}" if field else message)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of this error, as an HTTP skin returns it."""
        return {"code": self.code, "message": str(self), "field": self.field}


class RequestError(EssayGraderError):
    """The request was wrong; repeating it unchanged fails again."""

    code = "bad_request"


class NotFoundError(RequestError):
    """The request names something that does not exist (or that the caller may not see)."""

    code = "not_found"


class ConflictError(RequestError):
    """The request is valid but conflicts with the current state."""

    code = "conflict"


class ForbiddenError(RequestError):
    """The caller may not do this: no valid token (``unauthenticated``), or a token whose
    role or courses do not allow it (``forbidden``)."""

    code = "forbidden"


class InternalError(EssayGraderError):
    """Something failed on our side; the request itself may be fine."""

    code = "internal_error"
    retryable = True
