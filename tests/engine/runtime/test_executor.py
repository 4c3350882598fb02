"""The executor's control flow, limits and events, observed through real runs."""

from __future__ import annotations

import time

import pytest

import engine
from engine.runtime.events import StepFinished, StepStarted


async def run(text: str, inputs=None, **kwargs):
    events = []
    result = await engine.run(engine.loads(text), inputs, store=engine.MemoryStore(), listeners=[events.append],
                              **kwargs)
    return result, events


def wf(steps: str, extra: str = "") -> str:
    return f"loom: 1\nname: t\n{extra}steps:\n{steps}"


async def test_set_reply_and_outputs():
    result, _ = await run(wf("""
  - {id: a, type: set, values: {x: "${{ inputs.n * 2 }}", label: "n=${{ inputs.n }}"}}
  - {id: r, type: reply, text: "double is ${{ steps.a.output.x }}"}
""", "inputs: {n: {type: integer}}\noutputs: {x: '${{ steps.a.output.x }}', label: '${{ steps.a.output.label }}'}\n"),
        {"n": 21})
    assert result.status == "succeeded"
    assert result.outputs == {"x": 42, "label": "n=21"}
    assert result.replies == ["double is 42"]


async def test_if_switch_and_when():
    text = wf("""
  - id: check
    type: if
    condition: ${{ inputs.n > 10 }}
    then: [{id: big, type: set, values: {v: big}}]
    else: [{id: small, type: set, values: {v: small}}]
  - id: kind
    type: switch
    cases:
      - {when: "${{ inputs.n % 2 == 0 }}", steps: [{id: even, type: set, values: {v: even}}]}
    default: [{id: odd, type: set, values: {v: odd}}]
  - {id: never, type: set, when: "${{ false }}", values: {v: 1}}
""", "inputs: {n: {type: integer}}\n"
       "outputs: {size: '${{ steps.check.output.v }}', parity: '${{ steps.kind.output.v }}'}\n")
    result, _ = await run(text, {"n": 12})
    assert result.outputs == {"size": "big", "parity": "even"}
    assert {s.step_id: s.status for s in result.steps}["never"] == "skipped"
    result, _ = await run(text, {"n": 3})
    assert result.outputs == {"size": "small", "parity": "odd"}


async def test_parallel_branch_does_not_wait_for_its_slow_sibling():
    result, events = await run(wf("""
  - id: fan
    type: parallel
    branches:
      fast:
        - {id: f1, type: set, values: {v: 1}}
        - {id: f2, type: set, values: {v: 2}}
      slow:
        - {id: s1, type: wait, duration: 200ms}
        - {id: s2, type: set, values: {v: 3}}
"""))
    assert result.status == "succeeded"
    finished = [e.step_id for e in events if isinstance(e, StepFinished)]
    assert finished.index("f2") < finished.index("s1"), "the fast branch ran on while s1 was waiting"
    assert finished[-1] == "fan", "only the join waits for every branch"
    assert result.steps[-1].output == {"fast": {"v": 2}, "slow": {"v": 3}}


async def test_for_each_never_runs_more_than_concurrency_at_once():
    result, events = await run(wf("""
  - id: each
    type: for_each
    items: ${{ [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }}
    concurrency: 3
    steps:
      - {id: work, type: wait, duration: 20ms}
      - {id: out, type: set, values: {square: "${{ item * item }}", at: "${{ index }}"}}
    output: ${{ steps.out.output.square }}
"""))
    in_flight = peak = 0
    for event in events:
        if isinstance(event, StepStarted) and event.step_id == "work":
            in_flight += 1
            peak = max(peak, in_flight)
        elif isinstance(event, StepFinished) and event.step_id == "out":
            in_flight -= 1
    assert peak == 3
    assert result.steps[-1].output == [i * i for i in range(10)], "results keep item order"


async def test_loop_until_and_last_pass_visible_after():
    result, _ = await run(wf("""
  - id: poll
    type: loop
    max_iterations: 50
    until: ${{ steps.tick.output.n >= 4 }}
    steps: [{id: tick, type: set, values: {n: "${{ index + 1 }}"}}]
  - {id: after, type: set, values: {last: "${{ steps.tick.output.n }}"}}
"""))
    assert result.steps[-1].output == {"last": 4}


async def test_step_timeout_fails_the_step():
    started = time.perf_counter()
    result, _ = await run(wf("  - {id: slow, type: wait, duration: 5s, timeout: 50ms}\n"))
    assert result.status == "failed"
    assert result.error["type"] == "timeout"
    assert "timed out after 50ms" in result.error["message"]
    assert time.perf_counter() - started < 2


async def test_limits_stop_a_runaway_loop():
    result, _ = await run(wf("""
  - id: spin
    type: loop
    max_iterations: 100000
    steps: [{id: again, type: set, values: {v: 1}}]
""", "limits: {max_steps: 25}\n"))
    assert result.status == "failed"
    assert result.error["type"] == "limit"
    assert "25 step executions" in result.error["message"]
    assert len(result.steps) <= 26


async def test_run_timeout_limit():
    result, _ = await run(wf("  - {id: slow, type: wait, duration: 5s}\n", "limits: {timeout: 100ms}\n"))
    assert result.status == "failed" and result.error["type"] == "limit"


async def test_fail_step_with_when_ends_the_run_only_when_true():
    text = wf("""
  - {id: stop, type: fail, when: "${{ inputs.n > 1 }}", message: "too big: ${{ inputs.n }}"}
  - {id: ok, type: reply, text: fine}
""", "inputs: {n: {type: integer}}\n")
    result, _ = await run(text, {"n": 5})
    assert result.status == "failed" and result.error == {"message": "too big: 5", "type": "fail", "step": "stop"}
    result, _ = await run(text, {"n": 1})
    assert result.status == "succeeded" and result.replies == ["fine"]


async def test_on_error_continue_records_failure_and_goes_on():
    result, _ = await run(wf("""
  - {id: bad, type: set, values: {v: "${{ 1 / 0 }}"}, on_error: continue}
  - id: handled
    type: set
    values: {v: "${{ 1 / 0 }}"}
    on_error:
      - {id: recover, type: reply, text: "recovered: ${{ error.step }}"}
  - {id: after, type: set, values: {bad: "${{ steps.bad.status }}", out: "${{ steps.bad.output }}"}}
"""))
    assert result.status == "succeeded"
    assert result.replies == ["recovered: handled"]
    assert result.steps[-1].output == {"bad": "failed", "out": None}


async def test_workflow_on_error_runs_with_error_in_scope():
    result, _ = await run(wf("""
  - {id: boom, type: fail, message: "it broke"}
on_error:
  - {id: sorry, type: reply, text: "Sorry: ${{ error.message }} (in ${{ error.step }})"}
"""))
    assert result.status == "failed"
    assert result.replies == ["Sorry: it broke (in boom)"]


async def test_inputs_are_checked_before_the_run():
    workflow = engine.loads(wf("  - {id: a, type: set, values: {v: 1}}\n", "inputs: {n: {type: integer}}\n"))
    with pytest.raises(engine.InputError, match="missing required input 'n'"):
        await engine.run(workflow, {})
    with pytest.raises(engine.InputError, match="must be of type integer"):
        await engine.run(workflow, {"n": "three"})
    with pytest.raises(engine.InputError, match="unknown input"):
        await engine.run(workflow, {"n": 1, "m": 2})


async def test_stream_yields_events_in_order_and_ends_with_run_finished():
    workflow = engine.loads(wf("  - {id: a, type: set, values: {v: 1}}\n  - {id: b, type: reply, text: hi}\n"))
    kinds = [type(e).__name__ async for e in engine.stream(workflow, store=engine.MemoryStore())]
    assert kinds == ["RunStarted", "StepStarted", "StepFinished", "StepStarted", "Reply", "StepFinished",
                     "RunFinished"]


async def test_max_tokens_limit_counts_mocked_usage_is_not_counted():
    # usage only counts for real model calls; a mocked llm step costs nothing
    text = wf("""
  - {id: ask, type: llm, model: openai/gpt-4o-mini, prompt: hi}
""", "limits: {max_tokens: 1}\n")
    workflow = engine.loads(text)
    services = engine.Services(store=engine.MemoryStore(), mocks={"ask": {"text": "x", "data": None}})
    result = await engine.run(workflow, services=services)
    assert result.status == "succeeded" and result.usage.tokens == 0
