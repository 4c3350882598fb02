"""Following runs back to the chat that started them: progress, replies, approvals, the outcome.

A `Relay` is one of the runner's global listeners. A channel tells it about each run it
starts (`expect(run_id, trigger)`, before `runner.start(..., run_id=run_id)`); runs it
did not start are looked up when they resume (after an approval, or a restart) and
followed when their stored trigger names the relay's channel. Each followed run gets a
presenter (`presenter(run_id, trigger)`) whose `handle(event)` is awaited for the run's
events one at a time, in order, in a task of its own, so a slow chat API never slows the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from engine.runtime.events import Event, RunFinished, RunStarted

if TYPE_CHECKING:
    from engine.language.workflow import Workflow
    from engine.runtime import Runner

log = logging.getLogger("loomwork.channels")
T = TypeVar("T")
ATTEMPTS = 4
MAX_WAIT = 30.0


async def with_retries(action: Callable[[], Awaitable[T]], wait_for: Callable[[Exception], float | None]) -> T:
    """Run `action`, again after `wait_for(error)` seconds while that is not None (a timeout, a
    5xx, a rate limit), up to ATTEMPTS times: a reply the run made should reach the chat."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await action()
        except Exception as exc:
            wait = wait_for(exc)
            if wait is None or attempt == ATTEMPTS:
                raise
            log.info("chat message failed (%s); trying again in %.1f s", exc, wait)
            await asyncio.sleep(min(wait, MAX_WAIT))
    raise AssertionError("unreachable")


class Presenter(Protocol):
    async def handle(self, event: Event) -> None: ...


class Relay:
    def __init__(self, channel: str, store: Any,
                 presenter: Callable[[str, Mapping[str, Any]], Presenter]) -> None:
        self.channel = channel
        self.store = store
        self.presenter = presenter
        self._expected: dict[str, Mapping[str, Any]] = {}
        self._queues: dict[str, asyncio.Queue[Event] | None] = {}
        self._pending = 0
        self._tasks: set[asyncio.Task] = set()

    def expect(self, run_id: str, trigger: Mapping[str, Any]) -> None:
        self._expected[run_id] = trigger

    def forget(self, run_id: str) -> None:
        self._expected.pop(run_id, None)

    async def start(self, runner: Runner, workflow: Workflow, inputs: Mapping[str, Any],
                    trigger: Mapping[str, Any]) -> str:
        """Start a run whose progress and replies this relay carries back to the chat in `trigger`.
        Raises InputError for bad inputs."""
        run_id = uuid.uuid4().hex
        self.expect(run_id, trigger)  # before the run exists: its first event must find the chat
        try:
            return await runner.start(workflow, inputs, trigger=trigger, run_id=run_id)
        except BaseException:
            self.forget(run_id)
            raise

    def __call__(self, event: Event) -> None:
        """The runner listener: cheap for runs of other channels (one dict lookup)."""
        if event.run_id in self._queues:
            queue = self._queues[event.run_id]
        elif isinstance(event, RunStarted):
            trigger = self._expected.pop(event.run_id, None)
            if trigger is None and not event.resumed:
                return
            queue = self._queues[event.run_id] = asyncio.Queue()
            task = asyncio.create_task(self._follow(event.run_id, trigger, queue), name=f"relay-{event.run_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            return
        if queue is not None:  # None: a resumed run of another channel
            queue.put_nowait(event)
            self._pending += 1
        if isinstance(event, RunFinished):
            self._queues.pop(event.run_id, None)

    async def _follow(self, run_id: str, trigger: Mapping[str, Any] | None, queue: asyncio.Queue[Event]) -> None:
        if trigger is None:
            record = await self.store.get_run(run_id)
            trigger = record.trigger if record is not None else {}
            if trigger.get("channel") != self.channel:
                self._pending -= queue.qsize()
                if self._queues.get(run_id) is queue:
                    self._queues[run_id] = None
                return
        presenter = self.presenter(run_id, trigger)
        while True:
            event = await queue.get()
            try:
                await presenter.handle(event)
            except Exception:  # a chat API failure must not stop the run's later messages
                log.exception("%s: showing %s of run %s failed", self.channel, type(event).__name__, run_id)
            finally:
                self._pending -= 1
            if isinstance(event, RunFinished):
                return

    async def drain(self, timeout: float = 5.0) -> None:
        """At shutdown: let the messages already due go out (for up to `timeout`), then stop following."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._pending > 0 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


__all__ = ["Presenter", "Relay", "with_retries"]
