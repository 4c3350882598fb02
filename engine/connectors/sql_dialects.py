"""How each database is told that a statement may only read and may only run so long.

A `sql` step reads unless it says `mode: write`, and its statement stops at the step's timeout.
Each database has its own switch for both, set at the start of every use of a pooled connection
(so what one step set never leaks into the next):

- PostgreSQL: `SET TRANSACTION READ ONLY` and a transaction-local `statement_timeout`. A read of a
  plain query (`SELECT`, `WITH`, `VALUES`, `TABLE`) goes through a server-side cursor, so the row cap
  also bounds what crosses the network, not only what is kept.
- MariaDB (and MySQL): `SET SESSION TRANSACTION READ ONLY` rather than `START TRANSACTION READ ONLY`,
  because DDL commits implicitly and would run outside a read-only transaction, while the session
  setting refuses it. `max_statement_time` (MySQL: `max_execution_time`, SELECTs only) bounds the
  statement and `sql_select_limit` makes the server stop a SELECT at the cap.
- SQLite: `PRAGMA query_only` on the connection, and a progress handler that aborts the statement
  once its deadline has passed (SQLite has no statement timeout of its own).

This guards against a mistake in a workflow, not against its author: a query that commits on its
own (`COMMIT; INSERT ...` where the driver allows several statements) gets past it. A database user
that may only read is the boundary to give a connection that must never write.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from ..errors import ErrorKind, StepError

if TYPE_CHECKING:
    from .sql import Statement

Guard = Callable[[Connection, "Statement"], AbstractContextManager[dict[str, Any]]]
STREAMABLE = re.compile(r"\s*\(?\s*(SELECT|WITH|VALUES|TABLE)\b", re.IGNORECASE)
PROGRESS_STEPS = 1000
"""SQLite virtual machine instructions between two looks at the clock (a few microseconds)."""


def guarded(conn: Connection, statement: Statement) -> AbstractContextManager[dict[str, Any]]:
    """Set up `conn` for `statement`; the context yields the execution options to run it with."""
    guard = GUARDS.get(conn.dialect.name)
    if guard is None:
        raise StepError(f"sql steps run on PostgreSQL, MariaDB, MySQL and SQLite, not {conn.dialect.name}",
                        ErrorKind.UNSUPPORTED)
    return guard(conn, statement)


@contextmanager
def _postgresql(conn: Connection, statement: Statement) -> Iterator[dict[str, Any]]:
    if not statement.write:
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
    conn.execute(text("SELECT set_config('statement_timeout', :timeout, true)"),
                 {"timeout": f"{_milliseconds(statement.timeout)}ms"})
    streamed = not statement.write and STREAMABLE.match(statement.query) is not None
    yield {"stream_results": True, "max_row_buffer": statement.max_rows + 1} if streamed else {}


@contextmanager
def _mysql(conn: Connection, statement: Statement) -> Iterator[dict[str, Any]]:
    conn.exec_driver_sql(f"SET SESSION TRANSACTION READ {'WRITE' if statement.write else 'ONLY'}")
    if getattr(conn.dialect, "is_mariadb", False):
        limit = "SET SESSION max_statement_time = :seconds, SESSION sql_select_limit = :rows"
    else:
        limit = "SET SESSION max_execution_time = :milliseconds, SESSION sql_select_limit = :rows"
    conn.execute(text(limit), {"seconds": statement.timeout, "milliseconds": _milliseconds(statement.timeout),
                               "rows": statement.max_rows + 1})
    yield {}


@contextmanager
def _sqlite(conn: Connection, statement: Statement) -> Iterator[dict[str, Any]]:
    conn.exec_driver_sql(f"PRAGMA query_only = {'OFF' if statement.write else 'ON'}")
    raw: Any = conn.connection.driver_connection  # the sqlite3.Connection
    deadline = time.monotonic() + statement.timeout
    raw.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
    try:
        yield {}
    finally:
        raw.set_progress_handler(None, 0)


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


GUARDS: dict[str, Guard] = {"postgresql": _postgresql, "mysql": _mysql, "mariadb": _mysql, "sqlite": _sqlite}
