"""The server starts offline, answers its health check, and resumes interrupted runs at start-up."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

import engine
from engine.runtime.store import SqlStore
from integrations.server import create_app


def test_health_and_schema():
    with TestClient(create_app(engine.Services(store=engine.MemoryStore()))) as client:
        health = client.get("/api/v1/health").json()
        assert health["status"] == "ok" and "http" in health["step_types"]
        assert client.get("/api/v1/schema").json()["$id"].endswith("workflow.schema.json")
        assert "Loomwork is running" in client.get("/").text


async def test_start_up_resumes_a_run_left_running(tmp_path: Path):
    store = SqlStore(f"sqlite:///{tmp_path / 'loom.db'}")
    workflow = engine.loads("loom: 1\nname: w\nsteps:\n  - {id: a, type: set, values: {v: 1}}\n")
    result = await engine.run(workflow, store=store)
    from engine.runtime.store.tables import runs

    with store.engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.run_id == result.run_id).values(status="running"))
    with TestClient(create_app(engine.Services(store=store))):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (await store.get_run(result.run_id)).status != "succeeded":
            time.sleep(0.05)
    assert (await store.get_run(result.run_id)).status == "succeeded"
