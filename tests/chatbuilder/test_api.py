"""The builder's REST endpoints, through the real app with a real API key."""

from __future__ import annotations

from fastapi.testclient import TestClient

from integrations.server import create_app

from .workflows import DIGEST

BASE = "/api/v1/builder"


def test_every_builder_route_requires_an_api_key(loom):
    with TestClient(create_app(loom, ui=False)) as anonymous:
        for method, path in [("post", "/sessions"), ("get", "/sessions"), ("get", "/sessions/x"),
                             ("post", "/sessions/x/messages"), ("get", "/sessions/x/versions"),
                             ("post", "/sessions/x/versions"), ("post", "/sessions/x/versions/1/restore"),
                             ("post", "/sessions/x/save"), ("get", "/settings"), ("put", "/settings"),
                             ("post", "/settings/test")]:
            response = anonymous.request(method, BASE + path, json={})
            assert response.status_code == 401, (method, path)


def test_a_session_from_request_to_saved_workflow(client):
    created = client.post(f"{BASE}/sessions", json={"title": "News"})
    assert created.status_code == 201 and created.json()["title"] == "News"
    session = created.json()["id"]

    turn = client.post(f"{BASE}/sessions/{session}/messages",
                       json={"text": "every weekday at 7 summarize https://example.org and send it to telegram"})
    assert turn.status_code == 200
    body = turn.json()
    assert body["valid"] and body["version"] == 1 and body["offline"] and body["errors"] == []
    assert "0 7 * * 1-5" in body["yaml"] and body["reply"].startswith("I'm offline")

    edited = client.post(f"{BASE}/sessions/{session}/versions", json={"yaml": DIGEST})
    assert edited.status_code == 201 and edited.json()["number"] == 2 and edited.json()["source"] == "edit"

    versions = client.get(f"{BASE}/sessions/{session}/versions").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["diff"].startswith("--- v1") and versions[1]["capabilities"]["new"]["domains"]

    restored = client.post(f"{BASE}/sessions/{session}/versions/1/restore")
    assert restored.status_code == 201 and restored.json()["number"] == 3

    saved = client.post(f"{BASE}/sessions/{session}/save", json={"name": "morning-news"})
    assert saved.status_code == 200 and saved.json()["name"] == "morning-news" and saved.json()["version"] == 1
    assert client.get("/api/v1/workflows/morning-news").status_code == 200

    listed = client.get(f"{BASE}/sessions").json()
    assert listed[0]["id"] == session and listed[0]["version"] == 3
    detail = client.get(f"{BASE}/sessions/{session}").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]


def test_unknown_sessions_and_versions_answer_404(client):
    session = client.post(f"{BASE}/sessions", json={}).json()["id"]
    assert client.get(f"{BASE}/sessions/nope").status_code == 404
    assert client.post(f"{BASE}/sessions/nope/messages", json={"text": "hi"}).status_code == 404
    assert client.get(f"{BASE}/sessions/nope/versions").status_code == 404
    assert client.get(f"{BASE}/sessions/{session}/versions/1").status_code == 404
    missing = client.post(f"{BASE}/sessions/{session}/versions/7/restore")
    assert missing.status_code == 404 and "no version 7" in missing.json()["detail"]
    assert client.post(f"{BASE}/sessions/nope/save", json={}).status_code == 404


def test_invalid_edits_and_bodies_answer_422_and_store_nothing(client):
    session = client.post(f"{BASE}/sessions", json={}).json()["id"]
    bad = client.post(f"{BASE}/sessions/{session}/versions", json={"yaml": DIGEST.replace("type: http", "type: htp")})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"] == "steps[0].type" and bad.json()["errors"][0]["line"] == 10
    assert client.get(f"{BASE}/sessions/{session}/versions").json() == []

    assert client.post(f"{BASE}/sessions/{session}/messages", json={"text": ""}).status_code == 422
    assert client.post(f"{BASE}/sessions/{session}/messages", json={"text": "x" * 20_001}).status_code == 422
    assert client.post(f"{BASE}/sessions/{session}/messages", json={"text": "   "}).status_code == 422
    assert client.post(f"{BASE}/sessions/{session}/messages", json={"txt": "hi"}).status_code == 422
    assert client.post(f"{BASE}/sessions/{session}/save", json={"name": "Bad Name"}).status_code == 422
    nothing = client.post(f"{BASE}/sessions/{session}/save", json={})
    assert nothing.status_code == 422 and "no valid version yet" in nothing.json()["errors"][0]["message"]
    assert client.get(f"{BASE}/sessions/{session}/versions/0").status_code == 422


def test_the_builder_model_is_changed_and_tested_over_http(client):
    assert client.get(f"{BASE}/settings").json() == {"model": None, "api_base": None, "max_attempts": 3}
    offline = client.post(f"{BASE}/settings/test").json()
    assert not offline["ok"] and "no builder model is configured" in offline["message"]
    changed = client.put(f"{BASE}/settings", json={"model": "ollama/llama3.2", "api_base": "http://127.0.0.1:9"})
    assert changed.json()["model"] == "ollama/llama3.2"
    assert client.get(f"{BASE}/settings").json()["api_base"] == "http://127.0.0.1:9"
