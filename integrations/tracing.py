"""Tracing in the server: every run and every builder model call, traced in MLflow.

On unless `LOOM_TRACING=off`. Traces go to `sqlite:///$LOOM_HOME/mlflow.db` (a file of its
own, never the app's database) or to `MLFLOW_TRACKING_URI`. MLflow is imported and its
store opened on the tracer's background thread, so start-up does not wait for it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    from engine.tracing import Tracer

    from .context import Loom


class TracingComponent:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tracer: Tracer | None = None
        self._runner_listeners: list | None = None

    async def start(self, loom: Loom) -> None:
        from engine.tracing import Tracer, Tracking, enable_call_tracing

        tracking = Tracking(self.settings.home, self.settings.mlflow_tracking_uri)
        self.tracer = Tracer(loom.services, tracking=tracking)
        self.tracer.prepare()
        loom.runner.listeners.append(self.tracer)
        self._runner_listeners = loom.runner.listeners
        enable_call_tracing(tracking)
        loom.extras["tracing"] = self.tracer

    async def stop(self) -> None:
        from engine.tracing import disable_call_tracing

        if self.tracer is None:
            return
        if self._runner_listeners is not None and self.tracer in self._runner_listeners:
            self._runner_listeners.remove(self.tracer)
        await asyncio.to_thread(disable_call_tracing)
        await asyncio.to_thread(self.tracer.close)
        self.tracer = None


def component(settings: Settings) -> TracingComponent | None:
    return TracingComponent(settings) if settings.tracing else None
