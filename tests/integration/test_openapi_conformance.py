"""schemathesis against the OpenAPI document, in-process: generated requests to every
operation never get a server error, and every response matches the document (status,
content type, body schema), with an admin token and with a staff token.

Cases are valid requests, invalid ones (which must be refused with a documented 4xx), and
valid requests that address real records (two trained items with graded submissions), so
successful responses are checked too, not only refusals. Then the stateful phase chains
calls along the links schemathesis infers between operations. The example budgets keep
the whole run to a few minutes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine, text

from essaygrader.config import Settings
from essaygrader.db.models import Base
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from essaygrader.web.app import create_app
from essaygrader.web.rate_limit import FailureLimiter
from tests.factories import RUBRIC, essay, sample_metrics, train_with_metrics

pytestmark = pytest.mark.integration

# Admin tokens reach every operation; staff tokens meet more refusals (403), which need
# fewer examples to cover.
ROLES = ("admin", "staff")
EXAMPLES_PER_OPERATION = {"admin": 40, "staff": 20}
STATEFUL_SCENARIOS = 25
STATEFUL_STEPS = 8
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        present = set(
            connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
        tables = [t.name for t in Base.metadata.sorted_tables if t.name in present]
        if tables:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """One app over a database with two courses' worth of records, for the module."""
    folder: Path = tmp_path_factory.mktemp("conformance")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'essaygrader.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
        _empty_postgres(url)
    queue = InProcessTaskQueue()
    runtime = Runtime(Settings(data_dir=folder / "data", database_url=url), task_queue=queue)
    known: dict[str, list[str]] = {k: [] for k in ("course", "submission", "grading", "training")}
    for course in ("course-a", "course-b"):
        runtime.client.create_item(course, "item-1", RUBRIC)
        train_with_metrics(runtime, course, "item-1", sample_metrics())
        queue.join()
        submitted = runtime.client.submit(course, "item-1", "student", essay(50))
        queue.join()
        known["course"].append(course)
        known["submission"].append(submitted["submission_uuid"])
        known["grading"].append(submitted["grading_workflow_uuid"])
        known["training"].append(
            runtime.client.list_training_workflows(course, "item-1")["training_workflows"][0][
                "uuid"
            ]
        )
    tokens = {
        "admin": runtime.tokens.create_token("conformance", "admin")["token"],
        "staff": runtime.tokens.create_token(
            "conformance staff", "staff", ["course-a", "course-b"]
        )["token"],
    }
    app = create_app(runtime)
    # Generated requests include wrong tokens; the rate limit has its own tests and would
    # only turn later cases into 429s here.
    app.state.api_auth_limiter = FailureLimiter(0, 60)
    yield {"app": app, "tokens": tokens, "known": known, "queue": queue, "database": request.param}
    runtime.close()


def _operations() -> list[tuple[str, str]]:
    """Every (method, path) of the document; building the app touches no database."""
    app = create_app(Runtime(Settings(data_dir=Path("unused")), task_queue=InProcessTaskQueue()))
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    ]


OPERATIONS = _operations()
SUMMARY: list[tuple[str, str, str, dict[int, int]]] = []


@pytest.fixture(scope="module")
def api_schema(served: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", served["app"])


def _real_records(path: str, known: dict[str, list[str]], choice: int) -> dict[str, str]:
    """Path parameters that name records which exist, so answers other than 404 and 422
    are checked too."""
    return {
        "course_id": known["course"][choice],
        "item_id": "item-1",
        "submission_uuid": known["submission"][choice],
        "workflow_uuid": known["training" if "/training/" in path else "grading"][choice],
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_conforms(
    method: str, path: str, role: str, served: dict[str, Any], api_schema: Any
) -> None:
    operation = api_schema[path][method]
    names = {p.name for p in operation.path_parameters}
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if names:
        for choice in (0, 1):
            real = {
                k: v for k, v in _real_records(path, served["known"], choice).items() if k in names
            }
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))
    headers = {"Authorization": f"Bearer {served['tokens'][role]}"}
    seen: Counter[int] = Counter()

    @given(case=st.one_of(strategies))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION[role],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        seen[response.status_code] += 1
        # Tasks the requests queued run now, so the records stay consistent.
        served["queue"].join()

    check()
    SUMMARY.append((served["database"], role, method, path, dict(sorted(seen.items()))))


@pytest.mark.parametrize("role", ROLES)
def test_sequences_of_calls_conform(role: str, served: dict[str, Any], api_schema: Any) -> None:
    """The stateful phase: schemathesis chains calls through the links it infers from the
    document (a submission's uuid into its reads, an item's ids into its routes, a
    workflow's uuid into its status), so later calls address records earlier ones made."""
    headers = {"Authorization": f"Bearer {served['tokens'][role]}"}
    seen: Counter[int] = Counter()
    base = api_schema.as_state_machine()
    assert base.bundles, "schemathesis found no links between operations to follow"

    class Sequences(base):  # type: ignore[misc, valid-type]
        def call(self, case: Any, **kwargs: Any) -> Any:
            # On the case itself: the machine's steps do not all take call arguments, and
            # a step without the token would test nothing but the 401.
            case.headers = {**(case.headers or {}), **headers}
            return case.call(**kwargs)

        def after_call(self, response: Any, case: Any) -> None:
            seen[response.status_code] += 1
            served["queue"].join()

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=headers)

    Sequences.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
    )
    SUMMARY.append(
        (served["database"], role, "STATEFUL", "(sequences)", dict(sorted(seen.items())))
    )


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    """Write what was sent and answered to test-output/schemathesis-summary.txt."""
    yield
    if not SUMMARY:
        return
    out = Path(__file__).resolve().parents[2] / "test-output" / "schemathesis-summary.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{db:10} {role:5} {method:8} {path:58} {statuses}"
        for db, role, method, path, statuses in SUMMARY
    ]
    total = sum(sum(statuses.values()) for *_, statuses in SUMMARY)
    lines.append(f"{len(SUMMARY)} operation runs, {total} requests, no failures")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
