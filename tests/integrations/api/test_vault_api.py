"""Secrets and connections over the REST API: every route needs a key, bodies are checked, no
response ever carries a value, and runs started through the API use what is stored."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.vault import KeySource, WrongKey, generate_key
from integrations.context import Loom
from integrations.server import create_app
from integrations.settings import Settings
from tests.peers.local_server import LocalServer

from .conftest import save

VALUE = "api-secret-value-never-returned"
PASSWORD = "db-pa55word-never-returned"

CALLS_API = """\
loom: 1
name: calls-api
inputs:
  url: {type: string}
triggers:
  - {type: webhook}
steps:
  - id: call
    type: http
    url: ${{ inputs.url }}
    headers: {Authorization: "Bearer ${{ secrets.API_TOKEN }}"}
outputs:
  said: ${{ steps.call.output.text }}
"""


def http_connection(url: str, value: str = f"Bearer {VALUE}") -> dict:
    return {"kind": "http", "settings": {"base_url": url, "value": value}}


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/secrets"), ("PUT", "/api/v1/secrets/TOKEN"), ("DELETE", "/api/v1/secrets/TOKEN"),
    ("GET", "/api/v1/connections"), ("PUT", "/api/v1/connections/crm"), ("DELETE", "/api/v1/connections/crm"),
    ("POST", "/api/v1/connections/crm/test"),
])
def test_every_route_needs_an_api_key(client: TestClient, method: str, path: str):
    response = client.request(method, path, json={"value": VALUE}, headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert client.get("/api/v1/secrets").json() == {"items": []}  # nothing was stored


def test_a_secret_is_stored_listed_by_name_and_deleted(client: TestClient, loom_home: Path):
    put = client.put("/api/v1/secrets/API_TOKEN", json={"value": VALUE})
    assert put.status_code == 204 and put.content == b""
    listed = client.get("/api/v1/secrets")
    [item] = listed.json()["items"]
    assert item["name"] == "API_TOKEN" and set(item) == {"name", "created_at", "updated_at"}
    assert client.put("/api/v1/secrets/API_TOKEN", json={"value": "replaced-value"}).status_code == 204
    assert VALUE not in listed.text
    assert VALUE.encode() not in b"".join(p.read_bytes() for p in loom_home.glob("loom.db*"))
    assert client.delete("/api/v1/secrets/API_TOKEN").status_code == 204
    assert client.delete("/api/v1/secrets/API_TOKEN").status_code == 404
    assert client.get("/api/v1/secrets").json() == {"items": []}


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/secrets/bad-name", {"value": VALUE}),
    ("/api/v1/secrets/API_TOKEN", {"value": ""}),
    ("/api/v1/secrets/API_TOKEN", {"value": VALUE, "extra": 1}),
    ("/api/v1/secrets/API_TOKEN", {"value": "x" * (64 * 1024 + 1)}),
    ("/api/v1/secrets/API_TOKEN", {}),
])
def test_bad_secret_requests_are_422(client: TestClient, path: str, body: dict):
    response = client.put(path, json=body)
    assert response.status_code == 422
    assert VALUE not in response.text and "xxxx" not in response.text  # FastAPI's `input` is left out


def test_a_refused_value_is_not_echoed(client: TestClient):
    response = client.put("/api/v1/connections/crm", json={"kind": "sql", "settings": {"url": VALUE * 3000}})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "settings", "url",
                                                                                    "constrained-str"]
    assert VALUE not in response.text


def test_a_connection_is_stored_listed_by_summary_and_deleted(client: TestClient):
    body = {"kind": "sql", "settings": {"url": f"postgresql+psycopg://crm:{PASSWORD}@db.internal/crm"}}
    put = client.put("/api/v1/connections/crm", json=body)
    assert put.status_code == 200, put.text
    assert put.json()["name"] == "crm" and put.json()["kind"] == "sql" and "db.internal/crm" in put.json()["summary"]
    listed = client.get("/api/v1/connections")
    assert [c["name"] for c in listed.json()["items"]] == ["crm"]
    assert PASSWORD not in put.text + listed.text
    assert client.delete("/api/v1/connections/crm").status_code == 204
    assert client.delete("/api/v1/connections/crm").status_code == 404


def test_invalid_settings_are_422_naming_each_field(client: TestClient):
    response = client.put("/api/v1/connections/mail", json={"kind": "smtp", "settings": {"port": 0}})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "host" in detail and "port" in detail and "from" in detail
    assert client.put("/api/v1/connections/mail", json={"kind": "fax", "settings": {}}).status_code == 422
    assert client.put("/api/v1/connections/bad-name", json=http_connection("https://x.org")).status_code == 422
    assert client.get("/api/v1/connections").json() == {"items": []}


def test_the_test_endpoint_reports_what_worked(client: TestClient, server: LocalServer):
    server.script((200, {}, {"hello": "there"}))
    client.put("/api/v1/connections/api", json=http_connection(f"{server.url}/v1"))
    response = client.post("/api/v1/connections/api/test")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "message": f"HTTP 200 from GET {server.url}/v1"}
    assert server.requests[0].headers["authorization"] == f"Bearer {VALUE}"


def test_the_test_endpoint_reports_a_refusal_without_the_credential(client: TestClient, server: LocalServer):
    client.put("/api/v1/connections/api", json=http_connection(f"{server.url}/{VALUE}"))
    server.script((401, {}, b"no"))
    response = client.post("/api/v1/connections/api/test")
    assert response.status_code == 200
    result = response.json()
    assert result["ok"] is False and "refused the credential (HTTP 401" in result["message"]
    assert client.post("/api/v1/connections/nope/test").status_code == 404


def test_a_run_started_through_the_api_uses_the_stored_secret(client: TestClient, server: LocalServer):
    server.script((200, {}, f"you sent {VALUE}"))
    save(client, CALLS_API)
    client.put("/api/v1/secrets/API_TOKEN", json={"value": VALUE})
    run = client.post("/api/v1/workflows/calls-api/runs?wait=10", json={"inputs": {"url": f"{server.url}/"}})
    assert run.status_code == 200, run.text
    assert run.json()["status"] == "succeeded" and run.json()["outputs"] == {"said": "you sent ***"}
    assert server.requests[0].headers["authorization"] == f"Bearer {VALUE}"
    assert VALUE not in client.get(f"/api/v1/runs/{run.json()['run_id']}").text


def test_the_server_s_vault_is_keyed_by_its_secret_key(loom: Loom, client: TestClient):
    client.put("/api/v1/secrets/API_TOKEN", json={"value": VALUE})
    assert loom.vault.keys.describe() == "LOOM_SECRET_KEY" and loom.vault.secret("API_TOKEN") == VALUE


def test_a_server_whose_key_does_not_open_the_vault_refuses_to_start(loom: Loom, client: TestClient,
                                                                     settings: Settings):
    client.put("/api/v1/secrets/API_TOKEN", json={"value": VALUE})
    other = Loom.open(replace(settings, secret_key="another-passphrase-entirely"))
    with pytest.raises(WrongKey, match="another key than LOOM_SECRET_KEY"), TestClient(create_app(other, ui=False)):
        pass
    other.store.close()


def test_a_key_that_stops_working_under_a_running_server_is_503(loom_home: Path):
    loom = Loom.open(Settings(home=loom_home, tracing=False))  # the key file
    key = loom.keys.create("t")[1]
    with TestClient(create_app(loom, ui=False), headers={"Authorization": f"Bearer {key}"}) as client:
        client.put("/api/v1/secrets/API_TOKEN", json={"value": VALUE})
        KeySource(None, loom_home / "secret.key").write([generate_key().encode()])
        response = client.put("/api/v1/secrets/OTHER", json={"value": "x" * 8})
        assert response.status_code == 503 and "key file" in response.json()["detail"]
    assert [s.name for s in loom.vault.secrets()] == ["API_TOKEN"]
