"""Saved workflows over HTTP: save versions from YAML, read, list, delete, enable and disable."""

from __future__ import annotations

from fastapi.testclient import TestClient

from integrations.context import Loom

from .conftest import HELLO, OPEN, SIGNED, SLOW, count_runs, save

YAML = {"Content-Type": "application/yaml"}


def test_saving_the_same_text_keeps_the_version_and_a_change_adds_one(client: TestClient):
    first = client.put("/api/v1/workflows/hello", content=HELLO, headers=YAML)
    assert first.status_code == 201 and first.json()["version"] == 1
    assert first.json()["triggers"] == [{"type": "webhook", "auth": "api_key"}]
    again = client.put("/api/v1/workflows/hello", content=HELLO, headers=YAML)
    assert again.status_code == 200 and again.json()["version"] == 1
    changed = client.put("/api/v1/workflows/hello", content=HELLO.replace("Greets", "Welcomes"),
                         headers={"Content-Type": "text/plain; charset=utf-8"})
    assert changed.status_code == 201 and changed.json()["version"] == 2

    versions = client.get("/api/v1/workflows/hello/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert client.get("/api/v1/workflows/hello").json()["description"] == "Welcomes whoever asks."
    old = client.get("/api/v1/workflows/hello", params={"version": 1}).json()
    assert old["version"] == 1 and old["yaml"] == HELLO


def test_an_invalid_document_is_refused_with_every_problem_located_and_nothing_changes(client: TestClient):
    save(client, HELLO)
    broken = HELLO.replace("type: set", "type: sett").replace("who: {type: string", "who: {type: strin")
    response = client.put("/api/v1/workflows/hello", content=broken, headers=YAML)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert len(errors) >= 2
    assert {e["line"] for e in errors} >= {5, 10}
    assert all(set(e) == {"path", "line", "column", "message", "hint"} for e in errors)
    assert any("sett" in e["message"] for e in errors)
    assert client.get("/api/v1/workflows/hello").json()["yaml"] == HELLO

    syntax = client.put("/api/v1/workflows/hello", content="loom: 1\nname: [unclosed\n", headers=YAML)
    assert syntax.status_code == 422 and syntax.json()["errors"][0]["line"] is not None


def test_a_document_saved_under_another_name_is_refused(client: TestClient):
    response = client.put("/api/v1/workflows/goodbye", content=HELLO, headers=YAML)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["path"] == "name" and "'hello'" in error["message"] and "goodbye" in error["hint"]
    assert client.get("/api/v1/workflows/goodbye").status_code == 404


def test_only_yaml_text_is_accepted(client: TestClient):
    as_json = client.put("/api/v1/workflows/hello", json={"loom": 1})
    assert as_json.status_code == 415 and "application/yaml" in as_json.json()["detail"]
    not_utf8 = client.put("/api/v1/workflows/hello", content=b"loom: 1\nname: \xff\xfe\n", headers=YAML)
    assert not_utf8.status_code == 422 and "UTF-8" in not_utf8.json()["errors"][0]["message"]
    bad_name = client.put("/api/v1/workflows/Hello_World", content=HELLO, headers=YAML)
    assert bad_name.status_code == 422


def test_listing_pages_and_filters(client: TestClient):
    for index in range(7):
        save(client, HELLO.replace("name: hello", f"name: hello-{index}"))
    save(client, SIGNED)
    save(client, OPEN)
    save(client, "loom: 1\nname: no-hook\nsteps:\n  - {id: a, type: set, values: {v: 1}}\n")
    client.post("/api/v1/workflows/hello-3/disable")

    page = client.get("/api/v1/workflows", params={"limit": 3, "offset": 2}).json()
    assert page["total"] == 10 and page["limit"] == 3 and page["offset"] == 2
    assert [w["name"] for w in page["items"]] == ["hello-2", "hello-3", "hello-4"]
    assert "yaml" not in page["items"][0]
    search = client.get("/api/v1/workflows", params={"search": "hello-"}).json()
    assert search["total"] == 7
    disabled = client.get("/api/v1/workflows", params={"enabled": "false"}).json()
    assert [w["name"] for w in disabled["items"]] == ["hello-3"]
    hooks = client.get("/api/v1/workflows", params={"trigger": "webhook", "limit": 2, "offset": 7}).json()
    assert hooks["total"] == 9 and [w["name"] for w in hooks["items"]] == ["open-door", "signed"]
    assert client.get("/api/v1/workflows", params={"trigger": "cron"}).json()["total"] == 0
    assert client.get("/api/v1/workflows", params={"limit": 1000}).status_code == 422
    assert client.get("/api/v1/workflows", params={"trigger": "carrier-pigeon"}).status_code == 422


def test_a_disabled_workflow_refuses_webhook_runs_until_enabled(client: TestClient, loom: Loom):
    save(client, HELLO)
    assert client.post("/api/v1/workflows/hello/disable").json()["enabled"] is False
    refused = client.post("/api/v1/workflows/hello/runs", json={})
    assert refused.status_code == 409 and "disabled" in refused.json()["detail"]
    assert "/api/v1/workflows/hello/enable" in refused.json()["detail"]
    assert count_runs(loom) == 0
    assert client.patch("/api/v1/workflows/hello", json={"enabled": True}).json()["enabled"] is True
    assert client.post("/api/v1/workflows/hello/runs", json={}).status_code == 202
    assert client.patch("/api/v1/workflows/hello", json={"enabled": "maybe"}).status_code == 422
    assert client.post("/api/v1/workflows/nothing-here/enable").status_code == 404


def test_deleting_a_workflow_removes_its_versions_but_keeps_its_runs(client: TestClient, loom: Loom):
    save(client, SLOW.replace("1500ms", "1ms"))
    run = client.post("/api/v1/workflows/slow/runs?wait=5", json={}).json()
    assert run["status"] == "succeeded"
    assert client.delete("/api/v1/workflows/slow").status_code == 204
    assert client.get("/api/v1/workflows/slow").status_code == 404
    assert client.get("/api/v1/workflows/slow/versions").status_code == 404
    assert client.delete("/api/v1/workflows/slow").status_code == 404
    assert client.get(f"/api/v1/runs/{run['run_id']}").json()["status"] == "succeeded"
    assert client.post("/api/v1/workflows/slow/runs", json={}).status_code == 404
