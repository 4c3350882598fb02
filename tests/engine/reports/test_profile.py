"""Performance profiles of real runs: the step that dominates is found and named."""

from __future__ import annotations

import time

import pytest

from engine.reports import Window, profile
from tests.peers.local_server import Received

from .conftest import answer_by_model, run

WAITS = """
loom: 1
name: waits
steps:
  - id: prepare
    type: set
    values: {{topic: owls}}
  - id: pause
    type: wait
    duration: 300ms
  - id: summarize
    type: llm
    model: openai/gpt-4o-mini
    api_base: {base}
    prompt: Summarize ${{{{ steps.prepare.output.topic }}}}
"""

# Only the slowest branch of a parallel step is on the critical path.
FANOUT = """
loom: 1
name: fanout
steps:
  - id: both
    type: parallel
    branches:
      slow:
        - id: long_wait
          type: wait
          duration: 400ms
      fast:
        - id: short_wait
          type: wait
          duration: 150ms
        - id: check
          type: if
          condition: ${{ true }}
          then:
            - id: inner_wait
              type: wait
              duration: 50ms
  - id: finish
    type: set
    values: {done: true}
"""

FLAKY = """
loom: 1
name: flaky
inputs:
  url: {type: string}
steps:
  - id: fetch
    type: http
    url: ${{ inputs.url }}/page
    retry: {max_attempts: 2, delay: 10ms, on: [http_5xx]}
  - id: optional
    type: http
    url: ${{ inputs.url }}/optional
    on_error: continue
"""

SLOW_MODEL = """
loom: 1
name: slow-model
steps:
  - id: summarize
    type: llm
    model: openai/gpt-4o-mini
    api_base: {base}
    prompt: Take your time
  - id: tidy
    type: set
    values: {{ok: true}}
"""


@pytest.fixture
async def warm_model(store, model_server):
    """LiteLLM's first call in a process takes seconds (imports, clients): spend it outside the runs measured."""
    assert (await run(store, SLOW_MODEL.format(base=model_server.url + "/v1").replace("slow-model", "warm-up"))
            ).succeeded
    return model_server


async def test_a_wait_that_dominates_is_the_bottleneck(store, warm_model):
    model_server = warm_model
    for _ in range(3):
        assert (await run(store, WAITS.format(base=model_server.url + "/v1"))).succeeded

    found = profile(store.engine, "waits")

    assert (found.runs, found.succeeded, found.failed) == (3, 3, 0)
    assert found.bottleneck == "pause"
    pause = found.steps[0]
    assert pause.step_id == "pause" and pause.type == "wait" and pause.executions == 3
    assert 300 <= pause.p50_ms <= pause.p95_ms < 2000
    assert pause.share_of_p95 > 0.5
    assert found.note.startswith(f"`pause` accounts for {pause.share_of_p95:.0%} of p95 run time")
    assert "`wait` step" in found.note and "3 finished runs" in found.note
    assert found.run_p95_ms >= 300
    summarize = next(s for s in found.steps if s.step_id == "summarize")
    assert summarize.model == "openai/gpt-4o-mini" and summarize.model_p95_ms == pytest.approx(summarize.p95_ms)
    assert sum(s.share_of_p95 for s in found.steps) == pytest.approx(1.0, abs=0.01)


async def test_only_the_slowest_parallel_branch_counts(store):
    for _ in range(2):
        assert (await run(store, FANOUT)).succeeded

    found = profile(store.engine, "fanout")
    shares = {s.step_id: s.share_of_p95 for s in found.steps}

    assert found.bottleneck == "long_wait" and shares["long_wait"] > 0.8
    assert shares["short_wait"] == 0 and shares["inner_wait"] == 0  # off the critical path
    assert {"both", "check", "finish"} <= set(shares)
    assert found.to_dict()["steps"][0]["step"] == "long_wait"


async def test_retry_and_failure_rates_per_step(store, server):
    answers = iter([(500, {}, "down"), (200, {}, "page"), (404, {}, "gone"),   # run 1: fetch retried
                    (200, {}, "page"), (200, {}, "optional"),                   # run 2: clean
                    (200, {}, "page"), (404, {}, "gone"),                       # run 3
                    (200, {}, "page"), (200, {}, "optional")])                  # run 4
    server.handle = lambda request: next(answers)
    for _ in range(4):
        assert (await run(store, FLAKY, {"url": server.url})).succeeded

    steps = {s.step_id: s for s in profile(store.engine, "flaky").steps}

    assert steps["fetch"].retry_rate == 0.25 and steps["fetch"].failure_rate == 0
    assert steps["optional"].failure_rate == 0.5 and steps["optional"].retry_rate == 0
    assert profile(store.engine, "flaky").to_dict()["success_rate"] == 1.0


async def test_a_slow_model_is_named_with_its_latency(store, warm_model):
    server = warm_model
    def slow(request: Received):
        time.sleep(0.25)
        return answer_by_model(request)

    server.handle = slow
    for _ in range(2):
        assert (await run(store, SLOW_MODEL.format(base=server.url + "/v1"))).succeeded

    found = profile(store.engine, "slow-model")

    assert found.bottleneck == "summarize"
    assert "its model's (openai/gpt-4o-mini) p95 latency is" in found.note
    assert found.steps[0].model_p95_ms >= 250


async def test_failed_runs_count_and_the_window_and_limit_select_runs(store, server):
    server.script((200, {}, "page"))
    assert (await run(store, FLAKY, {"url": server.url})).succeeded
    server.script((500, {}, "down"))
    failed = await run(store, FLAKY, {"url": server.url})
    assert failed.status == "failed"

    found = profile(store.engine, "flaky")
    assert (found.runs, found.succeeded, found.failed) == (2, 1, 1)
    assert next(s for s in found.steps if s.step_id == "fetch").failure_rate == 0.5
    assert profile(store.engine, "flaky", limit=1).runs == 1
    assert profile(store.engine, "flaky", window=Window.parse(since="2099-01-01")).runs == 0


def test_a_workflow_without_runs_says_so(store):
    found = profile(store.engine, "never-ran")

    assert found.runs == 0 and found.bottleneck is None and found.steps == []
    assert found.note == "No finished runs of `never-ran` yet: run it to see where its time goes."
