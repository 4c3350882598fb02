"""Runs traced into MLflow and read back: span tree, roll-ups, errors, secrets."""

from __future__ import annotations

import json

import pytest

import engine
from engine.tracing import Tracer

from .conftest import SECRET, read_traces, span, tree

NESTED = """
loom: 1
name: nested-digest
inputs:
  topics: {type: array, default: [cats, dogs, owls]}
  echo: {type: string}
defaults: {model: openai/gpt-4o-mini}
steps:
  - id: fetch
    type: http
    url: ${{ inputs.echo }}
    headers: {Authorization: "Bearer ${{ secrets.TOKEN }}"}
  - id: each
    type: for_each
    items: ${{ inputs.topics }}
    steps:
      - id: summarize
        type: llm
        prompt: "one line about ${{ item }}"
  - id: both
    type: parallel
    branches:
      left:
        - id: headline
          type: llm
          prompt: a headline
      right:
        - id: check
          type: if
          condition: ${{ steps.fetch.output.status == 200 }}
          then:
            - {id: mark, type: set, values: {ok: true}}
outputs:
  lines: ${{ steps.each.output }}
"""


async def test_a_run_is_one_trace_nested_as_it_ran_with_tokens_and_cost_rolled_up(model, services, tracer):
    result = await engine.run(engine.loads(NESTED), {"echo": model.url + "/echo"}, services=services,
                              listeners=[tracer])
    assert result.status == "succeeded", result.error
    # The server echoed the secret: the run masks it before journaling, and the trace never sees it.
    assert SECRET not in json.dumps(result.steps[0].output)
    assert "Bearer ***" in json.dumps(result.steps[0].output)

    [trace] = read_traces(tracer)

    assert trace.info.tags["run_id"] == result.run_id
    assert trace.info.tags["workflow"] == "nested-digest"
    assert trace.info.tags["status"] == "succeeded"
    assert tree(trace) == {
        "nested-digest": ["fetch", "each", "both"],
        "fetch": [],
        "each": ["each[0]", "each[1]", "each[2]"],
        "each[0]": ["each[0]/summarize"], "each[1]": ["each[1]/summarize"], "each[2]": ["each[2]/summarize"],
        "each[0]/summarize": [], "each[1]/summarize": [], "each[2]/summarize": [],
        "both": ["left", "right"] if span(trace, "left").start_time_ns <= span(trace, "right").start_time_ns
        else ["right", "left"],
        "left": ["headline"], "right": ["check"], "check": ["mark"], "headline": [], "mark": [],
    }
    llm = span(trace, "each[1]/summarize")
    assert llm.span_type == "CHAT_MODEL"
    assert llm.attributes["mlflow.llm.model"] == "openai/gpt-4o-mini"
    assert llm.attributes["mlflow.chat.tokenUsage"] == {"input_tokens": 10 + len("one line about dogs"),
                                                         "output_tokens": 7,
                                                         "total_tokens": 17 + len("one line about dogs")}
    assert trace.info.token_usage == {"input_tokens": result.usage.input_tokens,
                                      "output_tokens": result.usage.output_tokens,
                                      "total_tokens": result.usage.input_tokens + result.usage.output_tokens}
    cost = json.loads(trace.info.trace_metadata["mlflow.trace.cost"])
    assert result.usage.cost_usd > 0
    assert cost["total_cost"] == pytest.approx(result.usage.cost_usd)
    assert cost["input_cost"] + cost["output_cost"] == pytest.approx(cost["total_cost"])
    http = span(trace, "fetch")
    assert http.span_type == "TOOL"
    assert http.attributes["http.status_code"] == 200
    assert http.attributes["http.elapsed_ms"] >= 0
    assert http.end_time_ns - http.start_time_ns > 0
    assert SECRET not in trace.to_json()
    assert "***" in json.dumps(http.outputs)


FAILING = """
loom: 1
name: breaks
inputs:
  url: {type: string}
steps:
  - {id: first, type: set, values: {v: 1}}
  - id: guard
    type: if
    condition: ${{ true }}
    then:
      - id: call
        type: http
        url: ${{ inputs.url }}
        retry: {max_attempts: 2, delay: 10ms, on: [http_5xx]}
  - {id: never, type: set, values: {v: 2}}
"""


async def test_the_failing_step_span_has_error_status_and_the_exception(model, services, tracer):
    result = await engine.run(engine.loads(FAILING), {"url": model.url + "/fail"}, services=services,
                              listeners=[tracer])
    assert result.status == "failed"

    [trace] = read_traces(tracer)

    assert trace.info.tags["status"] == "failed"
    call = span(trace, "call")
    assert call.status.status_code == "ERROR"
    assert "500" in call.status.description
    assert [e.name for e in call.events] == ["retry", "exception"]
    assert call.attributes["loom.attempts"] == 2
    assert span(trace, "guard").status.status_code == "ERROR"  # the step the failure stopped
    assert span(trace, "first").status.status_code == "OK"
    assert "never" not in tree(trace)
    assert trace.info.state == "ERROR"


async def test_secrets_in_errors_inputs_and_replies_are_scrubbed(services, tracer):
    wf = engine.loads("""
loom: 1
name: leaky
inputs:
  note: {type: string}
steps:
  - {id: say, type: reply, text: "your note: ${{ inputs.note }}"}
  - {id: stop, type: fail, message: "cannot use ${{ inputs.note }}"}
""")
    result = await engine.run(wf, {"note": f"key={SECRET}"}, services=services, listeners=[tracer])
    assert result.status == "failed" and SECRET not in result.error["message"]
    assert result.replies == ["your note: key=***"]

    [trace] = read_traces(tracer)

    text = trace.to_json()
    assert SECRET not in text
    assert "key=***" in text
    assert span(trace, "stop").status.status_code == "ERROR"


async def test_a_run_waiting_for_approval_is_traced_as_waiting(services, tracer):
    wf = engine.loads("""
loom: 1
name: asks
steps:
  - {id: ask, type: approval, message: "ship it?"}
  - {id: after, type: set, values: {v: 1}}
""")
    result = await engine.run(wf, services=services, listeners=[tracer])
    assert result.status == "waiting"

    [trace] = read_traces(tracer)

    assert trace.info.tags["status"] == "waiting"
    ask = span(trace, "ask")
    assert ask.attributes["loom.status"] == "waiting"
    assert [e.name for e in ask.events] == ["approval_requested"]


def test_tracing_adds_nothing_until_a_run_finishes(services, loom_home):
    tracer = Tracer(services)
    assert tracer.writer.written == 0
    assert not (loom_home / "mlflow.db").exists()


async def test_many_runs_finishing_together_are_written_together_each_its_own_trace(model, services, tracer):
    workflow = engine.loads("loom: 1\nname: many\ninputs: {n: {type: integer}}\nsteps:\n"
                            "  - {id: ask, type: llm, model: openai/gpt-4o-mini, prompt: \"n=${{ inputs.n }}\"}\n")
    results = [await engine.run(workflow, {"n": n}, services=services, listeners=[tracer]) for n in range(60)]

    traces = read_traces(tracer)
    assert tracer.writer.written == 60 and tracer.writer.failed == 0
    by_run = {t.info.tags["run_id"]: t for t in traces}
    assert set(by_run) == {r.run_id for r in results}
    for n, result in enumerate(results):  # each trace carries its own run's figures, not a batch's
        trace = by_run[result.run_id]
        assert trace.info.token_usage["input_tokens"] == result.usage.input_tokens
        assert [s.name for s in trace.data.spans] == ["many", "ask"]
        assert json.loads(trace.info.request_preview) == {"n": n}
