"""What the channel tests share: an app with saved workflows, the runs it stored, and waiting."""

from __future__ import annotations

import time
from collections.abc import Iterable

from fastapi.testclient import TestClient
from sqlalchemy import select

from engine.runtime.store.tables import runs
from integrations.context import Loom
from integrations.server import create_app
from integrations.settings import Settings


def open_app(settings: Settings, workflows: Iterable[str]) -> tuple[Loom, TestClient]:
    """The real app (without the UI) with `workflows` saved; enter the client to start it."""
    loom = Loom.open(settings)
    for source in workflows:
        loom.catalog.save(source)
    return loom, TestClient(create_app(loom, ui=False))


def stored_runs(loom: Loom) -> list:
    """Every run in the store, straight from the table: what a forged delivery must not add to."""
    with loom.store.engine.begin() as conn:
        return list(conn.execute(select(runs.c.run_id, runs.c.workflow, runs.c.status, runs.c.trigger,
                                        runs.c.inputs)))


def wait_until(condition, timeout: float = 10.0):
    """`condition()`'s first truthy value, polled; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)
    return value
