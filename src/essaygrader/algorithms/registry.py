"""Maps algorithm ids to classifier classes and their parameters, from settings.

The built-in algorithms are always registered; the ``algorithms`` setting adds or
overrides entries, for example::

    ESSAYGRADER_ALGORITHMS='{"slow": {"class": "essaygrader.algorithms.fake:FakeClassifier",
                                      "params": {"score_delay": 2}}}'

An ML engineer plugs in a new algorithm by subclassing
:class:`~essaygrader.algorithms.base.CriterionClassifier` and registering its import path.

``params`` are the class's constructor parameters, refused by name when the class has no
such parameter. A stored model is loaded with the parameters it was trained with, except
the class's ``scoring_params``, which come from the entry (or their defaults).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from essaygrader.algorithms.base import CriterionClassifier, ModelData
from essaygrader.errors import EssayGraderError, InternalError, RequestError


@dataclass(frozen=True)
class AlgorithmSpec:
    """Where an algorithm's class lives (``module:Class``) and the parameters it gets."""

    class_path: str
    params: Mapping[str, Any] = field(default_factory=dict)


BUILTIN_ALGORITHMS: dict[str, AlgorithmSpec] = {
    "fake": AlgorithmSpec("essaygrader.algorithms.fake:FakeClassifier"),
    "default": AlgorithmSpec("essaygrader.algorithms.default:DefaultClassifier"),
    "ease": AlgorithmSpec("essaygrader.algorithms.ease:EaseClassifier"),
}


class AlgorithmRegistry:
    """The algorithms a process can train and score with.

    Args:
        specs: Extra or overriding entries, merged over :data:`BUILTIN_ALGORITHMS`.
    """

    def __init__(self, specs: Mapping[str, AlgorithmSpec] | None = None) -> None:
        self._specs = {**BUILTIN_ALGORITHMS, **(specs or {})}
        self._classes: dict[str, type[CriterionClassifier]] = {}

    def ids(self) -> list[str]:
        """Every registered algorithm id, sorted."""
        return sorted(self._specs)

    def check(self, algorithm_id: str, *, field: str = "algorithm_id") -> str:
        """Return ``algorithm_id`` if it is registered.

        Raises:
            RequestError: ``unknown_algorithm``; it is not. The message lists the ids that
                are.
        """
        if algorithm_id not in self._specs:
            raise RequestError(
                f"unknown algorithm {algorithm_id!r}; registered: {', '.join(self.ids())}",
                field=field,
                algorithm_id=algorithm_id,
                code="unknown_algorithm",
            )
        return algorithm_id

    def spec(self, algorithm_id: str) -> AlgorithmSpec:
        """The class path and parameters registered under ``algorithm_id``.

        Raises:
            RequestError: ``unknown_algorithm``; the id is not registered.
        """
        return self._specs[self.check(algorithm_id)]

    def classifier_class(self, algorithm_id: str) -> type[CriterionClassifier]:
        """Import and return the class registered under ``algorithm_id``.

        Raises:
            RequestError: ``unknown_algorithm``; the id is not registered.
            InternalError: ``algorithm_load_error``; the class path cannot be imported, is
                not a classifier, or its constructor takes ``**kwargs``.
        """
        self.check(algorithm_id)
        if algorithm_id not in self._classes:
            path = self.spec(algorithm_id).class_path
            module_name, _, class_name = path.partition(":")
            try:
                cls = getattr(importlib.import_module(module_name), class_name)
            except (ImportError, AttributeError, ValueError) as exc:
                raise InternalError(
                    f"algorithm {algorithm_id!r}: cannot import {path!r}: {exc}",
                    algorithm_id=algorithm_id,
                    code="algorithm_load_error",
                ) from exc
            if not (isinstance(cls, type) and issubclass(cls, CriterionClassifier)):
                raise InternalError(
                    f"algorithm {algorithm_id!r}: {path!r} is not a CriterionClassifier",
                    algorithm_id=algorithm_id,
                    code="algorithm_load_error",
                )
            try:
                cls.param_names()
            except TypeError as exc:
                raise InternalError(
                    f"algorithm {algorithm_id!r}: {exc}",
                    algorithm_id=algorithm_id,
                    code="algorithm_load_error",
                ) from exc
            self._classes[algorithm_id] = cls
        return self._classes[algorithm_id]

    def preload(self) -> dict[str, str]:
        """Import every registered algorithm's class now, rather than on first use.

        A worker calls this before its pool forks, so that every pool process shares the
        imported modules (NumPy, scikit-learn, LightGBM) and none pays for importing
        them while an essay waits.

        Returns:
            ``{algorithm id: why it cannot be imported}``; empty when all can. The worker
            logs these and starts anyway: tasks of that algorithm fail on their own.
        """
        failures: dict[str, str] = {}
        for algorithm_id in self.ids():
            try:
                self.classifier_class(algorithm_id)
            except EssayGraderError as exc:
                failures[algorithm_id] = str(exc)
        return failures

    def new(self, algorithm_id: str) -> CriterionClassifier:
        """An unfitted classifier of ``algorithm_id`` with its configured parameters.

        Raises:
            RequestError: ``unknown_algorithm``; the id is not registered.
            InternalError: ``algorithm_load_error``; the class cannot be imported or is not
                a classifier.
            RequestError: ``unknown_algorithm_parameter``; a configured parameter is not
                one of the class's. The message names it, the algorithm, and the parameters
                there are.
        """
        cls = self.classifier_class(algorithm_id)
        return cls.with_params(self.spec(algorithm_id).params, registered_as=algorithm_id)

    def load(self, algorithm_id: str, model: ModelData) -> CriterionClassifier:
        """A fitted classifier of ``algorithm_id`` rebuilt from stored model data.

        The classifier has the parameters the model was trained with, but its class's
        ``scoring_params`` as this registry configures them.

        Raises:
            InternalError: ``algorithm_load_error``; the model was made by another
                algorithm, is malformed, or names a parameter the class does not have.
            InternalError: ``incompatible_model``; the model's format version is not the
                class's.
            RequestError: ``unknown_algorithm_parameter``; a configured parameter is not
                one of the class's.
        """
        cls = self.classifier_class(algorithm_id)
        if model.algorithm_id != cls.algorithm_id:
            raise InternalError(
                f"model was made by algorithm {model.algorithm_id!r}, "
                f"not by {cls.algorithm_id!r} (registered as {algorithm_id!r})",
                algorithm_id=algorithm_id,
                code="algorithm_load_error",
            )
        configured = self.spec(algorithm_id).params
        cls.check_params(configured, registered_as=algorithm_id)
        defaults = cls.default_params()
        try:
            classifier = cls.from_model(model)
        except (EssayGraderError, MemoryError):
            raise
        except Exception as exc:
            # A model is data: whatever an algorithm failed to catch while reading one,
            # the model is at fault, and reading it again fails again.
            raise InternalError(
                f"algorithm {algorithm_id!r} could not read its model: {type(exc).__name__}: {exc}",
                algorithm_id=algorithm_id,
                code="algorithm_load_error",
            ) from exc
        return classifier.set_params(
            **{name: configured.get(name, defaults[name]) for name in cls.scoring_params}
        )
