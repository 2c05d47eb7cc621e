"""The dashboard in headless Chromium, as a member of course staff uses it: sign in, create
an item, upload examples (first with mistakes), train and watch the status turn complete
without reloading, then see the grades of essays a platform submitted through the API,
and the quality charts drawn from the cross-validated quality training recorded. Each
page is saved as a screenshot under ``test-output/screenshots``.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from essaygrader.algorithms.registry import AlgorithmSpec
from essaygrader.client import HttpClient
from essaygrader.config import Settings
from essaygrader.runtime import Runtime
from essaygrader.web.app import create_app
from tests.conftest import REQUIRE_SERVICES
from tests.factories import RUBRIC, essay, examples
from tests.integration.live_server import LiveServer, ThreadedTaskQueue

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FAKE = "essaygrader.algorithms.fake:FakeClassifier"


def chromium() -> str:
    """Debian's chromium; skip where it is missing, fail where CI requires it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "Debian's chromium is not installed (apt-get install -y chromium)"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}, and ESSAYGRADER_REQUIRE_SERVICES=1 says it must be")
    pytest.skip(message)


@pytest.fixture
def service(tmp_path) -> Iterator[dict[str, Any]]:
    settings = Settings(
        data_dir=tmp_path / "data",
        # The fake algorithm, slowed down so the page is seen following a running training.
        default_algorithm="fake-slow",
        algorithms={"fake-slow": AlgorithmSpec(FAKE, {"train_delay": 1.0})},
    )
    queue = ThreadedTaskQueue()
    runtime = Runtime(settings, task_queue=queue)
    queue.start()
    server = LiveServer(create_app(runtime)).start()
    yield {
        "url": server.url,
        "runtime": runtime,
        "staff": runtime.tokens.create_token("Course staff", "staff", ["course-web"])["token"],
        "platform": runtime.tokens.create_token("LMS", "platform", ["course-web"])["token"],
    }
    server.stop()
    queue.stop()
    runtime.close()


def write_examples(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "ideas", "conventions"])
        for row in rows:
            selected = row["options_selected"]
            writer.writerow([row["text"], selected["ideas"], selected["conventions"]])
    return path


def test_staff_work_through_the_dashboard(service, tmp_path):
    executable = chromium()
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    url = service["url"]
    bad_rows = examples(30)
    bad_rows[2]["options_selected"]["ideas"] = "excellent"
    bad_rows[9]["text"] = ""
    bad_file = write_examples(tmp_path / "graded-with-mistakes.csv", bad_rows)
    good_file = write_examples(tmp_path / "graded.csv", examples(30))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # A form refused with 422 is expected; any other failed load or script error is not.
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and "status of 422 " not in m.text
                else None
            ),
        )

        def shot(name: str) -> None:
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

        # Sign in.
        page.goto(f"{url}/dashboard/")
        expect(page).to_have_url(re.compile(r"/dashboard/sign-in"))
        shot("01-sign-in")
        page.fill("input[name=token]", service["staff"])
        page.click("button:has-text('Sign in')")
        expect(page.locator("h1")).to_have_text("Courses")
        expect(page.locator("#courses")).to_contain_text("course-web")
        shot("02-courses")

        # Create an item.
        page.click("#courses a:has-text('course-web')")
        expect(page.locator("h1")).to_have_text("Course course-web")
        page.fill("#create-item input[name=item_id]", "letter-1")
        page.fill("#create-item textarea[name=prompt]", "Write a letter to the town council.")
        page.fill("#create-item textarea[name=rubric]", json.dumps(RUBRIC, indent=2))
        shot("03-course-create-item")
        page.click("#create-item button:has-text('Create item')")
        expect(page.locator("h1")).to_contain_text("Item letter-1")
        expect(page.locator("#training")).to_contain_text("Not trained yet.")
        expect(page.locator("#rubric")).to_contain_text("few errors (3)")
        shot("04-item")

        # Upload examples with mistakes: every bad row is named, nothing is trained.
        page.set_input_files("input[name=examples]", str(bad_file))
        page.click("#train-form button:has-text('Train')")
        problems = page.locator("#upload-errors tbody tr")
        expect(problems).to_have_count(2)
        # Lines of the file, the header being line 1.
        expect(problems.nth(0).locator("td").first).to_have_text("4")
        expect(problems.nth(0)).to_contain_text("unknown option 'excellent'")
        expect(problems.nth(1).locator("td").first).to_have_text("11")
        expect(problems.nth(1)).to_contain_text("text")
        shot("05-upload-errors")

        # Upload the corrected file and train; the status follows along without a reload.
        page.set_input_files("input[name=examples]", str(good_file))
        page.click("#train-form button:has-text('Train')")
        expect(page.locator(".notice")).to_contain_text("Training started on 30 examples.")
        status = page.locator("#training [data-field=status]")
        expect(status).to_have_text("scheduled")
        shot("06-training-running")
        expect(status).to_have_text("complete", timeout=60_000)
        # The item has no min_qwk, so no gate was passed or failed.
        expect(page.locator("#classifier-set")).to_contain_text("no quality gate.")
        shot("07-training-complete")

        # A platform submits essays through the API; the dashboard shows their grades.
        with HttpClient(url, service["platform"]) as platform:
            submitted = platform.submit_many(
                "course-web",
                "letter-1",
                [
                    {"student_id": f"student-{i}", "answer": essay(15 + 25 * i, seed=i)}
                    for i in range(6)
                ],
            )
            uuids = [s["grading_workflow_uuid"] for s in submitted]
            deadline = time.monotonic() + 60
            while set(platform.get_workflow_statuses(uuids).values()) != {"complete"}:
                assert time.monotonic() < deadline, "grading did not finish"
                time.sleep(0.2)
            grades = {
                s["submission_uuid"]: platform.get_latest_assessment(s["submission_uuid"])
                for s in submitted
            }
        page.click("nav.tabs a:has-text('Submissions')")
        rows = page.locator("#submissions tbody tr")
        expect(rows).to_have_count(6)
        for i, assessment in enumerate(grades.values()):
            row = rows.nth(i)
            expect(row).to_contain_text(f"student-{i}")
            expect(row).to_contain_text(
                f"{assessment['points_earned']}/{assessment['points_possible']}"
            )
            for part in assessment["parts"]:
                expect(row).to_contain_text(f"{part['option']} ({part['points']})")
        shot("08-submissions")
        page.check("input[name=low_confidence]")
        page.click("#filters button:has-text('Filter')")
        expect(page).to_have_url(re.compile(r"low_confidence=1"))
        shot("09-submissions-low-confidence")

        # The quality charts of the classifier set.
        page.goto(f"{url}/dashboard/courses/course-web/items/letter-1/quality")
        expect(page.locator("svg.heat-map")).to_have_count(2)
        expect(page.locator("svg.bar-chart")).to_have_count(2)
        recorded = service["runtime"].client.get_classifier_set_info("course-web", "letter-1")[
            "metrics"
        ]
        expect(page.locator("#mean-qwk")).to_have_text(f"{recorded['mean_qwk']:.3f}")
        expect(
            page.locator("section.criterion[data-criterion=ideas] svg.heat-map g.cell")
        ).to_have_count(9)
        shot("10-quality")

        # The backlog panel, and its reschedule button.
        page.goto(f"{url}/dashboard/courses/course-web/items/letter-1")
        backlog = page.locator("#backlog")
        expect(backlog.locator("tr[data-type=grade] td").nth(3)).to_have_text("0")
        page.click("#backlog button:has-text('Reschedule unfinished work')")
        expect(page.locator(".notice")).to_contain_text("Rescheduled 0 training and 0 grading")
        shot("11-backlog-rescheduled")
        browser.close()
    assert errors == []
    assert sorted(p.name for p in SCREENSHOTS.glob("*.png")) == [
        "01-sign-in.png",
        "02-courses.png",
        "03-course-create-item.png",
        "04-item.png",
        "05-upload-errors.png",
        "06-training-running.png",
        "07-training-complete.png",
        "08-submissions.png",
        "09-submissions-low-confidence.png",
        "10-quality.png",
        "11-backlog-rescheduled.png",
    ]


def test_the_api_reference_works_without_the_internet(service):
    executable = chromium()
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []

    def only_this_machine(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        page.route("**/*", only_this_machine)
        page.goto(f"{service['url']}/")
        expect(page).to_have_url(re.compile(r"/dashboard/sign-in"))
        page.goto(f"{service['url']}/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("essaygrader")
        operation = page.locator(".opblock-summary-description", has_text="Create an item")
        expect(operation).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "docs-offline.png"), full_page=False)
        browser.close()
    assert outside == []
