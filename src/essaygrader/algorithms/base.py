"""The contract every scoring algorithm implements.

In the spirit of scikit-learn's estimator contract: the constructor only stores keyword
parameters; ``fit`` validates its input and sets learned attributes (ending in ``_``);
``predict`` before ``fit`` raises :class:`~essaygrader.errors.NotFittedError`. One
classifier scores one rubric criterion. A trained classifier becomes :class:`ModelData`
(bytes plus JSON metadata) through ``to_model`` and comes back through ``from_model``,
which must never run code found in the data: no pickle, no joblib.

Features of an essay are shared by every criterion of a rubric. A :class:`FeatureCache`
lives for one training run or one grading batch and is handed to each criterion's
classifier, so the first classifier computes an essay's features and the others reuse them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, TypeVar

from essaygrader.errors import InternalError

T = TypeVar("T")


@dataclass(frozen=True)
class Score:
    """One criterion's score for one essay.

    Attributes:
        points: One of the criterion's valid point values.
        confidence: In [0, 1]; higher means the classifier is more likely right.
    """

    points: int
    confidence: float


@dataclass(frozen=True)
class ModelData:
    """A trained classifier as stored: bytes plus JSON-serialisable metadata.

    Attributes:
        algorithm_id: The registry id of the algorithm that made it.
        format_version: The algorithm's model format version when it was made.
        metadata: JSON-serialisable facts (parameters, valid points, library versions).
        payload: The model itself, in a format that loads without running code.
    """

    algorithm_id: str
    format_version: int
    metadata: dict[str, Any]
    payload: bytes


@dataclass
class FeatureCache:
    """A memo of features shared across the criteria of one training or grading run.

    ``per_essay`` caches one value per (feature name, essay text); ``shared`` caches one
    value per (name, key) for things computed once over a whole set of essays, such as a
    vocabulary fitted on the training texts.
    """

    _essays: dict[tuple[str, str], Any] = field(default_factory=dict)
    _shared: dict[tuple[str, Hashable], Any] = field(default_factory=dict)

    def per_essay(
        self, name: str, texts: Sequence[str], compute: Callable[[list[str]], Sequence[T]]
    ) -> list[T]:
        """Return feature ``name`` for each text, computing only those not cached.

        Args:
            name: The feature block's name; algorithms prefix it with their id.
            texts: The essays.
            compute: Computes the block for a list of texts, one value per text.
        """
        missing = list(dict.fromkeys(t for t in texts if (name, t) not in self._essays))
        if missing:
            values = compute(missing)
            if len(values) != len(missing):
                raise ValueError(f"feature {name!r}: computed {len(values)} for {len(missing)}")
            for text, value in zip(missing, values, strict=True):
                self._essays[(name, text)] = value
        return [self._essays[(name, t)] for t in texts]

    def shared(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the value cached under (name, key), computing it on first use."""
        if (name, key) not in self._shared:
            self._shared[(name, key)] = compute()
        return self._shared[(name, key)]  # type: ignore[no-any-return]


class CriterionClassifier(ABC):
    """Scores essays on one rubric criterion; subclasses are registered algorithms.

    Subclasses set ``algorithm_id`` (the registry default) and ``format_version`` (raise
    it whenever ``to_model`` changes so that older models are refused, not misread).
    """

    algorithm_id: ClassVar[str]
    format_version: ClassVar[int]

    def __init__(self, **params: Any) -> None:
        self.params = params

    @abstractmethod
    def fit(
        self,
        texts: Sequence[str],
        points: Sequence[int],
        *,
        valid_points: Sequence[int],
        cache: FeatureCache | None = None,
        prompt: str = "",
    ) -> Self:
        """Learn to score from graded examples.

        Args:
            texts: Example essays.
            points: The points each example earned on this criterion.
            valid_points: Every point value the criterion allows; predictions are always
                one of these.
            cache: Features shared with the other criteria of the same essays.
            prompt: The item's prompt text, for algorithms that compare essays with it.

        Raises:
            InternalError: ``algorithm_training_error``; the examples cannot train this algorithm.
        """

    @abstractmethod
    def predict(self, texts: Sequence[str], *, cache: FeatureCache | None = None) -> list[Score]:
        """Score essays; one :class:`Score` per text, in order.

        Raises:
            InternalError: ``not_fitted``; ``fit`` or ``from_model`` has not been called.
            InternalError: ``algorithm_scoring_error``; the essays could not be scored.
        """

    @abstractmethod
    def to_model(self) -> ModelData:
        """Export the fitted classifier; it must load back to identical predictions."""

    @classmethod
    @abstractmethod
    def from_model(cls, model: ModelData, **params: Any) -> Self:
        """Rebuild a fitted classifier from :meth:`to_model`'s output.

        Raises:
            InternalError: ``incompatible_model``; the model was made by an incompatible format
                version.
            InternalError: ``algorithm_load_error``; the model data is malformed.
        """

    @classmethod
    def check_format(cls, model: ModelData) -> None:
        """Refuse a model this class cannot read, with a message that says to retrain."""
        if model.format_version != cls.format_version:
            raise InternalError(
                f"model format {model.format_version} of algorithm {model.algorithm_id!r} "
                f"cannot be read by this version (format {cls.format_version}); retrain "
                "the item's classifiers",
                found=model.format_version,
                expected=cls.format_version,
                code="incompatible_model",
            )


def check_training_data(
    texts: Sequence[str], points: Sequence[int], valid_points: Sequence[int]
) -> None:
    """Validate what every ``fit`` receives; algorithms call it first.

    Raises:
        InternalError: ``algorithm_training_error``; lengths differ, there are no examples, or a
            point value is
            not one of ``valid_points``.
    """
    if len(texts) != len(points):
        raise InternalError(
            f"{len(texts)} texts but {len(points)} scores", code="algorithm_training_error"
        )
    if not texts:
        raise InternalError("no training examples", code="algorithm_training_error")
    allowed = set(valid_points)
    stray = sorted({p for p in points if p not in allowed})
    if stray:
        raise InternalError(
            f"scores {stray} are not among the criterion's points {sorted(allowed)}",
            code="algorithm_training_error",
        )


def nearest_valid(value: float, valid_points: Sequence[int]) -> int:
    """The valid point value nearest to ``value``; ties go to the lower one."""
    return min(sorted(valid_points), key=lambda p: abs(p - value))
