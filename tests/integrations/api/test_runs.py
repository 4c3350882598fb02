"""Runs over HTTP: start (202 or wait), read, list with filters, cancel, approve, reject, follow as SSE."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
from fastapi.testclient import TestClient

from engine.runtime.store.tables import runs
from integrations.context import Loom

from .conftest import APPROVAL, HELLO, SLOW, LiveServer, count_runs, save, wait_for


def test_a_run_is_accepted_at_once_and_can_be_read_when_it_has_ended(client: TestClient, loom: Loom):
    save(client, HELLO)
    accepted = client.post("/api/v1/workflows/hello/runs", json={"inputs": {"who": "Ada"}})
    assert accepted.status_code == 202
    run_id = accepted.json()["run_id"]
    assert accepted.json() == {"run_id": run_id, "workflow": "hello", "status": "queued"}
    assert accepted.headers["location"] == f"/api/v1/runs/{run_id}"
    view = wait_for(lambda: (v := client.get(f"/api/v1/runs/{run_id}").json())["status"] == "succeeded" and v)
    assert view["outputs"] == {"text": "hello Ada"} and view["replies"] == ["hello Ada"]
    assert [s["id"] for s in view["steps"]] == ["greet", "answer"]
    assert view["workflow"] == "hello" and view["trigger"] == {"channel": "webhook", "user": "tests"}
    assert view["started_at"] <= view["finished_at"]
    assert set(view) >= {"run_id", "status", "outputs", "error", "replies", "steps", "usage"}


def test_wait_returns_the_finished_run_or_202_when_it_takes_longer(client: TestClient):
    save(client, HELLO)
    save(client, SLOW)
    done = client.post("/api/v1/workflows/hello/runs", params={"wait": 10}, json={"inputs": {"who": "Bo"}})
    assert done.status_code == 200 and done.json()["outputs"] == {"text": "hello Bo"}
    assert done.json()["status"] == "succeeded"
    started = time.monotonic()
    slow = client.post("/api/v1/workflows/slow/runs", params={"wait": 0.2})
    assert slow.status_code == 202 and slow.json()["status"] == "running"
    assert time.monotonic() - started < 1.2
    assert client.post("/api/v1/workflows/slow/runs", params={"wait": 301}).status_code == 422


def test_bad_inputs_are_refused_with_what_is_wrong_and_no_run_is_made(client: TestClient, loom: Loom):
    save(client, APPROVAL)
    missing = client.post("/api/v1/workflows/needs-ok/runs", json={"inputs": {}})
    assert missing.status_code == 422 and "missing required input 'amount'" in missing.json()["detail"]
    typed = client.post("/api/v1/workflows/needs-ok/runs", json={"inputs": {"amount": "lots"}})
    assert typed.status_code == 422 and "must be of type number" in typed.json()["detail"]
    unknown = client.post("/api/v1/workflows/needs-ok/runs", json={"inputs": {"amount": 1, "amout": 2}})
    assert unknown.status_code == 422 and "amout" in unknown.json()["detail"]
    not_json = client.post("/api/v1/workflows/needs-ok/runs", content=b"amount=3",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert not_json.status_code == 422 and '{"inputs"' in not_json.json()["detail"]
    extra = client.post("/api/v1/workflows/needs-ok/runs", json={"inputs": {"amount": 1}, "input": {}})
    assert extra.status_code == 422 and "input" in extra.json()["detail"]
    assert count_runs(loom) == 0


def test_listing_filters_by_workflow_status_and_time_and_pages(client: TestClient, loom: Loom):
    save(client, HELLO)
    save(client, APPROVAL)
    ids = [client.post("/api/v1/workflows/hello/runs?wait=5", json={}).json()["run_id"] for _ in range(5)]
    waiting = client.post("/api/v1/workflows/needs-ok/runs?wait=5", json={"inputs": {"amount": 3}}).json()
    assert waiting["status"] == "waiting"
    # Spread the start times over days, to filter on them.
    day = datetime(2026, 3, 1, tzinfo=UTC)
    with loom.store.engine.begin() as conn:
        for offset, run_id in enumerate(ids):
            conn.execute(runs.update().where(runs.c.run_id == run_id)
                         .values(started_at=(day + timedelta(days=offset)).isoformat()))

    everything = client.get("/api/v1/runs").json()
    assert everything["total"] == 6 and everything["items"][0]["run_id"] == waiting["run_id"]
    hello = client.get("/api/v1/runs", params={"workflow": "hello", "limit": 2, "offset": 1}).json()
    assert hello["total"] == 5 and [r["run_id"] for r in hello["items"]] == [ids[3], ids[2]]
    assert client.get("/api/v1/runs", params={"status": "waiting"}).json()["items"][0]["workflow"] == "needs-ok"
    window = client.get("/api/v1/runs", params={"since": "2026-03-02T00:00:00Z", "until": "2026-03-04T00:00:00+00:00"})
    assert [r["run_id"] for r in window.json()["items"]] == [ids[2], ids[1]] and window.json()["total"] == 2
    berlin = client.get("/api/v1/runs", params={"since": "2026-03-05T00:30:00+01:00", "workflow": "hello"})
    assert [r["run_id"] for r in berlin.json()["items"]] == [ids[4]]
    assert client.get("/api/v1/runs", params={"status": "sleeping"}).status_code == 422
    assert client.get("/api/v1/runs", params={"since": "last tuesday"}).status_code == 422
    assert client.get("/api/v1/runs/no-such-run").status_code == 404


def test_cancel_stops_a_running_run_and_refuses_one_that_ended(client: TestClient):
    save(client, SLOW)
    run_id = client.post("/api/v1/workflows/slow/runs", json={}).json()["run_id"]
    wait_for(lambda: client.get(f"/api/v1/runs/{run_id}").json()["status"] == "running")
    cancelled = client.post(f"/api/v1/runs/{run_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["error"]["type"] == "cancelled"
    time.sleep(1.6)  # past the wait step: the cancelled run did not go on to its last step
    view = client.get(f"/api/v1/runs/{run_id}").json()
    assert view["status"] == "cancelled" and "last" not in [s["id"] for s in view["steps"]]
    again = client.post(f"/api/v1/runs/{run_id}/cancel")
    assert again.status_code == 409 and "already ended (cancelled)" in again.json()["detail"]
    assert client.post("/api/v1/runs/unknown-run/cancel").status_code == 404


def test_approve_and_reject_continue_a_waiting_run_with_the_decision(client: TestClient):
    save(client, APPROVAL)
    first = client.post("/api/v1/workflows/needs-ok/runs?wait=5", json={"inputs": {"amount": 800}}).json()
    second = client.post("/api/v1/workflows/needs-ok/runs?wait=5", json={"inputs": {"amount": 900}}).json()
    assert first["status"] == second["status"] == "waiting"

    approved = client.post(f"/api/v1/runs/{first['run_id']}/approve", params={"wait": 5},
                           json={"comment": "fine by me"})
    assert approved.status_code == 200 and approved.json()["status"] == "succeeded"
    assert approved.json()["outputs"] == {"approved": True, "by": "tests"}
    rejected = client.post(f"/api/v1/runs/{second['run_id']}/reject")
    assert rejected.status_code == 202
    view = wait_for(lambda: (v := client.get(f"/api/v1/runs/{second['run_id']}").json())["status"] == "succeeded"
                    and v)
    assert view["outputs"] == {"approved": False, "by": "tests"}

    late = client.post(f"/api/v1/runs/{first['run_id']}/approve")
    assert late.status_code == 409 and "not waiting" in late.json()["detail"]
    assert client.post("/api/v1/runs/nope/reject").status_code == 404
    too_long = client.post(f"/api/v1/runs/{first['run_id']}/approve", json={"comment": "x" * 5000})
    assert too_long.status_code == 422


def _events(response: httpx.Response) -> list[dict]:
    events = []
    for block in response.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "data" in fields:
            data = json.loads(fields["data"])
            assert fields["event"] == data["type"]
            events.append(data)
    return events


def test_events_stream_a_running_run_step_by_step_until_it_finishes(loom: Loom, api_key: str, live: LiveServer):
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=live.url, headers=headers, timeout=10) as http:
        http.put("/api/v1/workflows/slow", content=SLOW, headers={"Content-Type": "application/yaml"})
        run_id = http.post("/api/v1/workflows/slow/runs", json={}).json()["run_id"]
        started = time.monotonic()
        with http.stream("GET", f"/api/v1/runs/{run_id}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            stream.read()
            events = _events(stream)
        assert time.monotonic() - started > 1.0  # it streamed while the run was waiting, not after
        types = [e["type"] for e in events]
        assert types[0] == "RunStarted" and types[-1] == "RunFinished"
        finished = [e["step_id"] for e in events if e["type"] == "StepFinished"]
        assert finished == ["first", "pause", "last"]
        assert {e["step_type"] for e in events if e["type"] == "StepStarted"} == {"set", "wait"}
        assert events[-1]["status"] == "succeeded" and events[-1]["outputs"] == {"v": 2}

        # A run that has ended sends its final state at once.
        with http.stream("GET", f"/api/v1/runs/{run_id}/events") as stream:
            stream.read()
            (final,) = _events(stream)
        assert final["type"] == "RunFinished" and final["run"]["steps"][-1]["id"] == "last"
        assert http.get("/api/v1/runs/missing/events").status_code == 404
        assert http.get(f"/api/v1/runs/{run_id}/events", headers={"Authorization": ""}).status_code == 401
    assert count_runs(loom, "slow") == 1
