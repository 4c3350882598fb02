"""The `llm` step against a local OpenAI-compatible server, through the real LiteLLM."""

from __future__ import annotations

import json

import pytest

import engine
from tests.peers.openai import completion

SUMMARY_SCHEMA = '{type: object, properties: {summary: {type: string}}, required: [summary]}'


@pytest.fixture(autouse=True)
def openai_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test")


def workflow(server, fields: str) -> engine.Workflow:
    return engine.loads(f"""
loom: 1
name: llm-test
defaults: {{model: openai/gpt-4o-mini, temperature: 0.2}}
inputs:
  topic: {{type: string, default: owls}}
steps:
  - id: ask
    type: llm
    api_base: {server.url}/v1
{fields}
outputs:
  result: ${{{{ steps.ask.output }}}}
""")


async def run(wf: engine.Workflow, store=None, trigger=None) -> engine.RunResult:
    # The peer is on loopback: the operator's allow-list opens it to `api_base` (the SSRF guard).
    services = engine.Services(store=store or engine.MemoryStore(), http_allow=frozenset({"127.0.0.1"}))
    return await engine.run(wf, {}, services=services, trigger=trigger)


async def test_answer_usage_and_cost(server):
    server.script(completion("Owls hunt at night.", 12, 5))
    wf = workflow(server, "    system: Be brief.\n    prompt: Tell me about ${{ inputs.topic }}.\n    max_tokens: 50")

    result = await run(wf)

    assert result.status == "succeeded", result.error
    output = result.outputs["result"]
    assert output["text"] == "Owls hunt at night."
    assert output["data"] is None
    assert output["model"] == "openai/gpt-4o-mini"
    assert output["usage"] == {"input_tokens": 12, "output_tokens": 5}
    assert output["cost_usd"] > 0
    assert result.usage.input_tokens == 12 and result.usage.cost_usd == pytest.approx(output["cost_usd"])
    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test"
    sent = request.json()
    assert sent["model"] == "gpt-4o-mini"
    assert sent["temperature"] == 0.2 and sent["max_tokens"] == 50
    assert sent["messages"] == [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "Tell me about owls."}]


async def test_structured_output_is_parsed_into_data(server):
    server.script(completion('```json\n{"summary": "Owls are birds."}\n```'))
    wf = workflow(server, f"    prompt: Summarize owls.\n    output_schema: {SUMMARY_SCHEMA}")

    result = await run(wf)

    assert result.status == "succeeded", result.error
    assert result.outputs["result"]["data"] == {"summary": "Owls are birds."}
    sent = server.requests[0].json()
    assert sent["response_format"] == {"type": "json_object"}
    assert '"required": ["summary"]' in sent["messages"][0]["content"]


async def test_schema_violation_gets_one_repair_with_the_errors(server):
    server.script(completion('{"title": "Owls"}', 10, 4), completion('{"summary": "Owls."}', 30, 3))
    wf = workflow(server, f"    prompt: Summarize owls.\n    output_schema: {SUMMARY_SCHEMA}")

    result = await run(wf)

    assert result.status == "succeeded", result.error
    assert result.outputs["result"]["data"] == {"summary": "Owls."}
    assert result.outputs["result"]["usage"] == {"input_tokens": 40, "output_tokens": 7}
    assert len(server.requests) == 2
    repair = server.requests[1].json()["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"title": "Owls"}'}
    assert "'summary' is a required property" in repair[-1]["content"]


async def test_still_invalid_after_repair_fails_as_llm_error(server):
    server.script(completion("not json at all"))
    wf = workflow(server, f"    prompt: Summarize owls.\n    output_schema: {SUMMARY_SCHEMA}")

    result = await run(wf)

    assert result.status == "failed"
    assert result.error["type"] == "llm_error"
    assert len(server.requests) == 2
    assert "not valid JSON" in server.requests[1].json()["messages"][-1]["content"]


@pytest.mark.parametrize(("status", "kind"), [(429, "rate_limit"), (500, "llm_error"), (400, "llm_error")])
async def test_provider_errors_are_classified(server, status, kind):
    server.script((status, {}, {"error": {"message": "nope", "type": "server_error", "code": None}}))

    result = await run(workflow(server, "    prompt: Hi"))

    assert result.status == "failed"
    assert result.error["type"] == kind
    assert len(server.requests) == 1  # the provider SDK does not retry behind the step's policy


async def test_memory_carries_the_conversation_to_the_next_run(server):
    server.script(completion("Hello Ada."), completion("You are Ada."))
    wf = workflow(server, "    prompt: ${{ trigger.text }}\n    memory: {scope: conversation, window: 10}")
    store = engine.MemoryStore()

    first = await run(wf, store, {"channel": "telegram", "chat_id": "42", "text": "I am Ada."})
    second = await run(wf, store, {"channel": "telegram", "chat_id": "42", "text": "Who am I?"})
    other = await run(wf, store, {"channel": "telegram", "chat_id": "7", "text": "Who am I?"})

    assert first.status == second.status == other.status == "succeeded"
    assert server.requests[1].json()["messages"] == [
        {"role": "user", "content": "I am Ada."},
        {"role": "assistant", "content": "Hello Ada."},
        {"role": "user", "content": "Who am I?"},
    ]
    assert server.requests[2].json()["messages"] == [{"role": "user", "content": "Who am I?"}]
    assert json.dumps(await store.memory("llm-test:42", 10)).count("Ada") == 3
