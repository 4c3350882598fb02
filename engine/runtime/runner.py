"""Runs in the background of one process: start, wait, watch, cancel, approve.

The server, the builder's run panel and every channel start runs through one `Runner`.
`start` returns once the run is durably recorded (as `running`: this process executes it
at once; one write fewer per run than `queued` then `running`), so a caller can acknowledge
the request knowing that a restart resumes it (`resume_interrupted`). The run itself goes
on in an asyncio task; its events reach the runner's listeners (the tracer, a bot's
progress message) and anyone who `watch`es it.

    runner = Runner(services)
    run_id = await runner.start(workflow, {"url": "https://example.org"})
    result = await runner.wait(run_id, timeout=30)     # None while it still runs
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from ..errors import LoomError, StepError
from ..language.workflow import Workflow
from .events import Event, Listener, RunFinished
from .executor import Execution
from .inputs import resolve_inputs
from .result import RunResult, Usage
from .resumption import ENDED, record_approval, resumed_execution
from .services import Services
from .store import RunRecord


class _Active:
    """A run this process is executing: its task, its events so far, and who is watching."""

    __slots__ = ("events", "execution", "task", "watchers")

    def __init__(self, execution: Execution) -> None:
        self.execution = execution
        self.task: asyncio.Task[RunResult] | None = None
        self.events: list[Event] = []
        self.watchers: list[asyncio.Queue[Event]] = []

    def record(self, event: Event) -> None:
        self.events.append(event)
        for queue in self.watchers:
            queue.put_nowait(event)


class Runner:
    def __init__(self, services: Services, *, listeners: Iterable[Listener] = (), keep_results: int = 1000) -> None:
        self.services = services
        self.listeners: list[Listener] = list(listeners)
        self._active: dict[str, _Active] = {}
        self._results: OrderedDict[str, RunResult] = OrderedDict()
        self._keep_results = keep_results

    # ---- starting -----------------------------------------------------------------------

    async def start(self, workflow: Workflow, inputs: Mapping[str, Any] | None = None, *,
                    trigger: Mapping[str, Any] | None = None, run_id: str | None = None,
                    listeners: Iterable[Listener] = ()) -> str:
        """Record a new run as queued and set it going. Raises `InputError` for bad inputs."""
        execution = Execution(workflow, self.services, run_id=run_id, inputs=resolve_inputs(workflow, inputs),
                              trigger=trigger, recorded_running=True)
        await self.services.store.create_run(RunRecord(
            execution.run_id, workflow.name, "running", execution.inputs, execution.trigger,
            workflow.source_text, execution.started_at,
        ))
        return self._launch(execution, listeners)

    async def resume(self, run_id: str, *, listeners: Iterable[Listener] = ()) -> str:
        """Continue a stored run from its journal, in the background."""
        if run_id in self._active:
            return run_id
        return self._launch(await resumed_execution(run_id, self.services), listeners)

    async def resume_interrupted(self) -> list[str]:
        """At start-up: set going again every run a stopped process left running."""
        interrupted = getattr(self.services.store, "interrupted_runs", None)
        if interrupted is None:
            return []
        return [await self.resume(run_id) for run_id in await interrupted()]

    async def approve(self, run_id: str, *, approved: bool, by: str | None = None,
                      comment: str | None = None, listeners: Iterable[Listener] = ()) -> str:
        """Answer the approval a run waits for, then continue it in the background."""
        if run_id in self._active:
            raise LoomError(f"run '{run_id}' is still running; it is not waiting for an approval yet")
        await record_approval(run_id, self.services, approved=approved, by=by, comment=comment)
        return await self.resume(run_id, listeners=listeners)

    # ---- following ----------------------------------------------------------------------

    def is_active(self, run_id: str) -> bool:
        return run_id in self._active

    async def wait(self, run_id: str, timeout: float | None = None) -> RunResult | None:
        """The run's result once it has ended or waits for an approval; None if `timeout` passes first."""
        active = self._active.get(run_id)
        if active is not None and active.task is not None:
            done, _ = await asyncio.wait({active.task}, timeout=timeout)
            if not done:
                return None
        return await self.result(run_id)

    async def result(self, run_id: str) -> RunResult | None:
        """What the run has done so far, from memory or the store; None for an unknown id."""
        active = self._active.get(run_id)
        if active is not None:
            return active.execution.result
        if run_id in self._results:
            return self._results[run_id]
        return await load_result(self.services, run_id)

    async def watch(self, run_id: str) -> AsyncIterator[Event]:
        """The run's events: those so far, then each as it happens, ending with RunFinished.
        Yields nothing for a run this process is not executing (read the store instead)."""
        active = self._active.get(run_id)
        if active is None:
            return
        queue: asyncio.Queue[Event] = asyncio.Queue()
        for event in active.events:
            queue.put_nowait(event)
        active.watchers.append(queue)
        try:
            while True:
                event = await queue.get()
                yield event
                if isinstance(event, RunFinished):
                    return
        finally:
            with contextlib.suppress(ValueError):
                active.watchers.remove(queue)

    async def cancel(self, run_id: str, reason: str = "cancelled on request") -> bool:
        """Stop a run: a running one at its next await, a queued or waiting one at once.
        False when the run has already ended or does not exist."""
        active = self._active.get(run_id)
        if active is not None and active.task is not None:
            active.execution.cancel_reason = reason
            active.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await active.task
            if not active.task.cancelled():
                return True
            # Cancelled before its first step: the executor never saw it, so record it here.
            self._active[run_id] = active
            try:
                await self._cancel_stored(run_id, reason, active)
            finally:
                self._active.pop(run_id, None)
            return True
        record = await self.services.store.get_run(run_id)
        if record is None or record.status in ENDED:
            return False
        await self._cancel_stored(run_id, reason)
        return True

    async def _cancel_stored(self, run_id: str, reason: str, active: _Active | None = None) -> None:
        record = await self.services.store.get_run(run_id)
        if record is None:
            return
        error = StepError(reason, "cancelled").to_dict()
        result = RunResult(run_id, record.workflow, "cancelled", error=error, replies=list(record.replies))
        await self.services.store.finish_run(run_id, result)
        self._results[run_id] = result
        if active is not None:
            active.execution.emit(RunFinished(run_id, "cancelled", {}, error))

    async def close(self) -> None:
        """Stop executing (the process is going away). Runs stay `running` in the store and
        resume at the next start."""
        tasks = [a.task for a in self._active.values() if a.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---- plumbing -----------------------------------------------------------------------

    def _launch(self, execution: Execution, listeners: Iterable[Listener]) -> str:
        active = _Active(execution)
        execution.listeners = [active.record, *self.listeners, *listeners]
        execution.inherited_listeners = list(self.listeners)  # child runs are traced and relayed too
        self._active[execution.run_id] = active
        self._results.pop(execution.run_id, None)  # a resumed run's earlier result is stale
        active.task = asyncio.create_task(self._run(active), name=f"run-{execution.run_id}")
        return execution.run_id

    async def _run(self, active: _Active) -> RunResult:
        run_id = active.execution.run_id
        try:
            result = await active.execution.run()
        finally:
            self._active.pop(run_id, None)
        self._results[run_id] = result
        while len(self._results) > self._keep_results:
            self._results.popitem(last=False)
        return result


async def load_result(services: Services, run_id: str) -> RunResult | None:
    """A stored run as a RunResult (the `loom run --json` shape), steps in journal order."""
    record = await services.store.get_run(run_id)
    if record is None:
        return None
    journal = await services.store.journal(run_id)
    usage = Usage(**{k: record.usage[k] for k in ("input_tokens", "output_tokens", "cost_usd") if k in record.usage})
    return RunResult(run_id, record.workflow, record.status, dict(record.outputs), record.error,
                     list(record.replies), list(journal.values()), usage)


__all__ = ["Runner", "load_result"]
