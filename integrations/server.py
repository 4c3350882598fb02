"""The HTTP server: one FastAPI app that the UI, the REST API and the channels mount onto."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from engine.library import FileLibrary
from engine.runtime import Services, resume_interrupted
from engine.runtime.store import default_store
from engine.steps import registry

log = logging.getLogger("loomwork")

_HOME = """<!doctype html><html><head><meta charset="utf-8"><title>Loomwork</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Loomwork is running</h1>
<p>The builder UI is not part of this build yet. The API health check is at
<a href="/api/v1/health">/api/v1/health</a>; the language schema at
<a href="/api/v1/schema">/api/v1/schema</a>.</p>
</body></html>"""


def create_app(services: Services | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.services = services or Services(store=default_store(), resolve_workflow=FileLibrary())
        # Runs a stopped process left behind go on from their journal, in the background.
        app.state.resuming = asyncio.create_task(_resume(app.state.services))
        yield
        app.state.resuming.cancel()

    app = FastAPI(title="Loomwork", version="0.1.0", lifespan=lifespan)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> str:
        return _HOME

    @app.get("/api/v1/health")
    def health() -> dict:
        return {"status": "ok", "step_types": registry.names()}

    @app.get("/api/v1/schema")
    def schema() -> dict:
        from engine.schema import workflow_schema

        return workflow_schema()

    return app


async def _resume(services: Services) -> None:
    for result in await resume_interrupted(services=services):
        log.info("resumed run %s of %s: %s", result.run_id, result.workflow, result.status)
