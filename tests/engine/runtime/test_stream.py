"""`engine.stream()` yields a run's events to the last; a run that cannot start raises instead
of leaving the consumer waiting for an event that never comes."""

from __future__ import annotations

import asyncio

import pytest

import engine

NEEDS_A_NUMBER = """
loom: 1
name: typed
inputs:
  n: {type: integer}
steps:
  - {id: double, type: set, values: {n: "${{ inputs.n * 2 }}"}}
"""


async def test_a_run_that_cannot_start_raises_its_error():
    workflow = engine.loads(NEEDS_A_NUMBER)

    async def consume() -> list[str]:
        return [type(event).__name__ async for event in engine.stream(workflow, {"n": "many"})]

    with pytest.raises(engine.InputError, match="n"):
        await asyncio.wait_for(consume(), timeout=10)


async def test_a_run_streams_to_its_last_event():
    events = [type(e).__name__ async for e in engine.stream(engine.loads(NEEDS_A_NUMBER), {"n": 2})]
    assert events[0] == "RunStarted" and events[-1] == "RunFinished"
