"""A vault per test in a SQLite file under the test's LOOM_HOME (or a fresh PostgreSQL schema),
with its key in `$LOOM_HOME/secret.key` unless the test says otherwise."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from engine.runtime.store.sql import create_store_engine
from engine.vault import KeySource, Vault

POSTGRES_URL = os.environ.get("LOOM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
OpenVault = Callable[..., Vault]


@pytest.fixture
def db_url(loom_home: Path) -> str:
    loom_home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{loom_home / 'loom.db'}"


@pytest.fixture
def open_vault(db_url: str, loom_home: Path) -> Iterator[OpenVault]:
    """`open_vault(env_key=None)`: the vault on the test's database, as a new process would open it."""
    engines: list[Engine] = []

    def opener(env_key: str | None = None, **kwargs) -> Vault:
        engines.append(create_store_engine(db_url))
        return Vault(engines[-1], KeySource(env_key, loom_home / "secret.key"), **kwargs)

    yield opener
    for engine in engines:
        engine.dispose()


@pytest.fixture
def vault(open_vault: OpenVault) -> Vault:
    return open_vault()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections see only a fresh schema of their own; skips without a server."""
    admin = create_engine(make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc.orig}")
    schema = f"loom_vault_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
