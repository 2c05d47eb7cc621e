"""One typed ``Settings`` object: defaults, then a TOML file, then environment variables.

Every setting ``name`` is read from ``ESSAYGRADER_<NAME>`` (upper case) and from the key
``name`` of the TOML file named by ``ESSAYGRADER_CONFIG``; the environment wins. The
defaults run everything embedded in one data directory: a SQLite database, a SQLite
broker and a folder of classifier blobs. Moving to production is one setting each:
``ESSAYGRADER_DATABASE_URL=postgresql://...``, ``ESSAYGRADER_BROKER_URL=redis://...`` or
``amqp://...``, ``ESSAYGRADER_STORAGE_URL=s3://bucket/prefix``.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from essaygrader.algorithms.registry import AlgorithmSpec
from essaygrader.errors import InternalError

ENV_PREFIX = "ESSAYGRADER_"
LOCAL_DATA_DIR = Path("essaygrader-data")


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the embedded data lives when ``data_dir`` is not set.

    ``./essaygrader-data`` when the working folder has one (where every earlier version
    kept it), otherwise one folder per user, the same from every working folder:
    ``$XDG_DATA_HOME/essaygrader`` (``~/.local/share/essaygrader``), or
    ``%LOCALAPPDATA%\\essaygrader`` on Windows.
    """
    environ = os.environ if environ is None else environ
    if LOCAL_DATA_DIR.is_dir():
        return LOCAL_DATA_DIR
    if os.name == "nt" and environ.get("LOCALAPPDATA"):
        return Path(environ["LOCALAPPDATA"]) / "essaygrader"
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "essaygrader"


# Measured with ``essaygrader bench load`` (docs/deployment.md): at 50 a batch of typical
# essays takes well under a second, and the engine's share of a worker's time is small.
DEFAULT_GRADING_BATCH_SIZE = 50


@dataclass(frozen=True)
class Settings:
    """Everything that can be configured, with safe embedded defaults.

    Attributes:
        data_dir: Folder for the embedded database, broker and classifier blobs; by
            default ``./essaygrader-data`` where the working folder has one, otherwise
            the user's own (see :func:`default_data_dir`).
        database_url: SQLAlchemy URL; empty means SQLite in ``data_dir``.
        broker_url: Celery broker URL; empty means the SQLite broker in ``data_dir``.
        storage_url: Classifier blob store: ``file:///path``, ``s3://bucket/prefix``, or
            empty for a folder in ``data_dir``.
        s3_endpoint_url: An S3-compatible endpoint (MinIO, a test server); empty for AWS.
        s3_region: The bucket's region; empty reads it from the AWS configuration.
        s3_max_attempts: Attempts per S3 request on throttling, 5xx and network errors.
        s3_timeout_seconds: Connect and read timeout of one S3 attempt.
        default_algorithm: Algorithm used when an item names none.
        algorithms: Extra algorithm registrations, ``{id: {"class": ..., "params": ...}}``.
        max_essay_chars: Longest essay or training example accepted.
        min_training_examples: Fewest examples a criterion may be trained on.
        warn_training_examples: Below this many examples training succeeds with a warning.
        task_max_retries: Retries of a task after a recoverable error.
        retry_backoff_seconds: First retry delay; doubles each retry, with jitter.
        retry_backoff_max_seconds: Longest retry delay.
        training_soft_time_limit: Seconds before a training task is asked to stop.
        training_time_limit: Seconds before a training task's process is killed.
        grading_soft_time_limit: Seconds before a grading task is asked to stop.
        grading_time_limit: Seconds before a grading task's process is killed.
        grading_batch_size: The most grading workflows one grading task names. Many
            ready at once (a batch submit, training completion, a reschedule, the
            sweeper) go out in tasks of this many; a single submit is a task of one.
        sweep_interval_seconds: How often each worker runs the sweeper.
        sweep_age_seconds: Re-enqueue incomplete workflows scheduled longer ago than this.
        max_attempts: A workflow started this many times without finishing is failed.
        worker_heartbeat_seconds: How often a worker records that it is alive.
        classifier_memory_cache_mb: Memory for loaded classifiers, per worker process.
        classifier_disk_cache_mb: Disk for classifier blobs copied from a remote store,
            shared by the worker processes of a machine; 0 reads the store every time.
        classifier_disk_cache_dir: That disk cache; empty means ``data_dir/classifier-cache``.
        database_pool_size: Connections kept per API or command process (server databases).
        database_max_overflow: Extra connections an API process may open under load.
        worker_database_pool_size: Connections per worker process (each pool process and
            the worker's main process), with no overflow.
        broker_polling_interval: Seconds between polls of the SQLite broker when idle.
        http_max_body_bytes: Largest HTTP request body accepted; larger ones get 413.
        backlog_alert_threshold: The dashboard shows an alert when this many grading
            workflows (or more) are scheduled and unfinished.
        dashboard_test_algorithms: Offer algorithms made for tests (``fake``) in the
            dashboard's list; they stay usable through the API and command line.
        api_auth_failure_limit: Wrong API tokens a client address may send in a burst
            before it gets 429 (0 turns the limit off); counted per server process.
        sign_in_failure_limit: Failed dashboard sign-ins (and wrong session cookies) a
            client address may make in a burst before it gets 429 (0: off).
        auth_failure_window_seconds: The time over which those limits drain: a client
            at the limit may try again once every window / limit seconds.
        idempotency_key_hours: How long an ``Idempotency-Key`` and its response are kept
            (24 at least): a retry within it is answered the first response.
        essay_retention_days: After this many days, workers purge the texts of graded
            essays and keep their scores; 0 keeps texts until erased.
        public_url: The address platforms and browsers reach this server at; the LTI
            tool's login, launch, JWKS and deep-linking URLs are made from it.
        lti_key_grace_hours: How long a rotated-out LTI tool key stays published.
        lti_state_seconds: How long an LTI login's state and nonce may be used.
        webhook_retry_seconds: A failed webhook delivery's first retry delay; it doubles
            each retry (at most an hour apart), for a day.
    """

    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str = ""
    broker_url: str = ""
    storage_url: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_max_attempts: int = 5
    s3_timeout_seconds: float = 10.0
    default_algorithm: str = "default"
    algorithms: Mapping[str, AlgorithmSpec] = field(default_factory=dict)
    max_essay_chars: int = 100_000
    min_training_examples: int = 20
    warn_training_examples: int = 100
    task_max_retries: int = 3
    retry_backoff_seconds: float = 2.0
    retry_backoff_max_seconds: float = 300.0
    training_soft_time_limit: int = 3600
    training_time_limit: int = 3900
    grading_soft_time_limit: int = 120
    grading_time_limit: int = 180
    grading_batch_size: int = DEFAULT_GRADING_BATCH_SIZE
    sweep_interval_seconds: float = 60.0
    sweep_age_seconds: float = 900.0
    max_attempts: int = 10
    worker_heartbeat_seconds: float = 10.0
    classifier_memory_cache_mb: int = 256
    classifier_disk_cache_mb: int = 2048
    classifier_disk_cache_dir: str = ""
    database_pool_size: int = 5
    database_max_overflow: int = 5
    worker_database_pool_size: int = 2
    broker_polling_interval: float = 0.05
    http_max_body_bytes: int = 20_000_000
    backlog_alert_threshold: int = 500
    dashboard_test_algorithms: bool = False
    api_auth_failure_limit: int = 30
    sign_in_failure_limit: int = 10
    auth_failure_window_seconds: float = 60.0
    idempotency_key_hours: int = 24
    essay_retention_days: int = 0
    public_url: str = "http://127.0.0.1:8000"
    lti_key_grace_hours: float = 72.0
    lti_state_seconds: float = 600.0
    webhook_retry_seconds: float = 10.0

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from the TOML file and the environment, then apply overrides.

        Raises:
            InternalError: ``configuration_error``; a value has the wrong type or the file
                cannot be read.
        """
        environ = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        config_path = environ.get(ENV_PREFIX + "CONFIG")
        if config_path:
            raw.update(_read_toml(Path(config_path)))
        known = {f.name for f in fields(cls)}
        for name in known:
            env_name = ENV_PREFIX + name.upper()
            if env_name in environ:
                raw[name] = environ[env_name]
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InternalError(
                f"unknown settings in {config_path}: {', '.join(unknown)}",
                code="configuration_error",
            )
        raw.update(overrides)
        raw.setdefault("data_dir", default_data_dir(environ))
        settings = cls(**{name: _coerce(cls, name, value) for name, value in raw.items()})
        settings.validate()
        return settings

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some settings changed (used by tests and commands)."""
        return replace(self, **changes)

    def validate(self) -> None:
        """Refuse values that cannot work.

        Raises:
            InternalError: ``configuration_error``; naming the setting at fault.
        """
        for name in ("training", "grading"):
            soft = getattr(self, f"{name}_soft_time_limit")
            hard = getattr(self, f"{name}_time_limit")
            if not 0 < soft < hard:
                raise InternalError(
                    f"{name}_soft_time_limit ({soft}) must be positive and below "
                    f"{name}_time_limit ({hard})",
                    field=f"{name}_soft_time_limit",
                    code="configuration_error",
                )
        for name in (
            "max_essay_chars",
            "min_training_examples",
            "max_attempts",
            "s3_max_attempts",
            "grading_batch_size",
            "database_pool_size",
            "worker_database_pool_size",
            "http_max_body_bytes",
            "backlog_alert_threshold",
        ):
            if getattr(self, name) < 1:
                raise InternalError("must be at least 1", field=name, code="configuration_error")
        for name in ("classifier_memory_cache_mb", "classifier_disk_cache_mb"):
            if getattr(self, name) < 0:
                raise InternalError(
                    "must not be negative (0 turns it off)", field=name, code="configuration_error"
                )
        for name in ("api_auth_failure_limit", "sign_in_failure_limit", "essay_retention_days"):
            if getattr(self, name) < 0:
                raise InternalError(
                    "must not be negative (0 turns it off)", field=name, code="configuration_error"
                )
        if self.idempotency_key_hours < 24:
            raise InternalError(
                "must be at least 24: clients retry within a day",
                field="idempotency_key_hours",
                code="configuration_error",
            )
        if self.auth_failure_window_seconds <= 0:
            raise InternalError(
                "must be positive", field="auth_failure_window_seconds", code="configuration_error"
            )
        if self.database_max_overflow < 0:
            raise InternalError(
                "must not be negative", field="database_max_overflow", code="configuration_error"
            )
        if self.s3_timeout_seconds <= 0:
            raise InternalError(
                "must be positive", field="s3_timeout_seconds", code="configuration_error"
            )
        if self.task_max_retries < 0:
            raise InternalError(
                "must not be negative", field="task_max_retries", code="configuration_error"
            )

    @property
    def embedded_database(self) -> Path | None:
        """The SQLite file in ``data_dir`` when no ``database_url`` is set, else None."""
        return None if self.database_url else self.data_dir.resolve() / "essaygrader.db"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.embedded_database}"

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{self.data_dir.resolve() / 'broker.db'}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.data_dir.resolve() / "classifiers").as_uri()

    @property
    def resolved_disk_cache_dir(self) -> Path:
        if self.classifier_disk_cache_dir:
            return Path(self.classifier_disk_cache_dir)
        return self.data_dir.resolve() / "classifier-cache"

    @property
    def longest_task_seconds(self) -> float:
        """Longest a delivered task may stay unacknowledged, retries included."""
        hard = max(self.training_time_limit, self.grading_time_limit)
        return hard + self.retry_backoff_max_seconds

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to print: passwords in URLs are masked."""
        shown: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path):
                value = str(value)
            elif f.name.endswith("_url"):
                value = mask_url(value)
            elif f.name == "algorithms":
                value = {
                    k: {"class": v.class_path, "params": dict(v.params)} for k, v in value.items()
                }
            shown[f.name] = value
        return shown


def mask_url(url: str) -> str:
    """``scheme://user:secret@host`` becomes ``scheme://user:***@host``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, colon, _ = credentials.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InternalError(
            f"cannot read settings file {path}: {exc}", code="configuration_error"
        ) from exc


def _coerce(cls: type[Settings], name: str, value: Any) -> Any:
    default = next(f for f in fields(cls) if f.name == name)
    kind = default.type
    try:
        if name == "algorithms":
            return _algorithm_specs(value)
        if kind == "Path":
            return Path(value)
        if kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return _boolean(value)
        return str(value)
    except (ValueError, TypeError) as exc:
        raise InternalError(
            f"invalid value {value!r} ({ENV_PREFIX}{name.upper()})",
            field=name,
            code="configuration_error",
        ) from exc


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)


def _algorithm_specs(value: Any) -> dict[str, AlgorithmSpec]:
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    if not isinstance(value, Mapping):
        raise TypeError("algorithms must be a mapping of id to {class, params}")
    specs = {}
    for algorithm_id, entry in value.items():
        if isinstance(entry, AlgorithmSpec):
            specs[str(algorithm_id)] = entry
            continue
        if not isinstance(entry, Mapping) or not isinstance(entry.get("class"), str):
            raise TypeError(f"algorithm {algorithm_id!r} needs a 'class' string")
        params = entry.get("params", {})
        if not isinstance(params, Mapping):
            raise TypeError(f"algorithm {algorithm_id!r}: 'params' must be a mapping")
        specs[str(algorithm_id)] = AlgorithmSpec(entry["class"], dict(params))
    return specs
