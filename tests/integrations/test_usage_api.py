"""`GET /api/v1/usage` and `GET /api/v1/workflows/{name}/profile` over real runs, and `loom usage`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

import engine
from integrations.context import Loom
from tests.conftest import ROOT
from tests.peers.openai import completion

ASK = """
loom: 1
name: ask
steps:
  - id: pause
    type: wait
    duration: 50ms
  - id: answer
    type: llm
    model: openai/gpt-4o-mini
    api_base: {base}
    prompt: Hello
"""


@pytest.fixture(autouse=True)
def openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("LOOM_HTTP_ALLOW", "127.0.0.1")  # the model peer is on loopback: the SSRF guard checks api_base


@pytest.fixture
async def ran(loom: Loom, server) -> list[engine.RunResult]:
    server.script(completion("Hi there", 40, 8))
    workflow = engine.loads(ASK.format(base=server.url + "/v1"))
    results = [await engine.run(workflow, services=loom.services) for _ in range(2)]
    assert all(r.succeeded for r in results), [r.error for r in results]
    return results


async def test_usage_per_model_with_a_key(client: TestClient, ran):
    answer = client.get("/api/v1/usage", params={"group_by": "model"})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["group_by"] == "model"
    [row] = body["rows"]
    assert row["key"] == "openai/gpt-4o-mini"
    assert (row["runs"], row["calls"], row["input_tokens"], row["output_tokens"]) == (2, 2, 80, 16)
    assert row["cost_usd"] == pytest.approx(sum(r.usage.cost_usd for r in ran)) and row["cost_usd"] > 0
    assert body["total"]["runs"] == 2


async def test_usage_filters_by_workflow_and_window(client: TestClient, ran):
    assert client.get("/api/v1/usage", params={"workflow": "other"}).json()["rows"] == []
    assert client.get("/api/v1/usage", params={"since": "2099-01-01"}).json()["total"]["runs"] == 0
    per_run = client.get("/api/v1/usage", params={"group_by": "run", "limit": 1, "since": "1d"}).json()
    assert [row["key"] for row in per_run["rows"]] == [ran[1].run_id]
    assert per_run["since"] is not None and per_run["total"]["runs"] == 2


async def test_profile_names_the_bottleneck(client: TestClient, ran):
    answer = client.get("/api/v1/workflows/ask/profile")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["runs"] == 2 and body["success_rate"] == 1.0
    assert {s["step"] for s in body["steps"]} == {"pause", "answer"}
    assert body["bottleneck"] in {"pause", "answer"} and body["note"].startswith(f"`{body['bottleneck']}`")


def test_without_a_key_both_routes_answer_401(loom: Loom):
    with TestClient(loom_app(loom)) as anonymous:
        for path in ("/api/v1/usage", "/api/v1/workflows/ask/profile"):
            answer = anonymous.get(path)
            assert answer.status_code == 401 and "API key" in answer.json()["detail"]
        assert anonymous.get("/api/v1/usage", headers={"Authorization": "Bearer wrong"}).status_code == 401


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"group_by": "week"}, "group_by", "Input should be 'workflow', 'model', 'provider', 'day' or 'run'"),
    ({"since": "last tuesday"}, "since", "since: 'last tuesday' is not a date"),
    ({"until": "2025-02-30"}, "until", "until: '2025-02-30' is not a date"),
    ({"since": "2025-03-02", "until": "2025-03-01"}, "since", "must be earlier than until"),
    ({"workflow": "Bad Name!"}, "workflow", "String should match pattern"),
    ({"limit": 0}, "limit", "greater than or equal to 1"),
    ({"since": "x" * 41}, "since", "at most 40 characters"),
])
def test_bad_query_parameters_are_refused_with_where_and_why(client: TestClient, params, field, message):
    answer = client.get("/api/v1/usage", params=params)

    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["query", field] and message in problem["msg"]


def test_profile_of_an_unknown_workflow_is_404_and_a_saved_one_without_runs_is_empty(client: TestClient, loom):
    missing = client.get("/api/v1/workflows/nothing-here/profile")
    assert missing.status_code == 404 and "nothing-here" in missing.json()["detail"]

    loom.catalog.save("loom: 1\nname: saved-only\nsteps:\n  - {id: noop, type: set, values: {a: 1}}\n")
    empty = client.get("/api/v1/workflows/saved-only/profile")
    assert empty.status_code == 200 and empty.json()["runs"] == 0
    assert "No finished runs" in empty.json()["note"]
    assert client.get("/api/v1/workflows/Bad_Name/profile").status_code == 422


async def test_loom_usage_json_prints_the_report(loom: Loom, ran, loom_home):
    env = {**os.environ, "LOOM_HOME": str(loom_home)}
    done = subprocess.run([sys.executable, "-m", "engine.cli", "usage", "--by", "model", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["group_by"] == "model" and body["rows"][0]["key"] == "openai/gpt-4o-mini"
    assert body["rows"][0]["input_tokens"] == 80 and body["total"]["runs"] == 2


async def test_loom_usage_prints_a_table_and_refuses_a_bad_since(loom: Loom, ran, loom_home):
    env = {**os.environ, "LOOM_HOME": str(loom_home)}
    table = subprocess.run([sys.executable, "-m", "engine.cli", "usage"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["workflow", "runs", "calls"]
    assert lines[1].split()[:5] == ["ask", "2", "2", "80", "16"]
    assert lines[-1].split()[:3] == ["total", "2", "2"]

    bad = subprocess.run([sys.executable, "-m", "engine.cli", "usage", "--since", "soon"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "since: 'soon' is not a date" in bad.stderr


def loom_app(loom: Loom):
    from integrations.server import create_app

    return create_app(loom, ui=False)
