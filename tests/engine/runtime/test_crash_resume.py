"""Durability: a run killed mid-way resumes from its journal, and an approval outlives a restart."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import engine
from engine.errors import LoomError
from engine.runtime import approve
from engine.runtime.events import ApprovalRequested, StepStarted
from engine.runtime.store import SqlStore

ROOT = Path(__file__).resolve().parents[3]
ALLOW = frozenset({"127.0.0.1"})

CRASHY = """
loom: 1
name: crashy
inputs:
  base: {type: string}
steps:
  - {id: first, type: http, method: POST, url: "${{ inputs.base }}/first", json: {n: 1}}
  - {id: pause, type: wait, duration: 2s}
  - {id: second, type: http, method: POST, url: "${{ inputs.base }}/second", json: {n: 2}}
  - {id: breathe, type: wait, duration: 50ms}
  - {id: third, type: http, url: "${{ inputs.base }}/third"}
outputs:
  first: ${{ steps.first.output.json }}
  second: ${{ steps.second.output.json }}
  third: ${{ steps.third.output.json }}
"""

RUN_IN_CHILD = """
import asyncio, sys
import engine
from engine.runtime.store import SqlStore

path, url, base, run_id = sys.argv[1:]
services = engine.Services(store=SqlStore(url), http_allow=frozenset({"127.0.0.1"}))
asyncio.run(engine.run(engine.load(path), {"base": base}, services=services, run_id=run_id))
"""


class Peer(ThreadingHTTPServer):
    """A loopback API that counts the requests it gets per Idempotency-Key."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self) -> Counter[str]:
        return Counter(path for path, _ in self.requests)


class _Handler(BaseHTTPRequestHandler):
    server: Peer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        key = self.headers.get("Idempotency-Key", "")
        with self.server.lock:
            self.server.counts[key] += 1
            self.server.requests.append((self.path, key))
            seen = self.server.counts[key]
        data = json.dumps({"path": self.path, "body": body, "seen": seen}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def peer() -> Iterator[Peer]:
    server = Peer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def services(store) -> engine.Services:
    return engine.Services(store=store, http_allow=ALLOW)


def wait_for_step(db: Path, run_id: str, key: str, child: subprocess.Popen, limit: float = 30.0) -> None:
    """Poll the journal the child writes until `key` has finished there."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if child.poll() is not None:
            pytest.fail(f"the run ended before it could be killed:\n{child.stderr.read().decode()}")
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                row = conn.execute("select status from steps where run_id = ? and key = ?", (run_id, key)).fetchone()
        except sqlite3.OperationalError:  # no file or no tables yet
            row = None
        if row is not None and row[0] == "succeeded":
            return
        time.sleep(0.02)
    pytest.fail(f"step '{key}' did not finish within {limit:g}s")


async def test_a_killed_run_resumes_without_repeating_finished_steps(tmp_path: Path, peer: Peer):
    path = tmp_path / "crashy.yaml"
    path.write_text(CRASHY)
    db = tmp_path / "loom.db"
    url, run_id = f"sqlite:///{db}", uuid.uuid4().hex
    child = subprocess.Popen([sys.executable, "-c", RUN_IN_CHILD, str(path), url, peer.base, run_id],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_step(db, run_id, "first", child)
        child.send_signal(signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stderr.close()
    assert peer.paths() == {"/first": 1}, "the kill should land in the wait, before the second call"

    store = SqlStore(url)
    assert (await store.get_run(run_id)).status == "running"
    assert await store.interrupted_runs() == [run_id]
    resumed = await engine.resume(run_id, services=services(store))

    assert resumed.status == "succeeded"
    first_key = next(key for p, key in peer.requests if p == "/first")
    assert peer.counts[first_key] == 1
    assert peer.paths() == {"/first": 1, "/second": 1, "/third": 1}
    assert set(peer.counts.values()) == {1}
    assert await store.interrupted_runs() == []
    assert (await store.get_run(run_id)).status == "succeeded"
    store.close()

    uninterrupted = await engine.run(engine.load(path), {"base": peer.base}, services=services(SqlStore(url)))
    assert uninterrupted.status == "succeeded"
    assert resumed.outputs == uninterrupted.outputs
    assert resumed.outputs["first"] == {"path": "/first", "body": {"n": 1}, "seen": 1}


APPROVAL = """
loom: 1
name: needs-a-yes
steps:
  - {id: draft, type: set, values: {text: hello}}
  - {id: ok, type: approval, message: "Send ${{ steps.draft.output.text }}?", approvers: [ada]}
  - {id: send, type: set, values: {sent: "${{ steps.ok.output.approved }}", by: "${{ steps.ok.output.by }}"}}
outputs:
  sent: ${{ steps.send.output.sent }}
  by: ${{ steps.send.output.by }}
"""


async def test_an_approval_waits_across_a_restart(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'loom.db'}"
    events: list = []
    before = SqlStore(url)
    waiting = await engine.run(engine.loads(APPROVAL), services=services(before), listeners=[events.append])
    assert waiting.status == "waiting"
    assert [(e.step_id, e.message, e.approvers) for e in events if isinstance(e, ApprovalRequested)] == [
        ("ok", "Send hello?", ["ada"])]
    before.close()

    after = SqlStore(url)  # a new process, as far as the run can tell
    assert (await after.get_run(waiting.run_id)).status == "waiting"
    assert (await after.journal(waiting.run_id))["ok"].status == "waiting"
    again: list = []
    still = await engine.resume(waiting.run_id, services=services(after), listeners=[again.append])
    assert still.status == "waiting"
    assert "draft" not in {e.step_id for e in again if isinstance(e, StepStarted)}

    done = await approve(waiting.run_id, services=services(after), approved=True, by="ada", comment="go")
    assert done.status == "succeeded"
    assert done.outputs == {"sent": True, "by": "ada"}
    saved = await after.get_run(waiting.run_id)
    assert (saved.status, saved.outputs) == ("succeeded", {"sent": True, "by": "ada"})
    assert saved.finished_at is not None
    with pytest.raises(LoomError, match="not waiting"):
        await approve(waiting.run_id, services=services(after), approved=True)
    after.close()


async def test_a_rejection_is_the_steps_output(tmp_path: Path):
    store = SqlStore(f"sqlite:///{tmp_path / 'loom.db'}")
    waiting = await engine.run(engine.loads(APPROVAL), services=services(store))
    done = await approve(waiting.run_id, services=services(store), approved=False, by="bob")
    assert done.outputs == {"sent": False, "by": "bob"}
    store.close()


async def test_an_unanswered_approval_times_out(tmp_path: Path):
    text = APPROVAL.replace("approvers: [ada]}", "approvers: [ada], timeout: 100ms}")
    store = SqlStore(f"sqlite:///{tmp_path / 'loom.db'}")
    waiting = await engine.run(engine.loads(text), services=services(store))
    assert waiting.status == "waiting"
    await asyncio.sleep(0.15)
    late = await engine.resume(waiting.run_id, services=services(store))
    assert late.status == "failed"
    assert late.error["type"] == "timeout" and "not answered within 100ms" in late.error["message"]
    store.close()
