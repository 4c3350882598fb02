"""The escape corpus (`escapes.py`) through real `code` steps in real workflows, in bubblewrap.

The host side is set up to be worth escaping to: a LOOM_HOME with a database and a key
file, a canary secret in the engine's environment, a TCP, a UDP, a Unix and an abstract
socket listening, and a sentinel process. Every attempt must fail with its kind, and
nothing of the host may show up anywhere in the run's result or journal.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import engine
from engine.sandbox.bubblewrap import Bubblewrap
from engine.sandbox.process import interpreter

from .escapes import CORPUS, Attempt

ROOT = Path(__file__).resolve().parents[3]
CANARY_NAME = "LOOM_SECRET_ESCAPE_CANARY"


class Host:
    """What an escaping program would be after, and the sockets it would reach."""

    def __init__(self, home: Path, folder: Path) -> None:
        self.canary = "canary-" + secrets.token_hex(8)
        self.key = secrets.token_hex(16)
        self.database_secret = "db-row-" + secrets.token_hex(8)
        home.mkdir(parents=True, exist_ok=True)
        (home / "loom.db").write_bytes(b"SQLite format 3\x00" + self.database_secret.encode())
        (home / "secret.key").write_text(self.key)
        (home / "secret.key").chmod(0o600)
        self.tcp = _listening(socket.socket(socket.AF_INET, socket.SOCK_STREAM), ("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.setblocking(False)
        self.unix = _listening(socket.socket(socket.AF_UNIX), str(folder / "engine.sock"))
        self.abstract_name = f"loom-escape-{os.getpid()}-{secrets.token_hex(4)}"
        self.abstract = _listening(socket.socket(socket.AF_UNIX), "\0" + self.abstract_name)
        self.sentinel = subprocess.Popen(["sleep", "300"])
        self.context = {
            "home": str(home), "database": str(home / "loom.db"), "key_file": str(home / "secret.key"),
            "repo": str(ROOT), "venv_site": _venv_site(), "base_sites": list(interpreter().site_packages),
            "interpreter": interpreter().executable, "canary_name": CANARY_NAME,
            "engine_pid": os.getpid(), "engine_pgid": os.getpgid(0), "sentinel_pid": self.sentinel.pid,
            "tcp_port": self.tcp.getsockname()[1], "udp_port": self.udp.getsockname()[1],
            "unix_socket": str(folder / "engine.sock"), "abstract_socket": self.abstract_name,
            "host_ip": _host_address(),
        }

    def secrets(self) -> list[str]:
        return [self.canary, self.key, self.database_secret, "root:x:0:0"]

    def untouched(self) -> None:
        """No connection reached any socket, the sentinel lives, nothing was written."""
        for listener in (self.tcp, self.unix, self.abstract):
            with pytest.raises(BlockingIOError):
                listener.accept()
        with pytest.raises(BlockingIOError):
            self.udp.recv(100)
        assert self.sentinel.poll() is None
        assert not Path(self.context["home"], "pwned").exists()
        assert not Path("/usr/bin/loom-evil").exists() and not Path("/evil").exists()

    def close(self) -> None:
        self.sentinel.kill()
        self.sentinel.wait()
        for each in (self.tcp, self.udp, self.unix, self.abstract):
            each.close()


def _listening(sock: socket.socket, address) -> socket.socket:
    sock.bind(address)
    sock.listen()
    sock.setblocking(False)
    return sock


def _venv_site() -> str:
    return next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))


def _host_address() -> str:
    """This machine's address on its way out (no packet is sent), else a private one."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "10.0.0.1"


@pytest.fixture
def host(loom_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    the_host = Host(loom_home, tmp_path)
    monkeypatch.setenv(CANARY_NAME, the_host.canary)
    yield the_host
    the_host.close()


def workflow(attempt: Attempt) -> engine.Workflow:
    return engine.loads(f"""
loom: 1
name: escape-{attempt.name.replace("_", "-")}
inputs:
  ctx: {{type: object}}
steps:
  - id: attempt
    type: code
    timeout: {attempt.timeout}
    inputs: {{ctx: "${{{{ inputs.ctx }}}}"}}
    source: {json.dumps(attempt.program())}
outputs:
  loot: ${{{{ steps.attempt.output }}}}
""")


def test_the_corpus_is_large_and_named_uniquely():
    assert len(CORPUS) >= 40
    assert len({a.name for a in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("attempt", CORPUS, ids=lambda a: a.name)
async def test_no_escape(attempt: Attempt, host: Host):
    store = engine.MemoryStore()
    services = engine.Services(store=store, sandbox=Bubblewrap())  # never the opt-in, whatever the environment
    result = await engine.run(workflow(attempt), {"ctx": host.context}, services=services)

    assert result.status == "failed", f"{attempt.name} got out: {result.outputs}"
    assert result.error is not None and result.error["type"] == attempt.kind, result.error
    journal = await store.journal(result.run_id)
    records = [dataclasses.asdict(record) for record in journal.values()]
    everything = json.dumps([result.to_dict(), result.error, records], default=str)
    for secret in host.secrets():
        assert secret not in everything
    host.untouched()
