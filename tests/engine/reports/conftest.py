"""Real runs in a real store for the reports: SQLite under LOOM_HOME, or a PostgreSQL schema of their own.

PostgreSQL is the server at LOOM_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test);
its tests are skipped, with the reason printed, only when that server cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import engine
from engine.runtime.store import SqlStore
from tests.peers.local_server import Received
from tests.peers.openai import completion

POSTGRES_URL = os.environ.get("LOOM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

# What the model server answers per model: (input tokens, output tokens); gpt-3.5-turbo answers no JSON.
TOKENS = {"gpt-4o-mini": (100, 20), "gpt-4o": (200, 50), "deepseek-chat": (300, 40), "gpt-3.5-turbo": (70, 9)}


@pytest.fixture(autouse=True)
def provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("DEEPSEEK_API_KEY", "test")


def answer_by_model(request: Received):
    model = request.json()["model"]
    prompt_tokens, completion_tokens = TOKENS[model]
    content = "not json at all" if model == "gpt-3.5-turbo" else '{"summary": "fine"}'
    return completion(content, prompt_tokens, completion_tokens, model=model)


@pytest.fixture
def model_server(server):
    """The loopback OpenAI-compatible peer, answering each model with its own token counts."""
    server.handle = answer_by_model
    return server


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        opened = SqlStore(f"sqlite:///{tmp_path / 'loom.db'}")
        yield opened
        opened.close()
        return
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            schema = f"loom_reports_{uuid.uuid4().hex[:12]}"
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        reason = f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc.orig}"
        print(reason)
        pytest.skip(reason)
    opened = SqlStore(make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
                      .render_as_string(hide_password=False))
    yield opened
    opened.close()
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


async def run(store: SqlStore, source: str, inputs: dict | None = None) -> engine.RunResult:
    services = engine.Services(store=store, http_allow=frozenset({"127.0.0.1"}))
    return await engine.run(engine.loads(source), inputs or {}, services=services)
