"""One contract: the OpenAPI document only gains, and HttpClient stays light to import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BASELINE = Path(__file__).with_name("openapi_baseline.json")


def _lost(old: Any, new: Any, path: str = "") -> list[str]:
    """What ``old`` has that ``new`` lacks or changed; keys ``new`` adds do not count."""
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
