"""The API's tests: a real app per test (TestClient), or under uvicorn on loopback for concurrency.

Workflows used across the tests are written here once; `save` puts one in the catalog.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from engine.runtime.store.tables import runs
from integrations.context import Loom
from integrations.server import create_app
from integrations.settings import Settings

SECRET_KEY = "server-secret-for-callbacks"
HOOK_SECRET = "hook-shared-secret"

HELLO = """\
loom: 1
name: hello
description: Greets whoever asks.
inputs:
  who: {type: string, default: world}
triggers:
  - {type: webhook}
steps:
  - id: greet
    type: set
    values: {text: "hello ${{ inputs.who }}"}
  - id: answer
    type: reply
    text: ${{ steps.greet.output.text }}
outputs:
  text: ${{ steps.greet.output.text }}
"""

SIGNED = """\
loom: 1
name: signed
inputs:
  n: {type: integer}
triggers:
  - {type: webhook, auth: hmac, secret: hook_key}
steps:
  - {id: double, type: set, values: {n: "${{ inputs.n * 2 }}"}}
outputs:
  n: ${{ steps.double.output.n }}
"""

OPEN = """\
loom: 1
name: open-door
triggers:
  - {type: webhook, auth: none}
steps:
  - {id: a, type: set, values: {ok: true}}
"""

SLOW = """\
loom: 1
name: slow
triggers:
  - {type: webhook}
steps:
  - {id: first, type: set, values: {v: 1}}
  - {id: pause, type: wait, duration: 1500ms}
  - {id: last, type: set, values: {v: 2}}
outputs:
  v: ${{ steps.last.output.v }}
"""

APPROVAL = """\
loom: 1
name: needs-ok
inputs:
  amount: {type: number}
triggers:
  - {type: webhook}
steps:
  - id: manager
    type: approval
    message: "approve ${{ inputs.amount }} EUR?"
    approvers: [finance-manager]
  - id: outcome
    type: set
    values: {approved: "${{ steps.manager.output.approved }}", comment: "${{ steps.manager.output.comment }}"}
outputs:
  approved: ${{ steps.outcome.output.approved }}
  by: ${{ steps.manager.output.by }}
"""


@pytest.fixture
def settings(loom_home: Path) -> Settings:
    return Settings(home=loom_home, tracing=False, secret_key=SECRET_KEY)


@pytest.fixture
def loom(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Loom:
    monkeypatch.setenv("LOOM_SECRET_HOOK_KEY", HOOK_SECRET)
    monkeypatch.setenv("LOOM_HTTP_ALLOW", "127.0.0.1")
    return Loom.open(settings)


def save(client: TestClient, text: str) -> dict:
    name = text.split("name: ", 1)[1].split("\n", 1)[0].strip()
    response = client.put(f"/api/v1/workflows/{name}", content=text, headers={"Content-Type": "application/yaml"})
    assert response.status_code in (200, 201), response.text
    return response.json()


def count_runs(loom: Loom, workflow: str | None = None) -> int:
    query = select(func.count()).select_from(runs)
    if workflow is not None:
        query = query.where(runs.c.workflow == workflow)
    with loom.store.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")


class LiveServer:
    """The app under uvicorn in a thread, on a free loopback port."""

    def __init__(self, loom: Loom) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(loom, ui=False, components=False), log_level="warning",
                                lifespan="on", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        wait_for(lambda: self.server.started, timeout=15)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def live(loom: Loom) -> Iterator[LiveServer]:
    with LiveServer(loom) as server:
        yield server
