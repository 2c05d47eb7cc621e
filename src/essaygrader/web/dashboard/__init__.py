"""The staff dashboard: server-rendered pages over the same Python API and access rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from essaygrader.web.dashboard.render import PREFIX, error_page


def install_dashboard(app: FastAPI) -> None:
    """Add the dashboard's pages, forms and static files to ``app``."""
    from essaygrader.web.dashboard import forms, pages, session

    app.include_router(session.router)
    app.include_router(pages.router)
    app.include_router(forms.router)
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="dashboard-static",
    )
    app.state.error_page = error_page
