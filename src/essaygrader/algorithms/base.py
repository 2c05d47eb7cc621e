"""The contract every scoring algorithm implements.

In the spirit of scikit-learn's estimator contract: the constructor takes explicit keyword
parameters and only stores each, unchanged, under its own name; ``get_params`` reads them
back, ``clone`` makes an unfitted copy, and a name that is not a parameter is refused by
name. ``fit`` validates its input and sets learned attributes (ending in ``_``);
``predict`` before ``fit`` raises an internal error coded ``not_fitted``. One
classifier scores one rubric criterion. A trained classifier becomes :class:`ModelData`
(bytes plus JSON metadata) through ``to_model`` and comes back through ``from_model``,
which must never run code found in the data: no pickle, no joblib.

Features of an essay are shared by every criterion of a rubric. A :class:`FeatureCache`
lives for one training run or one grading batch and is handed to each criterion's
classifier, so the first classifier computes an essay's features and the others reuse them.
"""

from __future__ import annotations

import copy
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, TypeVar

from essaygrader.errors import InternalError, RequestError

T = TypeVar("T")
_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


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
    it whenever ``to_model`` changes so that older models are refused, not misread). Their
    constructor takes explicit keyword parameters (keyword-only, each with a default) and
    stores them unchanged under the same names; it validates and computes nothing, ``fit``
    does. ``to_model`` keeps :meth:`get_params` in the model's ``params`` metadata, and
    ``from_model`` rebuilds the classifier with them through :meth:`stored_params`.

    Attributes:
        scoring_params: Parameters read when scoring rather than training. A loaded model
            takes every other parameter from the model, as it was trained, and these from
            the configuration of the process that loads it.
        valid_points_: Every point value the criterion allows, sorted; set by ``fit`` and
            ``from_model``.
        oof_points_: Set by ``fit`` of algorithms that predict each training essay out of
            fold while fitting: one valid point per training essay, in training order.
            Absent after ``from_model``, and for the other algorithms.
    """

    algorithm_id: ClassVar[str]
    format_version: ClassVar[int]
    scoring_params: ClassVar[frozenset[str]] = frozenset()

    valid_points_: list[int]
    oof_points_: list[int]

    @classmethod
    def _init_parameters(cls) -> list[inspect.Parameter]:
        init = cls.__init__
        if init is object.__init__:
            return []
        parameters = list(inspect.signature(init).parameters.values())[1:]  # after self
        for parameter in parameters:
            if parameter.kind not in _NAMED:
                raise TypeError(
                    f"{cls.__name__}: a classifier's constructor takes explicit keyword "
                    f"parameters, not {parameter}"
                )
        return parameters

    @classmethod
    def param_names(cls) -> list[str]:
        """The names of the constructor's parameters, sorted.

        Raises:
            TypeError: The constructor takes ``*args`` or ``**kwargs``, so its parameters
                cannot be known (or checked).
        """
        return sorted(parameter.name for parameter in cls._init_parameters())

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        """Each parameter's default value."""
        return {p.name: p.default for p in cls._init_parameters()}

    def get_params(self) -> dict[str, Any]:
        """The parameters, as the constructor stored them."""
        return {name: getattr(self, name) for name in self.param_names()}

    def set_params(self, **params: Any) -> Self:
        """Change parameters, as the constructor would have stored them.

        They apply from the next ``fit``, and :attr:`scoring_params` from the next
        ``predict``; a fitted classifier keeps what it learned.

        Raises:
            RequestError: ``unknown_algorithm_parameter``; a name is not one of the class's
                parameters.
        """
        self.check_params(params)
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def clone(self) -> Self:
        """A new, unfitted classifier with a copy of these parameters."""
        return type(self)(**copy.deepcopy(self.get_params()))

    @classmethod
    def check_params(cls, names: Iterable[str], *, registered_as: str | None = None) -> None:
        """Refuse parameter names the constructor does not take.

        Args:
            names: Parameter names, as configured.
            registered_as: The registry id the parameters were configured under, for the
                message; the class's own ``algorithm_id`` by default.

        Raises:
            RequestError: ``unknown_algorithm_parameter``; some names are not parameters.
                The message names them, the algorithm, and the parameters it has.
        """
        valid = cls.param_names()
        unknown = sorted(set(names) - set(valid))
        if not unknown:
            return
        algorithm = registered_as or cls.algorithm_id
        if algorithm != cls.algorithm_id:
            algorithm = f"{algorithm} ({cls.algorithm_id})"
        raise RequestError(
            f"algorithm {algorithm!r} has no {_parameters(unknown)}; its parameters "
            f"are {', '.join(valid) or '(none)'}",
            code="unknown_algorithm_parameter",
            field=f"params.{unknown[0]}",
            algorithm_id=registered_as or cls.algorithm_id,
            parameters=unknown,
            valid=valid,
        )

    @classmethod
    def with_params(cls, params: Mapping[str, Any], *, registered_as: str | None = None) -> Self:
        """An unfitted classifier with configured parameters, checked by name first.

        Raises:
            RequestError: ``unknown_algorithm_parameter``; a name is not one of the class's
                parameters.
        """
        cls.check_params(params, registered_as=registered_as)
        return cls(**params)

    @classmethod
    def stored_params(
        cls, model: ModelData, *, before_added: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The parameters ``model`` was trained with, for this class's constructor.

        A parameter the model lacks (it was stored before the parameter existed) gets its
        value in ``before_added``, where models of that time behaved otherwise than
        today's default, or else the constructor's default.

        Raises:
            InternalError: ``algorithm_load_error``; the model's ``params`` is not a
                mapping or names a parameter this class does not have.
        """
        stored = model.metadata.get("params", {})
        if not isinstance(stored, Mapping):
            raise InternalError(
                f"{cls.algorithm_id} model is malformed: its params are not a mapping",
                algorithm_id=cls.algorithm_id,
                code="algorithm_load_error",
            )
        valid = cls.param_names()
        unknown = sorted(set(stored) - set(valid))
        if unknown:
            raise InternalError(
                f"{cls.algorithm_id} model has {_parameters(unknown)}, which this "
                f"version's {cls.algorithm_id} does not have (its parameters are "
                f"{', '.join(valid) or '(none)'}); retrain the item's classifiers",
                algorithm_id=cls.algorithm_id,
                parameters=unknown,
                code="algorithm_load_error",
            )
        return {**(before_added or {}), **stored}

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
            InternalError: ``algorithm_training_error``; the examples cannot train this
                algorithm.
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
    def from_model(cls, model: ModelData) -> Self:
        """Rebuild a fitted classifier, with the parameters it was trained with, from
        :meth:`to_model`'s output.

        Raises:
            InternalError: ``incompatible_model``; the model was made by an incompatible
                format version.
            InternalError: ``algorithm_load_error``; the model data is malformed or names a
                parameter the class does not have.
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


def _parameters(names: list[str]) -> str:
    """``parameter 'a'`` or ``parameters 'a', 'b'``."""
    quoted = ", ".join(repr(name) for name in names)
    return f"parameter {quoted}" if len(names) == 1 else f"parameters {quoted}"


def check_training_data(
    texts: Sequence[str], points: Sequence[int], valid_points: Sequence[int]
) -> None:
    """Validate what every ``fit`` receives; algorithms call it first.

    Raises:
        InternalError: ``algorithm_training_error``; lengths differ, there are no examples,
            or a point value is not one of ``valid_points``.
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
