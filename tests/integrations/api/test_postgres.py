"""The API on PostgreSQL (LOOM_DATABASE_URL), as a deployment at scale runs it: run listings filter
and page the same, and concurrent identical deliveries still make exactly one run."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.runtime.store.tables import runs
from integrations.context import Loom
from integrations.server import create_app
from integrations.settings import Settings

from .conftest import HELLO, SECRET_KEY, LiveServer, count_runs, save

POSTGRES_URL = os.environ.get("LOOM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def loom(loom_home: Path) -> Iterator[Loom]:
    """A Loom whose database is a fresh schema of its own on the PostgreSQL server."""
    admin = create_engine(make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    schema = f"loom_api_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    loom = Loom.open(Settings(home=loom_home, tracing=False, secret_key=SECRET_KEY,
                              database_url=url.render_as_string(hide_password=False)))
    yield loom
    loom.store.close()
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_run_listings_filter_by_time_and_page_on_postgres(client: TestClient, loom: Loom):
    save(client, HELLO)
    ids = [client.post("/api/v1/workflows/hello/runs?wait=5", json={}).json()["run_id"] for _ in range(4)]
    day = datetime(2026, 5, 1, tzinfo=UTC)
    with loom.store.engine.begin() as conn:
        for offset, run_id in enumerate(ids):
            conn.execute(runs.update().where(runs.c.run_id == run_id)
                         .values(started_at=(day + timedelta(days=offset)).isoformat()))
    page = client.get("/api/v1/runs", params={"limit": 2, "offset": 1, "status": "succeeded"}).json()
    assert page["total"] == 4 and [r["run_id"] for r in page["items"]] == [ids[2], ids[1]]
    window = client.get("/api/v1/runs", params={"since": "2026-05-02T00:00:00Z", "until": "2026-05-03T12:00:00Z"})
    assert [r["run_id"] for r in window.json()["items"]] == [ids[2], ids[1]]


async def test_fifty_concurrent_identical_deliveries_make_one_run_on_postgres(loom: Loom, api_key: str):
    with LiveServer(loom) as live:
        auth = {"Authorization": f"Bearer {api_key}"}
        async with httpx.AsyncClient(base_url=live.url, headers=auth, timeout=20,
                                     limits=httpx.Limits(max_connections=50)) as http:
            await http.put("/api/v1/workflows/hello", content=HELLO, headers={"Content-Type": "application/yaml"})
            body = json.dumps({"inputs": {"who": "pg"}})
            responses = await asyncio.gather(*(
                http.post("/api/v1/workflows/hello/runs", content=body,
                          headers={"Idempotency-Key": "pg-50", "Content-Type": "application/json"})
                for _ in range(50)))
    assert {r.status_code for r in responses} <= {200, 202}
    assert len({r.json()["run_id"] for r in responses}) == 1
    assert count_runs(loom) == 1


def test_the_app_on_postgres_is_the_one_under_test(loom: Loom):
    assert loom.store.engine.dialect.name == "postgresql"
    with TestClient(create_app(loom, ui=False, components=False)) as anonymous:
        assert anonymous.get("/api/v1/runs").status_code == 401
