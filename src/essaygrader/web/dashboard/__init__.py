"""The staff dashboard: server-rendered pages over the same Python API and access rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from essaygrader.web.dashboard.render import PREFIX, error_page


def dashboard_routers() -> list[APIRouter]:
    """Every router of the dashboard: its pages, forms, sign-in and token pages, the
    essay page, the staff queues, the downloads and students' data."""
    from essaygrader.web.dashboard import (
        downloads,
        essays,
        forms,
        pages,
        session,
        students,
        tokens,
        work_queues,
    )

    return [
        session.router,
        pages.router,
        forms.router,
        tokens.router,
        essays.router,
        essays.forms,
        work_queues.router,
        work_queues.forms,
        downloads.router,
        students.router,
    ]


def install_dashboard(app: FastAPI) -> None:
    """Add the dashboard's pages, forms and static files to ``app``."""
    for router in dashboard_routers():
        app.include_router(router)
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="dashboard-static",
    )
    app.state.error_page = error_page
