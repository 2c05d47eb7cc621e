"""The API reference and the bare address: what a newcomer opens first works offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from essaygrader.config import Settings
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from essaygrader.web.app import create_app

SRC = Path(__file__).resolve().parents[3] / "src"


@pytest.fixture
def client(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path), task_queue=InProcessTaskQueue())
    with TestClient(create_app(runtime)) as client:
        yield client
    runtime.close()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_reference_pages_load_only_local_files(client, page):
    response = client.get(page)
    assert response.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    urls += re.findall(r"url: '([^']+)'|spec-url=\"([^\"]+)\"", response.text)[0]
    urls = [u for u in urls if u]
    assert urls
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        assert client.get(url).status_code == 200, url


def test_the_bare_address_leads_to_the_dashboard(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "/dashboard/"


def test_no_source_file_names_a_cdn():
    hosts = re.compile(r"cdn\.|unpkg\.com|jsdelivr|cdnjs|googleapis\.com")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".html", ".js", ".css"}
        and hosts.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
