"""An `llm` step's `api_base` goes through the SSRF guard before the model is called: real LiteLLM, a loopback peer."""

from __future__ import annotations

import pytest

import engine
from tests.peers.model import model_peer
from tests.peers.openai import completion


@pytest.fixture(autouse=True)
def openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary")


def workflow(api_base: str | None, extra: str = "") -> engine.Workflow:
    base = f"    api_base: {api_base}\n" if api_base is not None else ""
    return engine.loads(f"""
loom: 1
name: api-base-guard
inputs:
  base: {{type: string, default: ""}}
steps:
  - id: ask
    type: llm
    model: openai/gpt-4o-mini
{base}{extra}    prompt: The secret plan.
""")


async def run(wf: engine.Workflow, allow: set[str], **inputs: str) -> engine.RunResult:
    services = engine.Services(store=engine.MemoryStore(), http_allow=frozenset(allow), secrets={})
    return await engine.run(wf, inputs, services=services)


async def test_a_loopback_api_base_is_blocked_and_the_server_sees_nothing(server):
    server.script(completion("leaked"))

    result = await run(workflow(f"{server.url}/v1"), allow=set())

    assert result.status == "failed" and result.error is not None
    assert result.error["type"] == "blocked"
    message = result.error["message"]
    assert "api_base: refused to connect to 127.0.0.1 (127.0.0.1): not a public address: loopback" in message
    assert "LOOM_HTTP_ALLOW=127.0.0.1" in message
    assert server.requests == []


@pytest.mark.parametrize("allowed", ["127.0.0.1", "{port}"])
async def test_the_operators_allow_list_opens_it(server, allowed):
    server.script(completion("Hello from loopback."))

    result = await run(workflow(f"{server.url}/v1"), allow={allowed.format(port=f"127.0.0.1:{server.port}")})

    assert result.status == "succeeded", result.error
    assert result.outputs == {} and result.steps[0].status == "succeeded"
    assert [r.path for r in server.requests] == ["/v1/chat/completions"]
    assert server.requests[0].headers["authorization"] == "Bearer sk-canary"


@pytest.mark.parametrize("base", ["http://localhost:{port}/v1", "http://[::ffff:127.0.0.1]:{port}/v1",
                                  "http://2130706433:{port}/v1", "http://[::127.0.0.1]:{port}/v1"])
async def test_a_rendered_api_base_is_checked_in_every_spelling(server, base):
    server.script(completion("leaked"))

    result = await run(workflow("${{ inputs.base }}"), allow={"127.0.0.1"}, base=base.format(port=server.port))

    assert result.error is not None and result.error["type"] == "blocked", result.error
    assert server.requests == []


async def test_blocked_is_not_retried(server):
    retry = "    retry: {max_attempts: 3, delay: 1ms, on: [any]}\n"

    result = await run(workflow(f"{server.url}/v1", retry), allow=set())

    assert result.error is not None and result.error["type"] == "blocked" and result.steps[0].attempts == 1
    assert server.requests == []


async def test_the_providers_default_base_is_the_operators_and_not_checked(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_BASE", f"{server.url}/v1")
    server.script(completion("Hello from the operator's server."))

    result = await run(workflow(None), allow=set())

    assert result.status == "succeeded", result.error
    assert len(server.requests) == 1


@pytest.mark.filterwarnings("ignore:Items? '.*ReadOnly:UserWarning")  # LiteLLM's Ollama types, on first use
async def test_a_local_ollama_works_once_the_operator_allows_it():
    wf = engine.loads("""
loom: 1
name: local-model
steps:
  - id: ask
    type: llm
    model: ollama/llama3.2
    api_base: ${{ secrets.OLLAMA_BASE_URL }}
    prompt: Say hi.
outputs:
  text: ${{ steps.ask.output.text }}
""")
    with model_peer() as model:
        model.answer = lambda asked: "hi"
        secrets = {"OLLAMA_BASE_URL": model.url}

        refused = await engine.run(wf, services=engine.Services(store=engine.MemoryStore(), secrets=secrets,
                                                                http_allow=frozenset()))
        allowed = await engine.run(wf, services=engine.Services(store=engine.MemoryStore(), secrets=secrets,
                                                                http_allow=frozenset({"127.0.0.1"})))

    assert refused.error is not None and refused.error["type"] == "blocked"
    assert "LOOM_HTTP_ALLOW" in refused.error["message"]
    assert allowed.status == "succeeded", allowed.error
    assert allowed.outputs == {"text": "hi"}
    assert [a.provider for a in model.asked] == ["ollama"]
