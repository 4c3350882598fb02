"""The HTTP server: one FastAPI app with the REST API, the channels' webhooks and the Gradio UI.

    app = create_app()                 # everything from the environment
    app = create_app(loom, ui=False)   # a test's own Loom, without the UI (no Gradio import)

Routes are matched in order, so the UI, mounted at `/`, comes last.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import api, mlflow_ui, scheduler, telegram, tracing, whatsapp
from .context import Component, Loom

log = logging.getLogger("loomwork")


def default_components(loom: Loom) -> list[Component]:
    """The background parts the settings ask for; each factory returns None when not configured."""
    factories = (tracing.component, telegram.component, whatsapp.component, scheduler.component,
                 mlflow_ui.component)
    return [c for c in (factory(loom.settings) for factory in factories) if c is not None]


def create_app(loom: Loom | None = None, *, ui: bool = True, components: bool = True) -> FastAPI:
    loom = loom or Loom.open()
    if components:
        loom.components.extend(default_components(loom))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await loom.start()
        # Runs a stopped process left behind go on from their journal, in the background.
        resuming = asyncio.create_task(_resume(loom))
        yield
        resuming.cancel()
        await loom.stop()

    app = FastAPI(title="Loomwork", version="0.1.0", lifespan=lifespan,
                  description="Agent workflows as reviewable config: REST API, webhooks and chat channels.")
    app.state.loom = loom
    app.include_router(api.router)
    app.include_router(telegram.router)
    app.include_router(whatsapp.router)
    app.include_router(mlflow_ui.router)
    if ui:
        import gradio as gr

        from chatbuilder.ui import build_ui, launch_options

        app = gr.mount_gradio_app(app, build_ui(loom), path="/", **launch_options())
    return app


async def _resume(loom: Loom) -> None:
    for run_id in await loom.runner.resume_interrupted():
        log.info("resuming interrupted run %s", run_id)
