"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import threading

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from essaygrader.db.models import Base
from essaygrader.db.session import MIGRATIONS, Database
from tests.factories import RUBRIC, essay


def test_models_and_migrations_agree(database_url):
    database = Database(database_url)
    try:
        database.migrate()
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.check(config)  # raises if a model changed without a migration
        tables = set(inspect(database.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
    finally:
        database.dispose()


def test_processes_starting_together_migrate_once(database_url):
    databases = [Database(database_url) for _ in range(3)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(databases))

    def start(database: Database) -> None:
        barrier.wait()
        try:
            database.ensure_migrated()
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(d,)) for d in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with databases[0].transaction(read_only=True) as session:
            assert (
                session.connection()
                .exec_driver_sql("SELECT count(*) FROM alembic_version")
                .scalar()
                == 1
            )
    finally:
        for database in databases:
            database.dispose()


def test_the_token_table_migrates_down_and_up(database_url):
    database = Database(database_url)
    database.migrate()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        assert "api_tokens" not in inspect(database.engine).get_table_names()
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        assert "api_tokens" in inspect(database.engine).get_table_names()
    finally:
        database.dispose()


def test_staff_assessments_migrate_down_and_up(runtime, api):
    api.create_item("course-a", "item-1", RUBRIC, review_policy="all")
    uuid = api.submit("course-a", "item-1", "s1", essay(30))["submission_uuid"]
    api.create_staff_assessment(uuid, {"ideas": "good", "conventions": "few errors"})
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with runtime.database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    columns = {c["name"] for c in inspect(runtime.database.engine).get_columns("assessments")}
    assert "review_status" not in columns
    with runtime.database.engine.begin() as connection:
        # A staff assessment cannot exist before 0004: downgrading removes it, not the essay.
        assert connection.exec_driver_sql("SELECT count(*) FROM assessments").scalar() == 0
        assert connection.exec_driver_sql("SELECT count(*) FROM submissions").scalar() == 1
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert api.get_item("course-a", "item-1")["review_policy"] == "none"
    assert api.get_submission(uuid)["review_status"] == "none"


def test_keys_audit_and_retention_migrate_down_and_up(database_url):
    database = Database(database_url)
    database.migrate()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def schema():
        found = inspect(database.engine)
        return set(found.get_table_names()), {c["name"] for c in found.get_columns("submissions")}

    try:
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        tables, columns = schema()
        assert not {"idempotency_keys", "audit_records"} & tables
        assert "text_purged_at" not in columns
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        tables, columns = schema()
        assert {"idempotency_keys", "audit_records"} <= tables
        assert "text_purged_at" in columns
    finally:
        database.dispose()
