"""Runaway expressions stop: each kind found fails its run with a `limit` error well within
`limits.timeout` (2 s here), and the process's peak memory grows by less than 256 MB.

Without the evaluation budget these ran for seconds to hours (measured: a `map` over 16,000 items 11
s; two nested over 10,000 items, each inner `map` 4 s, so about 11 hours; seven nested ten-element
literals, 10^7 elements, still running after 200 s at 320 MB; 100 references to a 100,000-item list
joined with `+` 36 s and 1.4 GB, put in a list 1 GB). With it, one evaluation stops after 0.25 s,
and in that time CEL allocates about 100 MB at most (measured here: copying a large input into a
list over and over, the fastest way it has to fill memory); 256 MB leaves room for a faster machine.

Each case runs in its own process, so that its peak memory (max RSS) is its own, and so that a
regression that crashes CEL fails one test instead of killing the test session."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

import engine
from engine.expressions import MAX_SOURCE_CHARS
from engine.runtime import evaluate

LIMIT_S = 2.0
MAX_GROWTH = 256 * 2**20

CHILD = textwrap.dedent("""
    import asyncio, json, resource, sys, time
    import engine
    spec = json.loads(sys.stdin.read())
    inputs = {name: list(range(n)) for name, n in spec["lists"].items()}
    try:
        workflow = engine.loads(spec["yaml"])
    except engine.LoomError as exc:
        print(json.dumps({"load_error": str(exc)}))
        sys.exit(0)
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    before, started = peak(), time.perf_counter()
    result = asyncio.run(engine.run(workflow, inputs, store=engine.MemoryStore()))
    print(json.dumps({"status": str(result.status), "error": result.error,
                      "seconds": time.perf_counter() - started, "growth": peak() - before}))
""")

TEN = "[0,1,2,3,4,5,6,7,8,9]"
NESTED_LITERALS = "".join(f"{TEN}.map(v{i}, " for i in range(6)) + f"{TEN}.map(v6, v6)" + ")" * 6


def workflow(values: dict[str, str], *, when: str | None = None, limit: str = "2s") -> str:
    guard = f"\n    when: {json.dumps(when)}" if when else ""
    fields = "\n".join(f"      {name}: {json.dumps(text)}" for name, text in values.items())
    return f"""\
loom: 1
name: hostile
inputs:
  items: {{type: array, default: []}}
limits: {{timeout: {limit}}}
steps:
  - id: build
    type: set{guard}
    values:
{fields}
"""


def run_alone(yaml: str, lists: dict[str, int] | None = None) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps({"yaml": yaml, "lists": lists or {}}),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"the process died ({done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def refs(count: int, joiner: str) -> str:
    return joiner.join(["inputs.items"] * count)


RUNAWAYS = {
    "map over a large input": ({"v": "${{ inputs.items.map(x, x * 2) }}"}, None, 20_000),
    "filter over a large input": ({"v": "${{ inputs.items.filter(x, x >= 0).size() }}"}, None, 20_000),
    "nested over an input of 10^4": ({"v": "${{ inputs.items.map(a, inputs.items.map(b, a + b)) }}"}, None, 10_000),
    "nested literals, 10^7 elements": ({"v": "${{ " + NESTED_LITERALS + " }}"}, None, 0),
    "a + a + ... over a large input": ({"v": "${{ size(" + refs(100, " + ") + ") }}"}, None, 100_000),
    "copies of a large input in a list": ({"v": "${{ size([" + refs(100, ", ") + "]) }}"}, None, 100_000),
    "the stop swallowed by ||": ({"v": "${{ inputs.items.map(x, x).size() > 0 || true }}"}, None, 20_000),
    "inside a template": ({"v": "n = ${{ inputs.items.filter(x, x >= 0).size() }} items"}, None, 20_000),
    "in a step's when": ({"v": "1"}, "${{ inputs.items.filter(x, x >= 0).size() > 0 }}", 20_000),
}


@pytest.mark.parametrize("name", RUNAWAYS)
def test_a_runaway_expression_fails_its_run_within_the_limit_with_bounded_memory(name: str):
    values, when, items = RUNAWAYS[name]

    outcome = run_alone(workflow(values, when=when), {"items": items})

    assert outcome["status"] == "failed"
    assert outcome["error"]["type"] == "limit", outcome["error"]
    assert "was stopped after 0.25 s" in outcome["error"]["message"]
    assert outcome["seconds"] < LIMIT_S
    assert outcome["growth"] < MAX_GROWTH, f"peak memory grew by {outcome['growth'] / 2**20:.0f} MB"


def test_a_longer_run_limit_does_not_lengthen_one_evaluation():
    outcome = run_alone(workflow({"v": "${{ inputs.items.map(x, x) }}"}, limit="10m"), {"items": 20_000})

    assert outcome["error"]["type"] == "limit" and outcome["seconds"] < LIMIT_S


def test_a_chain_long_enough_to_overflow_cel_s_stack_is_refused_when_the_workflow_loads():
    chain = " + ".join(["1"] * 30_000)  # CEL's parser overflows its stack and kills the process on this

    outcome = run_alone(workflow({"v": "${{ " + chain + " }}"}))

    assert "at most 8,192 are allowed" in outcome["load_error"]
    assert "steps[0].values.v" in outcome["load_error"]


async def test_an_expression_at_the_length_limit_still_runs():
    chain = "+".join(["1"] * (MAX_SOURCE_CHARS // 2))  # 8,191 characters

    result = await engine.run(engine.loads(workflow({"v": "${{ " + chain + " }}"})), store=engine.MemoryStore())

    assert result.succeeded and result.steps[0].output == {"v": MAX_SOURCE_CHARS // 2}


async def test_ordinary_comprehensions_give_their_values():
    values = {"doubled": "${{ inputs.items.map(x, x * 2) }}", "big": "${{ inputs.items.filter(x, x > 997) }}",
              "all": "${{ inputs.items.all(x, x >= 0) && inputs.items.exists(x, x == 3) }}"}

    result = await engine.run(engine.loads(workflow(values)), {"items": list(range(1000))},
                              store=engine.MemoryStore())

    assert result.succeeded
    assert result.steps[0].output == {"doubled": [2 * n for n in range(1000)], "big": [998, 999], "all": True}


def test_plain_paths_and_small_expressions_are_evaluated_without_checkpoints():
    assert not evaluate.prepare("steps.fetch.output.status == 200").guarded
    assert evaluate.prepare("steps.fetch.output.status").path is not None
    assert evaluate.prepare("inputs.items.map(x, x)").guarded


async def test_matches_is_linear_time_and_refuses_backreferences():
    """CEL's `matches()` is Rust's regex crate (cel 0.14.5 links regex 1.13.1): linear, no backtracking."""
    values = {"v": "${{ inputs.text.matches('^(a+)+$') }}"}
    flow = engine.loads(workflow(values).replace("items: {type: array, default: []}", "text: {type: string}"))

    started = time.perf_counter()
    result = await engine.run(flow, {"text": "a" * 5000 + "!"}, store=engine.MemoryStore())

    assert result.succeeded and result.steps[0].output == {"v": False}
    assert time.perf_counter() - started < 0.5  # Python's re would take longer than the universe's age
    refused = await engine.run(engine.loads(workflow({"v": "${{ 'aa'.matches('(a)\\\\1') }}"})),
                               store=engine.MemoryStore())
    assert refused.error is not None and refused.error["type"] == "expression"
    assert "backreferences are not supported" in refused.error["message"]
