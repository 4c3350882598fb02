"""Child workflows, and runs a stopped process left behind being picked up at start-up."""

from __future__ import annotations

from pathlib import Path

import engine
from engine.library import FileLibrary
from engine.runtime import resume_interrupted
from engine.runtime.store import SqlStore

CHILD = """loom: 1
name: child
inputs: {n: {type: integer}}
steps:
  - {id: double, type: set, values: {v: "${{ inputs.n * 2 }}"}}
outputs: {doubled: "${{ steps.double.output.v }}"}
"""
PARENT = """loom: 1
name: parent
steps:
  - {id: call, type: workflow, workflow: child, inputs: {n: 21}}
  - {id: say, type: reply, text: "child said ${{ steps.call.output.doubled }}"}
outputs: {answer: "${{ steps.call.output.doubled }}"}
"""


async def test_workflow_step_runs_a_child_and_uses_its_outputs(tmp_path: Path):
    (tmp_path / "child.yaml").write_text(CHILD)
    store = engine.MemoryStore()
    services = engine.Services(store=store, resolve_workflow=FileLibrary(tmp_path))
    result = await engine.run(engine.loads(PARENT), services=services)
    assert result.status == "succeeded"
    assert result.outputs == {"answer": 42} and result.replies == ["child said 42"]
    children = [r for r in store.runs.values() if r.parent_run_id == result.run_id]
    assert [c.workflow for c in children] == ["child"] and children[0].status == "succeeded"


async def test_unknown_child_workflow_fails_with_its_name(tmp_path: Path):
    services = engine.Services(store=engine.MemoryStore(), resolve_workflow=FileLibrary(tmp_path))
    result = await engine.run(engine.loads(PARENT), services=services)
    assert result.status == "failed"
    assert "no workflow named 'child'" in result.error["message"]


async def test_interrupted_runs_are_resumed_at_start_up(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'loom.db'}"
    workflow = engine.loads("""loom: 1
name: two-steps
steps:
  - {id: first, type: set, values: {v: 1}}
  - {id: second, type: set, values: {v: "${{ steps.first.output.v + 1 }}"}}
outputs: {v: "${{ steps.second.output.v }}"}
""")
    # A process ran `first`, journaled it, and died before `second`.
    store = SqlStore(url)
    done = await engine.run(workflow, store=store)
    journal = await store.journal(done.run_id)
    from engine.runtime.store.tables import runs, steps

    with store.engine.begin() as conn:
        conn.execute(steps.delete().where(steps.c.key == "second"))
        conn.execute(runs.update().where(runs.c.run_id == done.run_id).values(status="running", outputs={}))
    first_finished = journal["first"]
    store.close()

    restarted = SqlStore(url)
    results = await resume_interrupted(services=engine.Services(store=restarted))
    assert [r.run_id for r in results] == [done.run_id]
    assert results[0].status == "succeeded" and results[0].outputs == {"v": 2}
    after = await restarted.journal(done.run_id)
    assert after["first"].duration_ms == first_finished.duration_ms, "the finished step was not executed again"
    assert (await restarted.get_run(done.run_id)).status == "succeeded"
