"""One contract: the OpenAPI document only gains, and HttpClient stays light to import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BASELINE = Path(__file__).with_name("openapi_baseline.json")


def _lost(old: Any, new: Any, path: str = "") -> list[str]:
    """What ``old`` has that ``new`` lacks or changed; keys ``new`` adds do not count, nor
    fields an answer's schema (named ``…Out``) newly promises always to hold: clients
    receive more, and send none of them."""
    if _answer_promises_more(old, new, path):
        return []
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [path]
        return [
            lost
            for key, value in old.items()
            for lost in (
                [f"{path}/{key}"] if key not in new else _lost(value, new[key], f"{path}/{key}")
            )
        ]
    return [] if old == new else [path]


def _answer_promises_more(old: Any, new: Any, path: str) -> bool:
    parts = path.split("/")
    return (
        len(parts) == 5
        and parts[1:3] == ["components", "schemas"]
        and parts[3].endswith("Out")
        and parts[4] == "required"
        and isinstance(old, list)
        and isinstance(new, list)
        and set(old) <= set(new)
    )


def test_the_openapi_document_only_gains(app):
    """Paths, operations, parameters and schemas of the released document stay as they are;
    a change that removes or alters one breaks clients. Regenerate the baseline only when a
    version may break them."""
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    current = json.loads(json.dumps(app.openapi()))
    assert _lost(baseline, current) == []


def test_the_baseline_check_sees_a_lost_field():
    old = {"components": {"schemas": {"Item": {"properties": {"a": {}, "b": {}}}}}}
    new = {"components": {"schemas": {"Item": {"properties": {"a": {}, "c": {}}}}}}
    assert _lost(old, new) == ["/components/schemas/Item/properties/b"]


def test_an_answer_may_promise_more_fields_but_a_request_may_not_demand_more():
    old = {
        "components": {"schemas": {"StatusOut": {"required": ["a"]}, "ItemIn": {"required": ["a"]}}}
    }
    new = {
        "components": {
            "schemas": {"StatusOut": {"required": ["a", "b"]}, "ItemIn": {"required": ["a", "b"]}}
        }
    }
    assert _lost(old, new) == ["/components/schemas/ItemIn/required"]
    fewer = {
        "components": {"schemas": {"StatusOut": {"required": []}, "ItemIn": {"required": ["a"]}}}
    }
    assert _lost(old, fewer) == ["/components/schemas/StatusOut/required"]


def test_importing_the_http_client_loads_no_database_broker_or_numerics():
    code = (
        "import sys, essaygrader.client; "
        "print(sorted(m for m in ('sqlalchemy', 'celery', 'kombu', 'numpy', 'sklearn') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
