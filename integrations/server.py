"""The HTTP server: one FastAPI app that the UI, the REST API and the channels mount onto."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from engine.steps import registry

_HOME = """<!doctype html><html><head><meta charset="utf-8"><title>Loomwork</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Loomwork is running</h1>
<p>The builder UI is not part of this build yet. The API health check is at
<a href="/api/v1/health">/api/v1/health</a>; the language schema at
<a href="/api/v1/schema">/api/v1/schema</a>.</p>
</body></html>"""


def create_app() -> FastAPI:
    app = FastAPI(title="Loomwork", version="0.1.0")

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
