"""Trigger patterns cannot freeze the server: they are RE2, matched in time linear in the message.

With Python's `re`, the pattern below and a 28-character message held the event loop for 32 s
(it doubles with each `a`). A pattern RE2 cannot run in linear time (a backreference, a
lookaround) is refused when the workflow is saved, saying where and why.
"""

from __future__ import annotations

import time

import pytest

import engine
from engine.language.patterns import compile_pattern
from integrations.chat_routing import Route, whatsapp_inputs
from tests.integrations.helpers import open_app, stored_runs, wait_until
from tests.peers.twilio import FakeTwilio

from .conftest import inbound, post

CATASTROPHIC = r"^(?P<x>(a+)+)$"
MESSAGE = "a" * 27 + "!"


def pattern_workflow(pattern: str, name: str = "greedy") -> str:
    return f"""\
loom: 1
name: {name}
inputs:
  x: {{type: string}}
triggers:
  - {{type: whatsapp, pattern: '{pattern}'}}
steps:
  - {{id: answer, type: reply, text: "got ${{{{ inputs.x }}}}"}}
"""


def route(pattern: str) -> Route:
    workflow = engine.loads(pattern_workflow(pattern))
    return Route(workflow.name, workflow, workflow.triggers[0])


def test_the_catastrophic_pattern_answers_in_microseconds():
    greedy = route(CATASTROPHIC)
    whatsapp_inputs(greedy, "warm up")  # the first call compiles the pattern

    started = time.perf_counter()
    for _ in range(100):
        assert whatsapp_inputs(greedy, MESSAGE) is None
    per_message = (time.perf_counter() - started) / 100

    assert per_message < 0.001  # about 10 us here; Python's re took 32 s
    assert whatsapp_inputs(greedy, "a" * 1600 + "!") is None  # the longest body Twilio sends
    assert whatsapp_inputs(greedy, "aaaa") == {"x": "aaaa"}


def test_named_groups_still_become_inputs():
    digest = route(r"^digest\s+(?P<x>\S+)(?:\s+\d+)?$")
    letters = route(r"^hi (?P<x>\pL+)")

    assert whatsapp_inputs(digest, "digest https://example.org") == {"x": "https://example.org"}
    assert whatsapp_inputs(letters, "hi José!") == {"x": "José"}  # \pL: letters of any script


def test_the_webhook_answers_fast_and_other_messages_still_route(whatsapp_settings, twilio: FakeTwilio):
    loom, client = open_app(whatsapp_settings, [pattern_workflow(CATASTROPHIC)])
    with client:
        started = time.perf_counter()
        refused = post(client, twilio, inbound(MESSAGE))
        elapsed = time.perf_counter() - started

        matched = post(client, twilio, inbound("aaa"))

        assert refused.status_code == 200 and "did not understand" in refused.text
        assert elapsed < 1.0
        assert matched.status_code == 200
        assert twilio.wait_for(1)[0]["Body"] == "got aaa"
        assert [run.inputs for run in wait_until(lambda: stored_runs(loom))] == [{"x": "aaa"}]


@pytest.mark.parametrize(("pattern", "where", "why"), [
    (r"^(?P<x>a+)\1$", "at character 11 (`\\1`)", "backreferences (\\1, (?P=name)) are not supported"),
    (r"^(?P<x>a+)(?P=x)$", "at character 11 (`(?P=`)", "backreferences"),
    (r"^(?P<x>\w+)(?=!)", "at character 12 (`(?=`)", "lookahead and lookbehind"),
    (r"(?<!no )(?P<x>go)", "at character 1 (`(?<!`)", "lookahead and lookbehind"),
])
def test_a_pattern_re2_cannot_run_in_linear_time_is_refused_at_load(pattern: str, where: str, why: str):
    with pytest.raises(engine.ValidationError) as caught:
        engine.loads(pattern_workflow(pattern))

    (problem,) = caught.value.problems
    assert problem.path == "triggers[0].pattern" and problem.line == 6
    assert f"invalid regular expression {where}: {why}" in problem.message
    assert "RE2 syntax, which matches in time linear in the message" in problem.message


def test_saving_a_backreference_pattern_over_the_api_is_refused(whatsapp_settings, twilio: FakeTwilio):
    loom, client = open_app(whatsapp_settings, [])
    key = loom.keys.create("tests")[1]
    with client:
        response = client.put("/api/v1/workflows/greedy", content=pattern_workflow(r"^(?P<x>a)\1"),
                              headers={"Content-Type": "application/yaml", "Authorization": f"Bearer {key}"})

    assert response.status_code == 422, response.text
    assert "triggers[0].pattern" in response.text and "backreferences" in response.text and "RE2" in response.text


def test_compiled_patterns_are_cached():
    assert compile_pattern(CATASTROPHIC) is compile_pattern(CATASTROPHIC)
