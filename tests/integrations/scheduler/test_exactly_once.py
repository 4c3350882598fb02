"""Several app processes on one database: every due time fires exactly one run.

Each "process" is a thread with its own event loop, its own Loom (its own SQLAlchemy engine)
and its own Scheduler; a barrier lines them up so they all fire the same due times at once.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from integrations.context import Loom
from integrations.scheduler import Scheduler
from integrations.settings import Settings

from .conftest import FakeClock

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EVERY_MINUTE = """loom: 1
name: every-minute
inputs:
  n: {type: integer}
triggers:
  - {type: cron, schedule: "* * * * *", timezone: Europe/Berlin, inputs: {n: 7}}
steps:
  - {id: double, type: set, values: {twice: "${{ inputs.n * 2 }}"}}
"""
PROCESSES, ROUNDS = 4, 12
START = datetime.fromisoformat("2026-03-27T06:00:30+00:00")


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A database of its own on the real server, dropped afterwards."""
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"loom_scheduler_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("postgres_database")


def process(settings: Settings, barrier: threading.Barrier, failures: list[BaseException]) -> None:
    async def main() -> None:
        loom = Loom.open(settings)
        clock = FakeClock(START.isoformat())
        scheduler = Scheduler(clock=clock, max_sleep=3600)
        await scheduler.start(loom)
        started: list[str] = []
        try:
            for minute in range(1, ROUNDS + 1):
                barrier.wait(timeout=30)  # every process ticks the same due time at the same moment
                clock.now = START + timedelta(minutes=minute)
                started += await scheduler.tick()
            for run_id in started:
                await loom.runner.wait(run_id, timeout=30)
        finally:
            await scheduler.stop()
            await loom.stop()

    try:
        asyncio.run(main())
    except BaseException as exc:
        failures.append(exc)
        barrier.abort()


def test_each_due_time_fires_exactly_one_run_across_processes(database_url: str, tmp_path: Path):
    settings = Settings(home=tmp_path / "home", database_url=database_url, tracing=False)
    setup = Loom.open(settings)
    setup.catalog.save(EVERY_MINUTE)

    async def create_schedules() -> None:  # migrates and fills `schedules` once, as a first app start would
        scheduler = Scheduler(clock=FakeClock(START.isoformat()), max_sleep=3600)
        await scheduler.start(setup)
        await scheduler.stop()

    asyncio.run(create_schedules())
    barrier, failures = threading.Barrier(PROCESSES), []
    threads = [threading.Thread(target=process, args=(settings, barrier, failures)) for _ in range(PROCESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures

    runs = asyncio.run(setup.store.list_runs(workflow="every-minute", limit=1000))
    setup.store.close()
    fired = Counter(run.trigger["scheduled_for"] for run in runs)
    assert sorted(fired) == [f"2026-03-27T07:{m:02d}:00+01:00" for m in range(1, ROUNDS + 1)]
    assert set(fired.values()) == {1}, fired
    assert {run.status for run in runs} == {"succeeded"}
    assert {run.inputs["n"] for run in runs} == {7}
