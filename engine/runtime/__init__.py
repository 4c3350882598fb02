"""Running workflows: `run`, `run_sync`, `stream`, `resume` and `approve`.

    result = await engine.run(wf, inputs={"url": "https://example.org"}, store=engine.MemoryStore())
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from ..language.workflow import Workflow
from .events import Event, Listener, RunFinished
from .executor import Execution
from .inputs import InputError, coerce_text, resolve_inputs
from .result import RunResult
from .resumption import record_approval, resumed_execution
from .runner import Runner, load_result
from .services import Services
from .store import MemoryStore, RunRecord, Store


async def run(workflow: Workflow, inputs: Mapping[str, Any] | None = None, *, store: Store | None = None,
              trigger: Mapping[str, Any] | None = None, services: Services | None = None,
              listeners: Sequence[Listener] | None = None, run_id: str | None = None,
              parent_run_id: str | None = None, inherited_listeners: Sequence[Listener] | None = None) -> RunResult:
    """Run `workflow` to its end (or until it waits for an approval) and return the result.
    `inherited_listeners` hear this run and every child run it starts."""
    services = services or Services(store=store or MemoryStore())
    inherited = list(inherited_listeners or [])
    execution = Execution(workflow, services, run_id=run_id, inputs=resolve_inputs(workflow, inputs),
                          trigger=trigger, listeners=[*(listeners or []), *inherited], recorded_running=True)
    execution.inherited_listeners = inherited
    await services.store.create_run(RunRecord(
        execution.run_id, workflow.name, "running", execution.inputs, execution.trigger,
        workflow.source_text, execution.started_at, parent_run_id=parent_run_id,
    ))
    return await execution.run()


def run_sync(workflow: Workflow, inputs: Mapping[str, Any] | None = None, **kwargs: Any) -> RunResult:
    """`run` for code that is not async (the CLI)."""
    return asyncio.run(run(workflow, inputs, **kwargs))


async def stream(workflow: Workflow, inputs: Mapping[str, Any] | None = None, **kwargs: Any
                 ) -> AsyncIterator[Event]:
    """The run's events as they happen; the last one is RunFinished. A run that cannot start
    (invalid inputs, say) raises its error here instead of yielding anything."""
    queue: asyncio.Queue[Event] = asyncio.Queue()
    listeners = [*kwargs.pop("listeners", []), queue.put_nowait]
    task = asyncio.create_task(run(workflow, inputs, listeners=listeners, **kwargs))
    try:
        while True:
            event = await _next_event(queue, task)
            yield event
            if isinstance(event, RunFinished):
                break
        await task
    finally:
        if not task.done():
            task.cancel()


async def _next_event(queue: asyncio.Queue[Event], task: asyncio.Task[RunResult]) -> Event:
    """The next event, or the run's exception once it has ended without one."""
    if queue.empty() and not task.done():
        getter = asyncio.ensure_future(queue.get())
        await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
    if queue.empty():
        task.result()  # raises the error that ended the run before its last event
        raise RuntimeError("the run ended without a RunFinished event")
    return queue.get_nowait()


async def resume(run_id: str, *, services: Services, listeners: list[Listener] | None = None,
                 inherited_listeners: list[Listener] | None = None) -> RunResult:
    """Continue a run from its journal: finished steps are not executed again."""
    execution = await resumed_execution(run_id, services, listeners=listeners or [],
                                        inherited_listeners=inherited_listeners or [])
    return await execution.run()


async def resume_interrupted(*, services: Services, listeners: list[Listener] | None = None) -> list[RunResult]:
    """At start-up: continue every run a stopped process left running (its finished steps are kept)."""
    interrupted = getattr(services.store, "interrupted_runs", None)
    if interrupted is None:
        return []
    results = []
    for run_id in await interrupted():
        results.append(await resume(run_id, services=services, listeners=listeners))
    return results


async def approve(run_id: str, *, services: Services, approved: bool, by: str | None = None,
                  comment: str | None = None, listeners: list[Listener] | None = None) -> RunResult:
    """Record the answer to the approval a run waits for, then resume it."""
    await record_approval(run_id, services, approved=approved, by=by, comment=comment)
    return await resume(run_id, services=services, listeners=listeners)


__all__ = [
    "Event",
    "InputError",
    "MemoryStore",
    "RunRecord",
    "RunResult",
    "Runner",
    "Services",
    "Store",
    "approve",
    "coerce_text",
    "load_result",
    "resume",
    "resume_interrupted",
    "run",
    "run_sync",
    "stream",
]
