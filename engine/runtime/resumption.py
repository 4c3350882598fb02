"""Going on with a stored run: the one place a run is rebuilt from its journal and an
approval's answer is recorded, for `engine.resume`/`engine.approve` (in the caller's task)
and the `Runner` (in the background)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from ..errors import LoomError
from .events import Listener
from .executor import Execution
from .result import StepRecord
from .services import Services

ENDED = ("succeeded", "failed", "cancelled")


async def resumed_execution(run_id: str, services: Services, *, listeners: Iterable[Listener] = (),
                            inherited_listeners: Iterable[Listener] = ()) -> Execution:
    """The stored run as an Execution that skips its journaled steps; LoomError if it cannot go on.
    `inherited_listeners` hear it and every child run it starts."""
    from ..loader import loads

    record = await services.store.get_run(run_id)
    if record is None:
        raise LoomError(f"no run with id '{run_id}'")
    if record.status in ENDED:
        raise LoomError(f"run '{run_id}' has already ended ({record.status})")
    workflow = loads(record.source, f"<run {run_id}>")
    journal = await services.store.journal(run_id)
    inherited = list(inherited_listeners)
    execution = Execution(workflow, services, run_id=run_id, inputs=record.inputs, trigger=record.trigger,
                          journal=journal, listeners=[*listeners, *inherited], started_at=record.started_at)
    execution.inherited_listeners = inherited
    return execution


async def record_approval(run_id: str, services: Services, *, approved: bool, by: str | None,
                          comment: str | None) -> None:
    """Journal the answer to the approval the run waits for, claiming the run first so that an
    answer and a timeout (or two answers) cannot both continue it."""
    journal = await services.store.journal(run_id)
    waiting = [r for r in journal.values() if r.status == "waiting"]
    if not waiting or not await services.store.claim_waiting(run_id):
        raise LoomError(f"run '{run_id}' is not waiting for an approval")
    step = waiting[0]
    answer = {"approved": approved, "by": by, "comment": comment, "answered_at": datetime.now(UTC).isoformat()}
    await services.store.save_step(run_id, StepRecord(step.key, step.step_id, step.type, "succeeded",
                                                      answer, attempts=1))
