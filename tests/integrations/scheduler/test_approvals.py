"""Approval timeouts take effect on their own: the scheduler resumes runs whose approval expired."""

from __future__ import annotations

from engine.runtime.events import Event, RunStarted
from engine.runtime.result import StepRecord
from integrations.context import Loom

from .conftest import until

SHIP = """loom: 1
name: ship
steps:
  - {id: ask, type: approval, message: Ship it?, timeout: 1s}
  - {id: ship, type: reply, text: shipped}
"""

SHIP_OR_SAY_SO = """loom: 1
name: ship-or-say-so
steps:
  - {id: ask, type: approval, message: Ship it?, timeout: 1s, on_error: continue}
  - {id: ship, type: reply, text: shipped, when: "${{ steps.ask.status == 'succeeded' }}"}
  - {id: shrug, type: reply, text: nobody answered, when: "${{ steps.ask.status == 'failed' }}"}
outputs:
  answered: ${{ steps.ask.status == 'succeeded' }}
"""


async def finished(loom: Loom, run_id: str):
    record = await loom.store.get_run(run_id)
    return record if record.status not in ("queued", "running", "waiting") else None


async def test_an_expired_approval_fails_the_run_without_anyone_touching_it(loom, start_scheduler):
    await start_scheduler(loom, clock=None, max_sleep=30)
    run_id = await loom.runner.start(loom.catalog.save(SHIP).workflow)
    assert (await loom.runner.wait(run_id, timeout=5)).status == "waiting"
    journal = await loom.store.journal(run_id)
    assert "expires_at" in journal["ask"].output  # what the scheduler goes by

    record = await until(lambda: finished(loom, run_id), timeout=5, what="the approval timing out")
    assert record.status == "failed"
    assert record.error["message"] == "approval 'ask' was not answered within 1s"
    assert record.replies == []


async def test_a_timed_out_approval_goes_on_as_the_workflow_says(loom, start_scheduler):
    await start_scheduler(loom, clock=None, max_sleep=30)
    run_id = await loom.runner.start(loom.catalog.save(SHIP_OR_SAY_SO).workflow)
    record = await until(lambda: finished(loom, run_id), timeout=5, what="the approval timing out")
    assert record.status == "succeeded"
    assert record.replies == ["nobody answered"]
    assert record.outputs == {"answered": False}


async def test_an_answered_approval_is_left_alone(loom, start_scheduler):
    scheduler = await start_scheduler(loom, clock=None, max_sleep=30)
    run_id = await loom.runner.start(loom.catalog.save(SHIP).workflow)
    await loom.runner.wait(run_id, timeout=5)
    await loom.runner.approve(run_id, approved=True, by="ada")
    assert (await loom.runner.wait(run_id, timeout=5)).replies == ["shipped"]
    assert await scheduler.expire_approvals() == []


async def test_two_processes_resume_an_expired_run_once(loom, settings, start_scheduler):
    other = Loom.open(settings)  # a second app process on the same database
    resumed: list[Event] = []
    for runner in (loom.runner, other.runner):
        runner.listeners.append(lambda e: resumed.append(e) if isinstance(e, RunStarted) and e.resumed else None)
    await start_scheduler(loom, clock=None, max_sleep=30)
    await start_scheduler(other, clock=None, max_sleep=30)
    run_id = await loom.runner.start(loom.catalog.save(SHIP_OR_SAY_SO).workflow)
    record = await until(lambda: finished(loom, run_id), timeout=5, what="the approval timing out")
    assert record.replies == ["nobody answered"]
    assert len(resumed) == 1


async def test_a_run_journaled_without_expires_at_still_times_out(loom, start_scheduler):
    # Approvals journaled before `expires_at` existed: the timeout is read from the run's workflow.
    run_id = await loom.runner.start(loom.catalog.save(SHIP).workflow)
    await loom.runner.wait(run_id, timeout=5)
    ask = (await loom.store.journal(run_id))["ask"]
    older = {k: v for k, v in ask.output.items() if k != "expires_at"}
    await loom.store.save_step(run_id, StepRecord(ask.key, ask.step_id, ask.type, "waiting", older, attempts=0))

    await start_scheduler(loom, clock=None, max_sleep=30)
    record = await until(lambda: finished(loom, run_id), timeout=5, what="the approval timing out")
    assert record.error["message"] == "approval 'ask' was not answered within 1s"
