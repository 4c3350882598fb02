"""The `sql` connection kind: run one statement for a `sql` step, and the connection's "Test" action.

    statement = Statement("SELECT name FROM leads WHERE score > :min", {"min": 80}, max_rows=100, timeout=30)
    output = await run(url, statement)
    output == {"rows": [{"name": "Ada"}], "rowcount": 1, "truncated": False}

Statements run with SQLAlchemy's ordinary (blocking) engines in a worker thread
(`asyncio.to_thread`), not with its asyncio extension: that would need a second, async driver
per database (asyncpg, aiomysql, aiosqlite) and a different URL from the one the operator wrote,
while every sync driver (psycopg, PyMySQL, sqlite3) works as configured. A thread cannot be
cancelled, so the database itself enforces the statement timeout (`sql_dialects`); the event loop
only waits a little longer than that before it gives up on an answer.

One engine per URL, with a small pool, is kept in a bounded cache (the least recently used one
is disposed when it is full); `close()` disposes them all. Values are always bound parameters
(`sqlalchemy.text` with `:name` placeholders), never formatted into the SQL. What a statement
may do, how long it may run and how many rows come back are in `sql_dialects`; how values become
JSON in `sql_values`; what a refusal means in `sql_errors`.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from sqlalchemy import Connection as SqlConnection
from sqlalchemy import CursorResult, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from ..connections import Connection, ConnectionCheckFailed, SqlConfig
from ..errors import ErrorKind, StepError
from . import sql_dialects, sql_errors
from .sql_values import bindable, jsonable

CHECK_TIMEOUT = 10.0
CONNECT_TIMEOUT = 10
GRACE = 5.0
"""Seconds the event loop waits past the statement timeout (connecting, fetching) before giving up."""
POOL = {"pool_size": 2, "max_overflow": 8, "pool_timeout": 10, "pool_recycle": 1800}


@dataclass(frozen=True, slots=True)
class Statement:
    query: str
    params: Mapping[str, Any] = field(default_factory=dict)
    _: KW_ONLY
    max_rows: int
    """Most rows returned; one more is fetched to tell whether there were more."""
    timeout: float
    """Seconds the statement may run before the database stops it."""
    write: bool = False
    """Whether the statement may change the database; a read runs in a read-only transaction."""


class Engines:
    """At most `size` engines, one per URL; the least recently used is disposed to make room."""

    def __init__(self, size: int = 16):
        self.size = size
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str) -> Engine:
        with self._lock:
            engine = self._engines.get(url)
            if engine is None:
                engine = self._engines[url] = _create(make_url(url))
            self._engines.move_to_end(url)
            evicted = self._engines.popitem(last=False)[1] if len(self._engines) > self.size else None
        if evicted is not None:
            evicted.dispose()
        return engine

    def close(self) -> None:
        with self._lock:
            engines, self._engines = list(self._engines.values()), OrderedDict()
        for engine in engines:
            engine.dispose()


ENGINES = Engines()


def close() -> None:
    """Dispose every cached engine (their pooled connections close); the next statement reconnects."""
    ENGINES.close()


async def run(url: str, statement: Statement, engines: Engines = ENGINES) -> dict[str, Any]:
    """Run `statement` on the database at `url`: `{rows, rowcount, truncated}`, or a StepError."""
    engine = _engine(engines, url)
    _check_placeholders(statement)
    try:
        async with asyncio.timeout(statement.timeout + GRACE):
            return await asyncio.to_thread(_execute, engine, statement)
    except TimeoutError:
        raise StepError(f"{sql_errors.display(engine.url)} did not answer within {statement.timeout + GRACE:g}s",
                        ErrorKind.TIMEOUT) from None


async def check(connection: Connection) -> str:
    """The "Test" action: `SELECT 1` through the same engine and guards a `sql` step uses."""
    if not isinstance(connection.config, SqlConfig):
        raise ConnectionCheckFailed(f"connection '{connection.name}' is a {connection.kind} connection, not sql")
    url = connection.config.url
    try:
        await run(url, Statement("SELECT 1", max_rows=1, timeout=CHECK_TIMEOUT))
    except StepError as exc:
        raise ConnectionCheckFailed(exc.message) from None
    return f"connected to {sql_errors.display(make_url(url))}: SELECT 1 answered"


def _check_placeholders(statement: Statement) -> None:
    missing = sorted(set(text(statement.query).compile().params) - set(statement.params))
    if missing:
        raise StepError(f"the query uses {', '.join(':' + name for name in missing)}, which `params` does not "
                        "give", ErrorKind.SQL)


def _create(url: URL) -> Engine:
    backend = url.get_backend_name()
    pool = {} if backend == "sqlite" and url.database in (None, "", ":memory:") else POOL
    connect_args = {} if backend == "sqlite" else {"connect_timeout": CONNECT_TIMEOUT}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **pool)


def _engine(engines: Engines, url: str) -> Engine:
    scheme = url.split("://", 1)[0]
    try:
        return engines.get(url)
    except (NoSuchModuleError, ImportError) as exc:
        raise StepError(f"no database driver for '{scheme}' is installed here ({exc}): use postgresql+psycopg://, "
                        "mysql+pymysql:// or sqlite:///", ErrorKind.UNSUPPORTED) from None
    except ArgumentError:  # its text repeats the URL, password and all
        raise StepError(f"'{scheme}://...' is not a database URL: write it as dialect+driver://user:password@host/"
                        "database", ErrorKind.MISSING) from None


def _execute(engine: Engine, statement: Statement) -> dict[str, Any]:
    """In the worker thread: connect, guard, run, collect; commit a write, roll a read back."""
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        raise sql_errors.step_error(exc, engine.url, statement.timeout, connecting=True) from None
    try:
        with conn, conn.begin() as transaction:
            output = _guarded_run(conn, statement)
            if not statement.write:
                transaction.rollback()
        return output
    except SQLAlchemyError as exc:
        raise sql_errors.step_error(exc, engine.url, statement.timeout) from None


def _guarded_run(conn: SqlConnection, statement: Statement) -> dict[str, Any]:
    with sql_dialects.guarded(conn, statement) as options:
        params = {name: bindable(value) for name, value in statement.params.items()}
        result = conn.execution_options(**options).execute(text(statement.query), params)
        try:
            return _collect(result, statement.max_rows)
        finally:
            result.close()  # a server-side cursor left open past the cap would hold the transaction


def _collect(result: CursorResult[Any], max_rows: int) -> dict[str, Any]:
    if not result.returns_rows:
        return {"rows": [], "rowcount": max(result.rowcount, 0), "truncated": False}
    columns = list(result.keys())
    twice = sorted({name for name in columns if columns.count(name) > 1})
    if twice:
        raise StepError(f"the query returns more than one column named {', '.join(twice)}: give each its own "
                        "name with AS", ErrorKind.SQL)
    fetched = result.fetchmany(max_rows + 1)
    rows = [{name: jsonable(value) for name, value in zip(columns, row, strict=True)} for row in fetched[:max_rows]]
    return {"rows": rows, "rowcount": len(rows), "truncated": len(fetched) > max_rows}
