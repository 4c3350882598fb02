"""Fixtures shared by every test: each test gets its own LOOM_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.peers.local_server import LocalServer, serve

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def loom_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "loom-home"
    monkeypatch.setenv("LOOM_HOME", str(home))
    monkeypatch.delenv("LOOM_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # MLflow sets it whenever a test traces
    return home


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A scripted HTTP peer on loopback (see `tests/peers/local_server.py`)."""
    with serve() as peer:
        yield peer
