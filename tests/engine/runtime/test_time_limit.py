"""`limits.timeout` holds for a run that only computes: steps that evaluate expressions await
nothing, so the executor gives the loop (and the run's own deadline) a turn every few ms."""

from __future__ import annotations

import asyncio
import time

import engine

BUSY = """
loom: 1
name: busy
limits: {timeout: 500ms}
inputs:
  items: {type: array}
steps:
  - id: each
    type: for_each
    items: ${{ inputs.items }}
    steps:
      - id: work
        type: set
        values: {n: "${{ inputs.items.map(x, x * 2).size() }}"}
"""


async def test_a_run_of_busy_expression_steps_stops_at_its_time_limit():
    started = time.monotonic()
    result = await engine.run(engine.loads(BUSY), {"items": list(range(800))})
    elapsed = time.monotonic() - started
    assert result.status == "failed"
    assert result.error["message"] == "the run exceeded its time limit of 500ms"
    assert elapsed < 3, f"the run went on for {elapsed:.1f} s past a 0.5 s limit"  # 800 steps would take far longer


async def test_other_tasks_get_a_turn_while_a_run_computes():
    turns = 0

    async def ticker() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await engine.run(engine.loads(BUSY), {"items": list(range(800))})
    task.cancel()
    assert turns > 5
