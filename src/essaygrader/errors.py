"""Every error essaygrader raises, under one root.

Each area (items, training, grading, rescheduling, algorithms, storage) has a *request*
error, the caller's fault (an HTTP skin maps it to 4xx), and an *internal* error, ours
(5xx). Errors carry what went wrong as attributes: ``field`` names the offending input
when there is one, and ``code`` is a stable identifier for programs.

Workers use ``retryable``: an internal error that may go away on its own (a database or
network hiccup) is retried with backoff; anything else fails the workflow at once and is
kept on it, for a person to fix and reschedule.
"""

from __future__ import annotations

from typing import Any


class EssayGraderError(Exception):
    """Root of every error essaygrader raises.

    Args:
        message: What was wrong and, where it helps, what to do.
        field: The input field at fault, as a path such as ``rubric.criteria[1].name``.
        **details: Offending values, kept as attributes for programs and logs.
    """

    code = "error"
    retryable = False

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
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
    """The request names something that does not exist."""

    code = "not_found"


class ConflictError(RequestError):
    """The request is valid but conflicts with the current state."""

    code = "conflict"


class InternalError(EssayGraderError):
    """Something failed on our side; the request itself may be fine."""

    code = "internal_error"
    retryable = True


class ConfigurationError(InternalError):
    """The settings are invalid or unsafe."""

    code = "configuration_error"
    retryable = False


# Items and rubrics ------------------------------------------------------------------


class ItemRequestError(RequestError):
    code = "item_invalid"


class ItemNotFound(NotFoundError, ItemRequestError):
    code = "item_not_found"


class ItemExists(ConflictError, ItemRequestError):
    code = "item_exists"


class RubricChangeRefused(ConflictError, ItemRequestError):
    code = "rubric_change_refused"


class ItemInternalError(InternalError):
    code = "item_internal_error"


# Training ---------------------------------------------------------------------------


class TrainingRequestError(RequestError):
    code = "training_invalid"


class TrainingWorkflowNotFound(NotFoundError, TrainingRequestError):
    code = "training_workflow_not_found"


class ClassifierSetNotFound(NotFoundError, TrainingRequestError):
    code = "classifier_set_not_found"


class QualityGateFailed(TrainingRequestError):
    """Trained classifiers fell below the item's ``min_qwk``; they were not activated."""

    code = "quality_gate_failed"


class TrainingInternalError(InternalError):
    code = "training_internal_error"


# Grading ----------------------------------------------------------------------------


class GradingRequestError(RequestError):
    code = "grading_invalid"


class SubmissionNotFound(NotFoundError, GradingRequestError):
    code = "submission_not_found"


class GradingWorkflowNotFound(NotFoundError, GradingRequestError):
    code = "grading_workflow_not_found"


class GradingInternalError(InternalError):
    code = "grading_internal_error"


# Rescheduling -----------------------------------------------------------------------


class ReschedulingRequestError(RequestError):
    code = "rescheduling_invalid"


class ReschedulingInternalError(InternalError):
    code = "rescheduling_internal_error"


# Algorithms -------------------------------------------------------------------------


class UnknownAlgorithm(RequestError):
    """No algorithm is registered under the requested id."""

    code = "unknown_algorithm"


class AlgorithmError(InternalError):
    """An algorithm failed; deterministic, so retrying does not help."""

    code = "algorithm_error"
    retryable = False


class AlgorithmLoadError(AlgorithmError):
    """An algorithm class or a stored model could not be loaded."""

    code = "algorithm_load_error"


class IncompatibleModel(AlgorithmLoadError):
    """A stored model was made by an incompatible version; retrain to replace it."""

    code = "incompatible_model"


class AlgorithmTrainingError(AlgorithmError):
    code = "algorithm_training_error"


class AlgorithmScoringError(AlgorithmError):
    code = "algorithm_scoring_error"


class NotFittedError(AlgorithmError):
    """A classifier was asked to predict before it was fitted."""

    code = "not_fitted"


# Input files ------------------------------------------------------------------------


class InputFileError(RequestError):
    """A file of examples, essays or a rubric that cannot be read as such."""

    code = "input_file_invalid"


# Access: API tokens and what they may do --------------------------------------------


class AccessRequestError(RequestError):
    """A token request (create, revoke) was invalid."""

    code = "access_invalid"


class AuthenticationRequired(AccessRequestError):
    """No token, an unknown token or a revoked one was presented."""

    code = "unauthenticated"


class AccessDenied(AccessRequestError):
    """The token is valid but its role or courses do not allow the request."""

    code = "forbidden"


class TokenNotFound(NotFoundError, AccessRequestError):
    code = "token_not_found"


class AccessInternalError(InternalError):
    code = "access_internal_error"


# HTTP -------------------------------------------------------------------------------


class MalformedRequest(RequestError):
    """A request body that is not what its content type says (e.g. broken JSON)."""

    code = "malformed_request"


class PayloadTooLarge(RequestError):
    """A request body is larger than the ``http_max_body_bytes`` setting allows."""

    code = "payload_too_large"


class ServiceUnreachable(InternalError):
    """An essaygrader service could not be reached over the network."""

    code = "service_unreachable"


# Classifier storage -----------------------------------------------------------------


class StorageError(InternalError):
    code = "storage_error"


class BlobNotFound(StorageError):
    code = "blob_not_found"
    retryable = False


class BlobIntegrityError(StorageError):
    """A stored blob does not match its checksum: it was altered or damaged."""

    code = "blob_integrity_error"
    retryable = False


class StorageAccessError(StorageError, ConfigurationError):
    """The blob store refuses us: wrong credentials, a missing bucket, or no permission.

    Retrying cannot fix it; the settings or the store's permissions must change.
    """

    code = "storage_access_error"
    retryable = False
