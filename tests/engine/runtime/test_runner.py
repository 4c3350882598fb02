"""The background runner: a started run is durable before `start` returns, can be waited for,
watched, cancelled and approved, and a shutdown leaves it to be resumed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import engine
from engine.runtime import Runner, Services
from engine.runtime.events import RunFinished, StepFinished
from engine.runtime.store import SqlStore

SLOW = """
loom: 1
name: slow
inputs: {n: {type: integer, default: 1}}
steps:
  - {id: first, type: set, values: {n: "${{ inputs.n }}"}}
  - {id: pause, type: wait, duration: 5s}
  - {id: last, type: set, values: {done: true}}
"""

QUICK = """
loom: 1
name: quick
steps:
  - {id: a, type: set, values: {v: 1}}
  - {id: b, type: reply, text: done}
outputs: {v: "${{ steps.a.output.v }}"}
"""

APPROVAL = """
loom: 1
name: gate
steps:
  - {id: ask, type: approval, message: Ship it?}
  - id: ship
    type: set
    when: ${{ steps.ask.output.approved }}
    values: {shipped: true}
outputs: {approved: "${{ steps.ask.output.approved }}"}
"""


@pytest.fixture
def store(tmp_path: Path) -> SqlStore:
    store = SqlStore(f"sqlite:///{tmp_path / 'runs.db'}")
    yield store
    store.close()


@pytest.fixture
def runner(store: SqlStore) -> Runner:
    return Runner(Services(store=store))


async def test_a_started_run_is_recorded_before_start_returns_and_can_be_waited_for(runner, store):
    run_id = await runner.start(engine.loads(QUICK))
    assert (await store.get_run(run_id)).status in ("queued", "running", "succeeded")
    result = await runner.wait(run_id, timeout=5)
    assert result.status == "succeeded" and result.outputs == {"v": 1} and result.replies == ["done"]
    assert (await store.get_run(run_id)).status == "succeeded"


async def test_wait_gives_up_after_its_timeout_and_watch_follows_to_the_end(runner):
    run_id = await runner.start(engine.loads(SLOW.replace("5s", "300ms")))
    assert await runner.wait(run_id, timeout=0.05) is None
    events = [event async for event in runner.watch(run_id)]
    assert [e.step_id for e in events if isinstance(e, StepFinished)] == ["first", "pause", "last"]
    assert isinstance(events[-1], RunFinished) and events[-1].status == "succeeded"


async def test_bad_inputs_are_refused_before_anything_is_stored(runner, store):
    with pytest.raises(engine.InputError, match="n"):
        await runner.start(engine.loads(SLOW), {"n": "many"})
    assert await store.list_runs() == []


async def test_cancel_stops_a_running_run_and_records_why(runner, store):
    run_id = await runner.start(engine.loads(SLOW))
    await asyncio.sleep(0.1)
    assert await runner.cancel(run_id, "stopped by a test")
    record = await store.get_run(run_id)
    assert record.status == "cancelled" and record.error["message"] == "stopped by a test"
    journal = await store.journal(run_id)
    assert "last" not in journal
    assert not await runner.cancel(run_id)  # already ended


async def test_cancel_before_the_first_step_still_ends_the_run(runner, store):
    run_id = await runner.start(engine.loads(SLOW))
    assert await runner.cancel(run_id)
    assert (await store.get_run(run_id)).status == "cancelled"


async def test_approve_continues_a_waiting_run_in_the_background(runner, store):
    run_id = await runner.start(engine.loads(APPROVAL))
    assert (await runner.wait(run_id, timeout=5)).status == "waiting"
    await runner.approve(run_id, approved=True, by="ana")
    result = await runner.wait(run_id, timeout=5)
    assert result.status == "succeeded" and result.outputs == {"approved": True}
    with pytest.raises(engine.LoomError, match="not waiting for an approval"):
        await runner.approve(run_id, approved=False)


async def test_a_waiting_run_can_be_cancelled(runner, store):
    run_id = await runner.start(engine.loads(APPROVAL))
    await runner.wait(run_id, timeout=5)
    assert await runner.cancel(run_id)
    assert (await store.get_run(run_id)).status == "cancelled"


async def test_closing_leaves_runs_running_for_the_next_process(store, tmp_path):
    first = Runner(Services(store=store))
    run_id = await first.start(engine.loads(SLOW.replace("5s", "200ms")))
    await asyncio.sleep(0.05)
    await first.close()
    assert (await store.get_run(run_id)).status == "running"
    second = Runner(Services(store=store))
    assert await second.resume_interrupted() == [run_id]
    assert (await second.wait(run_id, timeout=5)).status == "succeeded"


async def test_the_runners_listeners_hear_child_runs_too(store):
    child = engine.loads("loom: 1\nname: child\nsteps:\n  - {id: inner, type: set, values: {v: 2}}\n"
                         "outputs: {v: \"${{ steps.inner.output.v }}\"}\n")
    parent = engine.loads("loom: 1\nname: parent\nsteps:\n  - {id: call, type: workflow, workflow: child}\n")
    heard: list = []
    runner = Runner(Services(store=store, resolve_workflow=lambda name: child), listeners=[heard.append])
    run_id = await runner.start(parent)
    watched = [event async for event in runner.watch(run_id)]

    assert (await runner.wait(run_id, timeout=5)).status == "succeeded"
    finished = [(e.run_id, e.status) for e in heard if isinstance(e, RunFinished)]
    assert finished == [(f"{run_id}.call", "succeeded"), (run_id, "succeeded")]
    assert {e.run_id for e in watched} == {run_id}  # a watcher of the parent sees only the parent
