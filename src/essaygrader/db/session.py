"""Engines and transactions for SQLite (embedded) and PostgreSQL (production).

SQLite runs in WAL mode, and every write transaction starts with ``BEGIN IMMEDIATE``:
the write lock is taken up front, so concurrent worker processes queue behind the busy
timeout instead of failing with "database is locked" when a reader tries to upgrade.
Read-only transactions start with a plain ``BEGIN`` and never block writers.

Work that must follow a commit, such as sending a task that names a workflow the
transaction created, is registered with :func:`after_commit` (the pattern of PyPI's
Warehouse): :meth:`Database.transaction` runs it once the commit succeeded and drops it
on rollback, so no task ever names a workflow that does not exist.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from essaygrader.config import mask_url
from essaygrader.errors import InternalError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_SECONDS = 60
_READ_ONLY = "essaygrader_read_only"
# Any constant works; it only has to be the same in every process.
_MIGRATION_LOCK_ID = 0x65737367
_AFTER_COMMIT = "essaygrader_after_commit"


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the session's transaction has committed; never on rollback.

    Callbacks run in the order registered, after the session is closed (its connection
    back in the pool). One that raises is logged and does not fail the caller: the
    transaction has committed, and what it recorded stands.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _run_after_commit(callbacks: list[Callable[[], object]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("an after-commit action failed; the committed work stands")


class Database:
    """One database: an engine, transactions, and its schema kept at the newest migration.

    Args:
        url: A SQLAlchemy URL; ``postgresql://`` uses psycopg 3.
        pool_size: Connections kept open per process (server databases).
        max_overflow: Connections opened beyond ``pool_size`` under load and closed
            after use; defaults to ``pool_size``.
        application_name: Shown for this process's connections in PostgreSQL's
            ``pg_stat_activity``, so an operator can tell API from worker connections.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 5,
        max_overflow: int | None = None,
        application_name: str = "essaygrader",
    ) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise InternalError(
                f"invalid database URL {mask_url(url)!r}",
                field="database_url",
                code="configuration_error",
            ) from exc
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            self.engine = _sqlite_engine(parsed.database or "")
        elif backend == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            self.engine = create_engine(
                parsed,
                pool_size=pool_size,
                max_overflow=pool_size if max_overflow is None else max_overflow,
                pool_pre_ping=True,
                connect_args={"application_name": application_name},
            )
        else:
            raise InternalError(
                f"unsupported database {backend!r}; use sqlite or postgresql",
                field="database_url",
                code="configuration_error",
            )
        self.url = parsed
        self._read_engine = self.engine.execution_options(**{_READ_ONLY: True})
        self._migrated = False
        self._migrate_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error.

        Actions registered with :func:`after_commit` run after a successful commit.
        """
        self.ensure_migrated()
        bind = self._read_engine if read_only else self.engine
        with Session(bind=bind, expire_on_commit=False) as session:
            with session.begin():
                yield session
            callbacks = session.info.pop(_AFTER_COMMIT, [])
        _run_after_commit(callbacks)

    def ensure_migrated(self) -> None:
        """Bring the schema to the newest migration, once per process."""
        if self._migrated:
            return
        with self._migrate_lock:
            if not self._migrated:
                self.migrate()

    def migrate(self) -> str | None:
        """Apply pending migrations; safe when several processes start at once.

        Returns:
            The revision the schema is at afterwards.
        """
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        head = ScriptDirectory.from_config(config).get_current_head()
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        if current != head:
            with self.engine.begin() as connection:
                if self.dialect == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            log.info("database migrated to %s", head)
        self._migrated = True
        return head

    def dispose(self, *, close: bool = True) -> None:
        """Drop pooled connections; after a fork, call with ``close=False``."""
        self.engine.dispose(close=close)


def _sqlite_engine(path: str) -> Engine:
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        _switch_to_wal(cursor)
        for pragma in ("synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _switch_to_wal(cursor: Any) -> None:
    """Put the file in WAL mode. Processes opening a new file together can find it locked
    while another one switches it, without SQLite waiting out the busy timeout: try again
    for as long as that timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
