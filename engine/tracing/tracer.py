"""The tracer: a run listener that writes one MLflow trace per run, off the run's path.

On the run's path it only stamps each event with the time and appends it to a list
(well under a microsecond). When the run finishes, a background thread (`Writer`) plans the
trace from those events (nesting, secrets scrubbed) and hands it to MLflow, which logs
it asynchronously in turn. `flush()` waits for both.

    tracer = Tracer(services, tracking=Tracking(home))
    runner.listeners.append(tracer)
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from ..runtime.events import Event, RunFinished
from ..runtime.scrub import Scrubber
from .export import export_many
from .nesting import Structure, structure
from .plan import MAX_TEXT, TracePlan, plan
from .tracking import RUNS, Tracking
from .writer import Writer

if TYPE_CHECKING:
    from ..runtime.services import Services
    from ..runtime.store import RunRecord


class Tracer:
    def __init__(self, services: Services | None = None, *, tracking: Tracking | None = None,
                 experiment: str = RUNS) -> None:
        self.services = services
        self.tracking = tracking or Tracking()
        self.experiment = experiment
        self.writer = Writer(sink=self._export)
        self._runs: dict[str, list[tuple[int, Event]]] = {}
        self._structures: OrderedDict[str, Structure] = OrderedDict()
        self._loop: asyncio.AbstractEventLoop | None = None  # the writer thread's, for store reads

    # ---- on the run's path --------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        events = self._runs.get(event.run_id)
        if events is None:
            events = self._runs[event.run_id] = []
        stamp = time.time_ns()
        events.append((stamp, event))
        self.writer.last_activity = stamp
        if type(event) is RunFinished:
            self.writer.submit(functools.partial(self._plan, self._runs.pop(event.run_id)))

    # ---- in the background --------------------------------------------------------------

    def prepare(self) -> None:
        """Import MLflow and open the tracking store now, in the background, not at the first trace."""
        self.writer.submit(self._prepare)

    def _prepare(self) -> None:
        self.tracking.connect()
        self.tracking.experiment(self.experiment)

    def _plan(self, events: list[tuple[int, Event]]) -> tuple[TracePlan, dict[str, str]] | None:
        """The trace of one finished run, with its metadata, ready for `_export`; None if empty."""
        record = self._record(events[0][1].run_id)
        scrub = Scrubber(self._secret_values(), MAX_TEXT)
        trace = plan(events, self._structure(record), scrub)
        if trace is None:
            return None
        return trace, {key: scrub.text(value) for key, value in _metadata(record).items()}

    def _export(self, items: list[tuple[TracePlan, dict[str, str]]]) -> None:
        self.tracking.connect()
        export_many(items, self.tracking.experiment(self.experiment), self.tracking.uri)

    def _record(self, run_id: str) -> RunRecord | None:
        if self.services is None:
            return None
        # The store's methods are coroutines; the writer's thread keeps one loop to await them on
        # (a new loop per trace, as `asyncio.run` makes, costs more than the read).
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(self.services.store.get_run(run_id))

    def _structure(self, record: RunRecord | None) -> Structure | None:
        if record is None or not record.source:
            return None
        found = self._structures.get(record.source)
        if found is None:
            from ..errors import ValidationError
            from ..loader import loads

            try:
                found = structure(loads(record.source, f"<run {record.run_id}>"))
            except ValidationError:  # a workflow this version no longer loads: nest by keys alone
                return None
            self._structures[record.source] = found
            if len(self._structures) > 64:
                self._structures.popitem(last=False)
        return found

    def _secret_values(self) -> list[str]:
        from ..runtime.services import env_secrets

        if self.services is None:
            return list(env_secrets().values())
        return list(self.services.secret_values())

    # ---- control ------------------------------------------------------------------------

    def flush(self) -> None:
        """Wait until every finished run's trace is in the tracking store."""
        self.writer.flush()

    def close(self) -> None:
        """Write what is pending, then stop the background thread."""
        self.writer.close()
        if self._loop is not None:
            self._loop.close()
            self._loop = None


def _metadata(record: RunRecord | None) -> dict[str, str]:
    """Who asked and from which chat: MLflow's user and session fields, so runs of one chat group."""
    trigger = (record.trigger if record is not None else None) or {}
    metadata = {"loom.channel": str(trigger.get("channel") or "unknown")}
    if trigger.get("user"):
        metadata["mlflow.trace.user"] = str(trigger["user"])
    if trigger.get("chat_id"):
        metadata["mlflow.trace.session"] = f"{trigger.get('channel')}:{trigger['chat_id']}"
    if record is not None and record.parent_run_id:
        metadata["loom.parent_run_id"] = record.parent_run_id
    return metadata
