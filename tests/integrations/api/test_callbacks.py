"""A run's result is POSTed, signed, to the callback_url its request named, once the run ends."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from integrations import signatures
from integrations.context import Loom
from integrations.settings import Settings
from tests.peers.local_server import LocalServer

from .conftest import APPROVAL, HELLO, SECRET_KEY, count_runs, save, wait_for


def test_the_result_reaches_the_callback_signed_with_the_server_key(client: TestClient, server: LocalServer):
    save(client, HELLO)
    server.script((200, {}, b"ok"))
    url = f"{server.url}/hooks/loom?source=test"
    run_id = client.post("/api/v1/workflows/hello/runs", json={"inputs": {"who": "cb"}, "callback_url": url}
                         ).json()["run_id"]
    (delivery,) = wait_for(lambda: server.requests)
    assert delivery.method == "POST" and delivery.path == "/hooks/loom?source=test"
    assert signatures.verify(delivery.headers["x-loom-signature"], delivery.body, SECRET_KEY)
    result = delivery.json()
    assert result["run_id"] == run_id and result["status"] == "succeeded"
    assert result["outputs"] == {"text": "hello cb"} and result["workflow"] == "hello"


def test_a_failing_receiver_is_retried_until_it_accepts(client: TestClient, server: LocalServer):
    save(client, HELLO)
    server.script((503, {}, b"busy"), (200, {}, b"ok"))
    client.post("/api/v1/workflows/hello/runs", json={"callback_url": server.url})
    wait_for(lambda: len(server.requests) >= 2, timeout=5)
    first, second = server.requests[:2]
    assert first.json() == second.json() and second.json()["status"] == "succeeded"


def test_a_run_finished_after_approval_calls_back_once_it_ends(client: TestClient, server: LocalServer):
    save(client, APPROVAL)
    server.script((200, {}, b""))
    run = client.post("/api/v1/workflows/needs-ok/runs?wait=5",
                      json={"inputs": {"amount": 5}, "callback_url": server.url}).json()
    assert run["status"] == "waiting" and server.requests == []
    client.post(f"/api/v1/runs/{run['run_id']}/approve")
    (delivery,) = wait_for(lambda: server.requests)
    assert delivery.json()["outputs"]["approved"] is True


def test_unusable_callback_urls_are_refused_before_any_run(client: TestClient, loom: Loom):
    save(client, HELLO)
    for url, why in (("ftp://example.org/x", "only http and https"),
                     ("http://10.0.0.8/hook", "not a public address"),
                     ("http://169.254.169.254/latest", "not a public address"),
                     ("http://example.org/" + "a" * 2100, "at most 2048 characters")):
        response = client.post("/api/v1/workflows/hello/runs", json={"callback_url": url})
        assert response.status_code == 422 and why in response.json()["detail"], (url, response.text)
    assert count_runs(loom) == 0


def test_a_callback_needs_the_server_secret_key(loom_home, api_key, monkeypatch, server: LocalServer):
    from integrations.server import create_app

    monkeypatch.setenv("LOOM_HTTP_ALLOW", "127.0.0.1")
    keyless = Loom.open(Settings(home=loom_home, tracing=False))
    with TestClient(create_app(keyless, ui=False), headers={"Authorization": f"Bearer {api_key}"}) as http:
        save(http, HELLO)
        response = http.post("/api/v1/workflows/hello/runs", content=json.dumps({"callback_url": server.url}))
        assert response.status_code == 422 and "LOOM_SECRET_KEY" in response.json()["detail"]
        assert count_runs(keyless) == 0
