"""Real databases for the `sql` step: an SQLite file, PostgreSQL and MariaDB on loopback.

    with database("mariadb", tmp_path) as db:
        table = db.table("id INTEGER PRIMARY KEY, name VARCHAR(40)")   # dropped afterwards
        db.url                                                         # what a connection holds

PostgreSQL is LOOM_TEST_POSTGRES_URL (default the `test` database, trust auth), MariaDB
LOOM_TEST_MARIADB_URL (default root without a password, database `test`). A server that does
not answer fails the test: `scripts/services.sh` starts both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

KINDS = ["sqlite", "postgresql", "mariadb"]
SERVERS = {
    "postgresql": os.environ.get("LOOM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("LOOM_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
DRIVERS = {"postgresql": "postgresql+psycopg", "mariadb": "mysql+pymysql"}
PASSWORD = "s3cret-Pa55word"
SLOW = {  # runs for 5 s, or (SQLite) until it is stopped
    "sqlite": "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) AS x FROM n",
    "postgresql": "SELECT pg_sleep(5) AS x",
    "mariadb": "SELECT SLEEP(5) AS x",
}


@dataclass
class Database:
    kind: str
    url: str
    admin: Engine
    tables: list[str] = field(default_factory=list)

    def table(self, columns: str) -> str:
        name = f"loom_sql_{uuid.uuid4().hex[:12]}"
        self.execute(f"CREATE TABLE {name} ({columns})")
        self.tables.append(name)
        return name

    def execute(self, sql: str, **params: Any) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(sql), params)

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.admin.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]

    def exists(self, table: str) -> bool:
        from sqlalchemy import inspect

        return inspect(self.admin).has_table(table)

    def broken_url(self) -> str:
        """A URL, with a password in it, that the database refuses or that leads nowhere."""
        if self.kind == "sqlite":
            return f"sqlite:///{Path(self.url[len('sqlite:///'):]).parent / 'missing' / 'dir' / 'db.sqlite'}"
        user = "loom_nobody" if self.kind == "postgresql" else make_url(self.url).username
        return make_url(self.url).set(username=user, password=PASSWORD).render_as_string(hide_password=False)


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'sql-step.db'}" if kind == "sqlite" else _server_url(kind)
    db = Database(kind, url, create_engine(url))
    _reachable(db)
    try:
        yield db
    finally:
        for table in db.tables:
            db.execute(f"DROP TABLE IF EXISTS {table}")
        db.admin.dispose()


def _server_url(kind: str) -> str:
    return make_url(SERVERS[kind]).set(drivername=DRIVERS[kind]).render_as_string(hide_password=False)


def _reachable(db: Database) -> None:
    try:
        with db.admin.connect():
            pass
    except OperationalError as exc:
        pytest.fail(f"{db.kind} at {db.url} does not answer ({exc.orig}): start it with scripts/services.sh")
