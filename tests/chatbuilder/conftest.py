"""A builder per test on its own SQLite database, and a loopback model server to script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from chatbuilder import Builder
from engine.catalog import Catalog
from engine.runtime.store import SqlStore
from tests.integrations.conftest import api_key, client, loom, settings  # noqa: F401 -- the app fixtures
from tests.peers.local_server import LocalServer
from tests.peers.openai import completion

STRUCTURED_MODEL = "openai/gpt-4o-mini"  # LiteLLM knows it takes a JSON-schema response_format
PLAIN_MODEL = "openai/loom-scripted"  # unknown to LiteLLM: asked for a ```yaml block


@pytest.fixture
def db(loom_home: Path) -> Engine:
    loom_home.mkdir(parents=True, exist_ok=True)
    store = SqlStore(f"sqlite:///{loom_home / 'loom.db'}")  # the server's SQLite settings, foreign keys on
    yield store.engine
    store.close()


@pytest.fixture
def offline_builder(db: Engine) -> Builder:
    return Builder(db, catalog=Catalog(db, files=None))


@pytest.fixture
def model_env(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_API_BASE", raising=False)
    return server


def make_builder(db: Engine, server: LocalServer, model: str = STRUCTURED_MODEL, **options) -> Builder:
    return Builder(db, catalog=Catalog(db, files=None), model=model, api_base=server.url + "/v1", **options)


def answer(reply: str, yaml: str, *, structured: bool = True):
    """The model's answer as the scripted server sends it."""
    if structured:
        return completion(json.dumps({"reply": reply, "yaml": yaml}))
    return completion(f"{reply}\n\n```yaml\n{yaml}```\n")


def sent_messages(server: LocalServer, index: int) -> list[dict]:
    return server.requests[index].json()["messages"]
