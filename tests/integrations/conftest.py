"""A real server app per test: its own LOOM_HOME, SQLite database and API key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from integrations.context import Loom
from integrations.server import create_app
from integrations.settings import Settings


@pytest.fixture
def settings(loom_home: Path) -> Settings:
    return Settings(home=loom_home, tracing=False)


@pytest.fixture
def loom(settings: Settings) -> Loom:
    return Loom.open(settings)


@pytest.fixture
def api_key(loom: Loom) -> str:
    return loom.keys.create("tests")[1]


@pytest.fixture
def client(loom: Loom, api_key: str) -> Iterator[TestClient]:
    """The API without the Gradio UI, authenticated with a fresh key."""
    with TestClient(create_app(loom, ui=False), headers={"Authorization": f"Bearer {api_key}"}) as client:
        yield client
