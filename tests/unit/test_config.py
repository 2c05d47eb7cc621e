from __future__ import annotations

from pathlib import Path

import pytest

from essaygrader.config import Settings, mask_url
from essaygrader.errors import InternalError


def test_defaults_are_embedded_in_the_data_dir(tmp_path):
    settings = Settings.load({"ESSAYGRADER_DATA_DIR": str(tmp_path)})
    assert settings.resolved_database_url == f"sqlite:///{tmp_path}/essaygrader.db"
    assert settings.resolved_broker_url == f"sqla+sqlite:///{tmp_path}/broker.db"
    assert settings.resolved_storage_url == (tmp_path / "classifiers").as_uri()


def test_environment_overrides_file(tmp_path):
    config = tmp_path / "essaygrader.toml"
    config.write_text(
        "max_essay_chars = 500\ntask_max_retries = 5\n"
        '[algorithms.slow]\nclass = "essaygrader.algorithms.fake:FakeClassifier"\n'
        "params = {score_delay = 1}\n"
    )
    settings = Settings.load(
        {
            "ESSAYGRADER_CONFIG": str(config),
            "ESSAYGRADER_TASK_MAX_RETRIES": "7",
            "ESSAYGRADER_BROKER_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert settings.max_essay_chars == 500
    assert settings.task_max_retries == 7
    assert settings.broker_url == "redis://127.0.0.1:6379/0"
    assert settings.algorithms["slow"].params == {"score_delay": 1}


@pytest.mark.parametrize(
    ("environ", "field"),
    [
        ({"ESSAYGRADER_MAX_ESSAY_CHARS": "lots"}, "max_essay_chars"),
        ({"ESSAYGRADER_MAX_ESSAY_CHARS": "0"}, "max_essay_chars"),
        ({"ESSAYGRADER_GRADING_SOFT_TIME_LIMIT": "500"}, "grading_soft_time_limit"),
        ({"ESSAYGRADER_ALGORITHMS": '{"x": {"params": {}}}'}, "algorithms"),
        ({"ESSAYGRADER_ALGORITHMS": "not json"}, "algorithms"),
        ({"ESSAYGRADER_S3_MAX_ATTEMPTS": "0"}, "s3_max_attempts"),
        ({"ESSAYGRADER_S3_TIMEOUT_SECONDS": "0"}, "s3_timeout_seconds"),
        ({"ESSAYGRADER_CLASSIFIER_MEMORY_CACHE_MB": "-1"}, "classifier_memory_cache_mb"),
        ({"ESSAYGRADER_CLASSIFIER_DISK_CACHE_MB": "-5"}, "classifier_disk_cache_mb"),
        ({"ESSAYGRADER_WORKER_DATABASE_POOL_SIZE": "0"}, "worker_database_pool_size"),
        ({"ESSAYGRADER_DATABASE_MAX_OVERFLOW": "-1"}, "database_max_overflow"),
    ],
)
def test_invalid_settings_name_the_setting(environ, field):
    with pytest.raises(InternalError) as caught:
        Settings.load(environ)
    assert caught.value.field == field


def test_unknown_file_keys_are_refused(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("max_essay_char = 5\n")
    with pytest.raises(InternalError, match=r"unknown settings .*max_essay_char"):
        Settings.load({"ESSAYGRADER_CONFIG": str(config)})


def test_secrets_are_masked_when_shown():
    assert mask_url("postgresql://app:s3cret@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert mask_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    shown = Settings(database_url="postgresql://app:s3cret@db/x").public_dict()
    assert "s3cret" not in str(shown)


def test_the_disk_cache_lives_in_the_data_dir_unless_named(tmp_path):
    settings = Settings.load({"ESSAYGRADER_DATA_DIR": str(tmp_path)})
    assert settings.resolved_disk_cache_dir == tmp_path / "classifier-cache"
    named = Settings.load({"ESSAYGRADER_CLASSIFIER_DISK_CACHE_DIR": str(tmp_path / "c")})
    assert named.resolved_disk_cache_dir == tmp_path / "c"


def test_internal_errors_are_retried_unless_their_code_says_retrying_cannot_help():
    from essaygrader.errors import InternalError

    assert not InternalError("denied", field="storage_url", code="storage_access_error").retryable
    assert not InternalError("bad model", code="algorithm_load_error").retryable
    assert InternalError("connection reset", code="storage_error").retryable
    assert InternalError("connection reset").retryable
    assert not InternalError("odd", code="storage_error", retryable=False).retryable


def test_the_data_dir_is_the_users_unless_the_working_folder_has_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    environ = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    assert Settings.load(environ).data_dir == tmp_path / "xdg" / "essaygrader"
    assert Settings.load({}).data_dir == Path.home() / ".local" / "share" / "essaygrader"
    # Where earlier versions kept it, it stays.
    (tmp_path / "essaygrader-data").mkdir()
    assert Settings.load(environ).data_dir == Path("essaygrader-data")
    assert Settings.load({**environ, "ESSAYGRADER_DATA_DIR": "/srv/eg"}).data_dir == Path("/srv/eg")
