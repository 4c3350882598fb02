"""The server starts offline, answers its health check without a key and everything else only
with one, and resumes interrupted runs at start-up."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

import engine
from engine.runtime.store.tables import runs
from integrations.context import Loom
from integrations.server import create_app


def test_health_needs_no_key_and_the_schema_does(client: TestClient):
    health = client.get("/api/v1/health", headers={"Authorization": ""}).json()
    assert health["status"] == "ok" and "http" in health["step_types"]
    assert client.get("/api/v1/schema").json()["$id"].endswith("workflow.schema.json")
    anonymous = client.get("/api/v1/schema", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    forged = client.get("/api/v1/schema", headers={"Authorization": "Bearer loom_abc_not-a-real-key"})
    assert forged.status_code == 401


def test_a_revoked_key_stops_working_at_once(client: TestClient, loom: Loom, api_key: str):
    assert client.get("/api/v1/schema").status_code == 200
    (key,) = loom.keys.list()
    assert loom.keys.revoke(key.id)
    assert client.get("/api/v1/schema").status_code == 401


async def test_start_up_resumes_a_run_left_running(loom: Loom):
    workflow = engine.loads("loom: 1\nname: w\nsteps:\n  - {id: a, type: set, values: {v: 1}}\n")
    result = await engine.run(workflow, store=loom.store)
    with loom.store.engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.run_id == result.run_id).values(status="running"))
    with TestClient(create_app(loom, ui=False)):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (await loom.store.get_run(result.run_id)).status != "succeeded":
            time.sleep(0.05)
    assert (await loom.store.get_run(result.run_id)).status == "succeeded"
