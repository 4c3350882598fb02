"""The real server stays responsive while code steps misbehave: a fork bomb, a memory bomb
and a CPU loop run in bubblewrap (each a subprocess the event loop only waits on), and
`GET /api/v1/health` answers in under a second throughout."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from engine.sandbox import SANDBOX_VARIABLE
from engine.sandbox.bubblewrap import Bubblewrap
from integrations.context import Loom

from .conftest import LiveServer, wait_for

BOMBS = {
    "fork-bomb": ("while True:\n    try:\n        os.fork()\n    except OSError:\n        pass", "timeout"),
    "memory-bomb": ("end = time.monotonic() + 3\nhoard = []\nwhile time.monotonic() < end:\n    try:\n"
                    "        hoard.append(bytearray(10 ** 6))\n    except MemoryError:\n        hoard.clear()\n"
                    "raise MemoryError", "memory"),
    "cpu-loop": ("while True:\n    pass", "timeout"),
}


def bomb_workflow(name: str, source: str) -> str:
    program = json.dumps("import os, time\n" + source)
    return f"""\
loom: 1
name: {name}
triggers:
  - {{type: webhook}}
steps:
  - id: bomb
    type: code
    timeout: 4s
    source: {program}
"""


@pytest.fixture(autouse=True)
def sandboxed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SANDBOX_VARIABLE, raising=False)  # before the app builds its services


def test_health_answers_within_a_second_while_code_steps_bomb(loom: Loom, api_key: str, live: LiveServer):
    assert isinstance(loom.services.sandbox, Bubblewrap)
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=10) as http:
        for name, (source, _) in BOMBS.items():
            saved = http.put(f"/api/v1/workflows/{name}", content=bomb_workflow(name, source),
                             headers={"Content-Type": "application/yaml"})
            assert saved.status_code in (200, 201), saved.text
        runs = {name: http.post(f"/api/v1/workflows/{name}/runs", json={}).json()["run_id"] for name in BOMBS}
        wait_for(lambda: all(http.get(f"/api/v1/runs/{r}").json()["status"] == "running" for r in runs.values()))

        latencies = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert http.get("/api/v1/health").status_code == 200
            latencies.append(time.monotonic() - started)
            still_running = [http.get(f"/api/v1/runs/{r}").json()["status"] for r in runs.values()]
            assert still_running.count("running") >= 2  # the bombs are still going off
            time.sleep(0.05)

        views = {name: wait_for(lambda r=r: (v := http.get(f"/api/v1/runs/{r}").json())["status"] == "failed" and v,
                                timeout=20) for name, r in runs.items()}
    assert len(latencies) >= 10 and max(latencies) < 1.0, latencies
    for name, (_, kind) in BOMBS.items():
        assert views[name]["error"]["type"] == kind, views[name]["error"]
