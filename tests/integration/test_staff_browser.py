"""Course staff in the loop, in headless Chromium: grade essays into training examples
from the grade-next queue by keyboard (digits choose options, Enter saves and opens the
next essay), train from the graded submissions, hold AI grades for review, confirm one
and override another.

Screenshots go to ``test-output/screenshots/staff-*.png``; the ones the staff guide
shows are also written to ``docs/images/`` (``docs/staff-guide.md``).
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from essaygrader.client import HttpClient
from essaygrader.config import Settings
from essaygrader.runtime import Runtime
from essaygrader.web.app import create_app
from tests.integration.live_server import LiveServer, ThreadedTaskQueue
from tests.integration.test_dashboard_browser import CHROMIUM_ARGS, SCREENSHOTS, chromium

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
GUIDE_IMAGES = ROOT / "docs" / "images"
# The shipped example: at the top of the repository, or inside the package.
DEMO = next(
    path
    for path in (ROOT / "examples" / "demo", ROOT / "src" / "essaygrader" / "examples" / "demo")
    if path.is_dir()
)
COURSE, ITEM = "course-web", "maple-lot"
ITEM_URL = f"/dashboard/courses/{COURSE}/items/{ITEM}"
# Shown in the guide: a narrower page keeps the images small and legible.
VIEWPORT = {"width": 1180, "height": 820}
MASH = "asdf jkl; qwerty asdf jkl; zxcv asdf qwerty jkl; asdf zxcv qwerty asdf jkl;"


@pytest.fixture
def service(tmp_path) -> Iterator[dict[str, Any]]:
    queue = ThreadedTaskQueue()
    runtime = Runtime(
        Settings(data_dir=tmp_path / "data", default_algorithm="fake"), task_queue=queue
    )
    queue.start()
    server = LiveServer(create_app(runtime)).start()
    yield {
        "url": server.url,
        "runtime": runtime,
        "staff": runtime.tokens.create_token("Ms Rivera", "staff", [COURSE])["token"],
        "platform": runtime.tokens.create_token("LMS", "platform", [COURSE])["token"],
    }
    server.stop()
    queue.stop()
    runtime.close()


def demo_rows(name: str) -> list[dict[str, str]]:
    with (DEMO / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def wait_graded(platform: HttpClient, submitted: list[dict[str, Any]]) -> None:
    uuids = [s["grading_workflow_uuid"] for s in submitted]
    deadline = time.monotonic() + 60
    while set(platform.get_workflow_statuses(uuids).values()) != {"complete"}:
        assert time.monotonic() < deadline, "grading did not finish"
        time.sleep(0.2)


def test_staff_grade_train_review_and_override(service):
    executable = chromium()
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("staff-*.png"):
        old.unlink()
    url, api = service["url"], service["runtime"].client
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        def shot(name: str, *, guide: bool = False) -> None:
            path = SCREENSHOTS / f"staff-{name}.png"
            page.screenshot(path=str(path), full_page=True)
            if guide:
                # The top of the page, to keep the guide's images small.
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(GUIDE_IMAGES / f"staff-{name}.png"))

        page.goto(f"{url}/dashboard/sign-in")
        page.fill("input[name=token]", service["staff"])
        page.click("button:has-text('Sign in')")
        expect(page.locator("h1")).to_have_text("Courses")

        # Create the item: the example's prompt and rubric, AI grades released at once.
        page.goto(f"{url}/dashboard/courses/{COURSE}")
        page.fill("#create-item input[name=item_id]", ITEM)
        page.fill("#create-item textarea[name=prompt]", (DEMO / "prompt.txt").read_text().strip())
        page.fill("#create-item textarea[name=rubric]", (DEMO / "rubric.json").read_text())
        expect(page.locator("#create-item select[name=review_policy]")).to_have_value("none")
        shot("00-create-item", guide=True)
        page.click("#create-item button:has-text('Create item')")
        expect(page.locator("h1")).to_contain_text(f"Item {ITEM}")

        essays = demo_rows("essays.csv")
        graded_elsewhere = demo_rows("training.csv")[:24]
        with HttpClient(url, service["platform"]) as platform:
            # Students submit before any classifier exists: their essays wait.
            first = platform.submit_many(
                COURSE,
                ITEM,
                [{"student_id": e["student_id"], "answer": e["text"]} for e in essays[:9]]
                + [
                    {"student_id": f"earlier-{i}", "answer": e["text"]}
                    for i, e in enumerate(graded_elsewhere)
                ],
            )

        # The grade-next queue: before training, a random sample of the essays.
        page.goto(f"{url}{ITEM_URL}")
        page.click("nav.tabs a:has-text('Grade next')")
        expect(page.locator("h1")).to_contain_text("Grade next")
        expect(page.locator("#suggested tbody tr").first).to_be_visible()
        expect(page.locator("#training-set")).to_contain_text("Train from 0 graded submissions")
        shot("01-grade-next", guide=True)

        # Grade three essays by keyboard; each Enter saves and opens the next suggestion.
        page.click("#start-grading")
        graded: list[str] = []
        for n, keys in enumerate((["4", "3", "3"], ["2", "2", "2"], ["1", "1", "1"])):
            expect(page.locator("#grade-form")).to_be_visible()
            uuid = re.search(r"/submissions/([^?]+)", page.url).group(1)
            assert uuid not in graded
            if n == 0:
                page.fill(
                    "textarea[name='feedback:comments']",
                    "Strong reasons. Next time, answer the parking argument in more detail.",
                )
                page.focus("fieldset[data-criterion=ideas] input[type=radio] >> nth=0")
            expect(page.locator("fieldset[data-criterion=ideas]")).to_have_class(
                re.compile(r"\bcurrent\b")
            )
            for key in keys:
                page.keyboard.press(key)
            for criterion, key in zip(("ideas", "organization", "conventions"), keys, strict=True):
                chosen = page.locator(
                    f"fieldset[data-criterion={criterion}] input[type=radio] >> nth={int(key) - 1}"
                )
                expect(chosen).to_be_checked()
            if n == 0:
                shot("02-essay-grading", guide=True)
            page.keyboard.press("Enter")
            expect(page.locator(".notice")).to_contain_text("Grade saved")
            graded.append(uuid)
        current = {u: api.get_submission(u)["assessment"] for u in graded}
        assert all(a is not None and a["type"] == "staff" for a in current.values())
        assert current[graded[0]]["scorer_id"] == "Ms Rivera"
        assert {p["criterion"]: p["option"] for p in current[graded[0]]["parts"]} == {
            "ideas": "strong",
            "organization": "well organized",
            "conventions": "few errors",
        }
        assert current[graded[0]]["feedback"]["comments"].startswith("Strong reasons.")

        # Colleagues graded the earlier essays (through the API here, to keep the test short).
        by_text = {e["text"]: e for e in graded_elsewhere}
        colleagues = [
            s["submission_uuid"]
            for s in first[len(essays[:9]) :]
            if s["submission_uuid"] not in graded
        ]
        for uuid in colleagues:
            row = by_text[api.get_submission(uuid)["text"]]
            api.create_staff_assessment(
                uuid,
                {c: row[c] for c in ("ideas", "organization", "conventions")},
                scorer_id="Mr Okafor",
            )

        # Train from every staff grade.
        page.goto(f"{url}{ITEM_URL}/grade-next")
        total = len(graded) + len(colleagues)
        button = page.locator("#training-set button")
        expect(button).to_have_text(f"Train from {total} graded submissions")
        expect(page.locator("#training-set .corrections")).to_contain_text(
            f"{total} corrections since the last training"
        )
        shot("03-ready-to-train", guide=True)
        button.click()
        expect(page.locator(".notice")).to_contain_text(f"Training started on {total} examples.")
        expect(page.locator("#training [data-field=status]")).to_have_text(
            "complete", timeout=60_000
        )
        expect(page.locator("#training .corrections")).to_contain_text(
            "0 corrections since the last training"
        )
        page.click("nav.tabs a:has-text('Quality')")
        expect(page.locator("#mean-qwk")).to_be_visible()
        shot("04-quality", guide=True)

        # Hold every AI grade for review.
        page.goto(f"{url}{ITEM_URL}")
        page.select_option("#settings select[name=review_policy]", "all")
        page.click("#settings button:has-text('Save review settings')")
        expect(page.locator(".notice")).to_contain_text("Review settings saved.")
        assert api.get_item(COURSE, ITEM)["review_policy"] == "all"
        with HttpClient(url, service["platform"]) as platform:
            late = platform.submit_many(
                COURSE,
                ITEM,
                [{"student_id": e["student_id"], "answer": e["text"]} for e in essays[9:]]
                + [{"student_id": "s199", "answer": MASH}],
            )
            wait_graded(platform, late)
            # Held grades are invisible to the platform.
            assert all(platform.get_latest_assessment(s["submission_uuid"]) is None for s in late)

        page.click("nav.tabs a:has-text('Review')")
        rows = page.locator("#reviews tbody tr")
        # Only grades given since the policy changed are held.
        expect(rows).to_have_count(len(late))
        shot("05-review-queue", guide=True)

        # Confirm one from the list: it is released to the platform.
        confirmed = rows.first.get_attribute("data-submission")
        rows.first.locator("button:has-text('Confirm')").click()
        expect(page.locator(".notice")).to_contain_text("Grade confirmed and released.")
        expect(page.locator(f"#reviews tr[data-submission='{confirmed}']")).to_have_count(0)
        with HttpClient(url, service["platform"]) as platform:
            released = platform.get_latest_assessment(confirmed)
        assert released is not None
        assert released["type"] == "ai"

        # Override the next: the essay page shows the held grade beside the form.
        overridden = rows.first.get_attribute("data-submission")
        rows.first.locator("a:has-text('Override')").click()
        expect(page.locator("#pending-review")).to_be_visible()
        page.focus("fieldset[data-criterion=ideas] input[type=radio] >> nth=0")
        for key in ("2", "1", "2"):
            page.keyboard.press(key)
        shot("06-override", guide=True)
        page.keyboard.press("Enter")
        expect(page.locator(".notice")).to_contain_text(
            "Grade saved; this is the next essay of the review queue"
        )
        assert overridden not in page.url
        with HttpClient(url, service["platform"]) as platform:
            now = platform.get_latest_assessment(overridden)
        assert now is not None
        assert now["type"] == "staff"

        # The results, current grades with their source, as a spreadsheet-safe CSV.
        page.goto(f"{url}{ITEM_URL}")
        with page.expect_download() as download:
            page.click("#results-csv")
        text = Path(download.value.path()).read_text(encoding="utf-8")
        results = list(csv.DictReader(io.StringIO(text)))
        sources = {r["submission_uuid"]: r["source"] for r in results}
        assert sources[overridden] == "staff"
        assert sources[confirmed] == "ai"
        assert all(sources[u] == "staff" for u in graded)
        browser.close()
    assert errors == []
