"""Everything one process needs, built from :class:`Settings` on first use."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.api.ai import AIGradingAPI
from essaygrader.api.housekeeping import Housekeeping
from essaygrader.api.outbox import OutboxRelay
from essaygrader.api.queue import TaskQueue
from essaygrader.api.readiness import Readiness
from essaygrader.api.tokens import AccessTokensAPI
from essaygrader.config import Settings
from essaygrader.db.session import Database
from essaygrader.lti.events import watch as watch_platform_events
from essaygrader.lti.service import LtiAPI
from essaygrader.lti.webhooks import WebhooksAPI
from essaygrader.storage import BlobStore, open_blob_store
from essaygrader.worker.api import AIWorkerAPI
from essaygrader.worker.classifier_cache import ClassifierCache


class Runtime:
    """The database, blob store, algorithms, task queue and both API sides of a process.

    Args:
        settings: Defaults to :meth:`Settings.load` (environment and settings file).
        task_queue: Overrides the Celery queue, e.g. with an in-process one in tests.
        blobs: Overrides the blob store named by the settings.
        role: ``"worker"`` for a worker process: its database pool has
            ``worker_database_pool_size`` connections and no overflow, since each pool
            process runs one task at a time; anything else (API servers, commands) uses
            ``database_pool_size`` and ``database_max_overflow``.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        task_queue: TaskQueue | None = None,
        blobs: BlobStore | None = None,
        role: Literal["api", "worker"] = "api",
    ) -> None:
        self.settings = settings or Settings.load()
        self.role = role
        self._task_queue = task_queue
        if blobs is not None:
            self.blobs = blobs
        bind = getattr(task_queue, "bind", None)
        if bind is not None:
            bind(self)

    @cached_property
    def database(self) -> Database:
        settings = self.settings
        if self.role == "worker":
            pool_size, overflow = settings.worker_database_pool_size, 0
        else:
            pool_size, overflow = settings.database_pool_size, settings.database_max_overflow
        database = Database(
            settings.resolved_database_url,
            pool_size=pool_size,
            max_overflow=overflow,
            application_name=f"essaygrader-{self.role}",
        )
        # Assessments and trainings recorded through this process send their LTI
        # passbacks and webhooks.
        watch_platform_events(database, lambda: self.task_queue)
        return database

    @cached_property
    def blobs(self) -> BlobStore:
        return open_blob_store(self.settings.resolved_storage_url, self.settings)

    @cached_property
    def algorithms(self) -> AlgorithmRegistry:
        return AlgorithmRegistry(self.settings.algorithms)

    @cached_property
    def task_queue(self) -> TaskQueue:
        """The queue, with this process's outbox relay attached."""
        if self._task_queue is not None:
            queue = self._task_queue
        else:
            from essaygrader.queues.celery_app import CeleryTaskQueue, create_celery_app

            queue = CeleryTaskQueue(
                create_celery_app(self), grading_batch_size=self.settings.grading_batch_size
            )
        if queue.relay is None:
            queue.relay = OutboxRelay(self.database, queue)
        return queue

    @property
    def outbox(self) -> OutboxRelay | None:
        """The relay that sends this process's tasks from the outbox."""
        relay = self.task_queue.relay
        return relay if isinstance(relay, OutboxRelay) else None

    @cached_property
    def classifier_cache(self) -> ClassifierCache:
        return ClassifierCache(self.settings.classifier_memory_cache_mb * 2**20)

    @cached_property
    def client(self) -> AIGradingAPI:
        """The client side of the AI Grading API."""
        return AIGradingAPI(self.settings, self.database, self.algorithms, self.task_queue)

    @cached_property
    def worker(self) -> AIWorkerAPI:
        """The worker side of the AI Grading API."""
        return AIWorkerAPI(
            self.settings,
            self.database,
            self.blobs,
            self.algorithms,
            self.task_queue,
            self.classifier_cache,
        )

    @cached_property
    def tokens(self) -> AccessTokensAPI:
        """API tokens: who may call the HTTP API."""
        return AccessTokensAPI(self.database)

    @cached_property
    def lti(self) -> LtiAPI:
        """The LTI 1.3 tool: platforms, keys, launches, deep linking."""
        return LtiAPI(self.settings, self.database, self.client, self.tokens)

    @cached_property
    def webhooks(self) -> WebhooksAPI:
        """Courses' webhook endpoints and their deliveries."""
        return WebhooksAPI(self.database)

    @cached_property
    def housekeeping(self) -> Housekeeping:
        """Forgetting old idempotency keys, purging essay texts past their retention."""
        return Housekeeping(
            self.settings,
            self.database,
            chores={"lti_staff_tokens_revoked": self.lti.revoke_expired_staff_tokens},
        )

    @cached_property
    def readiness(self) -> Readiness:
        """Whether the database, the broker and the blob store can be reached."""
        return Readiness(self.database, self.task_queue, self.blobs)

    def after_fork(self) -> None:
        """In a forked child: never reuse the parent's database connections."""
        if "database" in self.__dict__:
            self.database.dispose(close=False)
        if "task_queue" in self.__dict__ and self.outbox is not None:
            self.outbox.after_fork()

    def close(self) -> None:
        """Send what the outbox relay still holds, and release pooled connections."""
        if "task_queue" in self.__dict__ and self.outbox is not None:
            self.outbox.close()
        if "database" in self.__dict__:
            self.database.dispose()


def connect(settings: Settings | None = None) -> AIGradingAPI:
    """The in-process AI Grading API, configured from the environment by default."""
    return Runtime(settings).client
