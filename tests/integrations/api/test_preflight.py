"""The server refuses a webhook call whose workflow lacks a secret or connection (422, naming it),
and saving such a workflow warns but keeps it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from integrations.context import Loom

from .conftest import count_runs, save

NEEDS_TOKEN = """\
loom: 1
name: needs-token
triggers:
  - {type: webhook}
steps:
  - id: call
    type: http
    url: https://api.example.org/items
    headers: {Authorization: "Bearer ${{ secrets.CRM_TOKEN }}"}
"""


def test_saving_warns_of_what_is_missing_and_keeps_the_workflow(client: TestClient):
    saved = save(client, NEEDS_TOKEN)
    [warning] = saved["warnings"]
    assert "CRM_TOKEN" in warning and "loom secrets set CRM_TOKEN" in warning
    assert client.get("/api/v1/workflows/needs-token").status_code == 200


def test_a_webhook_call_is_refused_with_422_and_starts_no_run(client: TestClient, loom: Loom):
    save(client, NEEDS_TOKEN)
    response = client.post("/api/v1/workflows/needs-token/runs", json={"inputs": {}})
    assert response.status_code == 422
    assert "secret 'CRM_TOKEN' (used by step 'call') is not configured" in response.json()["detail"]
    assert count_runs(loom, "needs-token") == 0


def test_a_workflow_with_everything_it_needs_saves_without_warnings(client: TestClient):
    assert save(client, NEEDS_TOKEN.replace("CRM_TOKEN", "HOOK_KEY"))["warnings"] == []


def test_an_open_webhook_refuses_without_naming_what_is_missing(client: TestClient, loom: Loom):
    save(client, NEEDS_TOKEN.replace("{type: webhook}", "{type: webhook, auth: none}"))
    response = client.post("/api/v1/workflows/needs-token/runs", json={"inputs": {}},
                           headers={"Authorization": ""})
    assert response.status_code == 422
    assert "CRM_TOKEN" not in response.text and "not configured" in response.text
    assert count_runs(loom, "needs-token") == 0
