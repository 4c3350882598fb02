"""What the dashboard reads across workflows: runs per day by status, slowest steps, recent failures."""

from __future__ import annotations

from engine.reports import Window, recent_failures, runs_by_day, slowest_steps

from .conftest import run

SLOW = """
loom: 1
name: slow
steps:
  - {id: first, type: set, values: {a: 1}}
  - id: maybe
    type: if
    condition: ${{ true }}
    then:
      - {id: pause, type: wait, duration: 200ms}
"""

BROKEN = """
loom: 1
name: broken
steps:
  - {id: start, type: set, values: {a: 1}}
  - {id: boom, type: fail, message: the disk is full}
"""


async def test_runs_per_day_slowest_steps_and_failures(store):
    for source in (SLOW, SLOW, BROKEN):
        await run(store, source)

    today = runs_by_day(store.engine)
    assert [(row["status"], row["runs"]) for row in today] == [("failed", 1), ("succeeded", 2)]
    assert len({row["day"] for row in today}) == 1

    slowest = slowest_steps(store.engine, limit=2)
    assert len(slowest) == 2
    assert (slowest[0]["workflow"], slowest[0]["step"], slowest[0]["executions"]) == ("slow", "pause", 2)
    assert slowest[0]["p95_ms"] >= 200
    assert all(row["type"] != "if" for row in slowest_steps(store.engine))  # control flow is its children's time

    [failure] = recent_failures(store.engine)
    assert (failure["workflow"], failure["step"], failure["error"]) == ("broken", "boom", "the disk is full")

    later = Window.parse(since="2099-01-01")
    assert runs_by_day(store.engine, later) == [] and recent_failures(store.engine, later) == []
    assert slowest_steps(store.engine, later) == []
