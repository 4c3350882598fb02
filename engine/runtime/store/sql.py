"""A store in a SQL database: a SQLite file under LOOM_HOME by default, any SQLAlchemy URL otherwise.

The engine is synchronous on purpose. Every call is one short transaction (a row or two),
which SQLite in WAL mode with `synchronous=NORMAL` commits in well under a millisecond:
handing it to a thread or an async driver (aiosqlite runs one thread per connection anyway)
would cost more than the blocking it avoids, and would add a dependency. PostgreSQL calls
are equally short on a local or nearby server.

The schema is created and kept current by Alembic (`migrations/`), run on first use.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, create_engine, event, func, select, update
from sqlalchemy.engine import make_url

from ..result import RunResult, StepRecord
from .base import RunRecord, iso_bound
from .tables import memories, runs, steps

_SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000", "foreign_keys=ON")
_UNFINISHED = ("running", "queued")


def default_url() -> str:
    """`sqlite:///$LOOM_HOME/loom.db` (LOOM_HOME defaults to `./.loom`); the folder is created."""
    home = Path(os.environ.get("LOOM_HOME") or ".loom")
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'loom.db'}"


# Built once, executed with parameters: building a statement per call costs more than running it.
_MARK_RUNNING = update(runs).where(runs.c.run_id == bindparam("id")).values(status="running")
_CLAIM_WAITING = (update(runs).where(runs.c.run_id == bindparam("id"), runs.c.status == "waiting")
                  .values(status="running"))
_FINISH = (update(runs).where(runs.c.run_id == bindparam("id"))
           .values(status=bindparam("p_status"), outputs=bindparam("p_outputs", type_=runs.c.outputs.type),
                   error=bindparam("p_error", type_=runs.c.error.type),
                   replies=bindparam("p_replies", type_=runs.c.replies.type),
                   usage=bindparam("p_usage", type_=runs.c.usage.type),
                   finished_at=func.coalesce(bindparam("p_finished_at", type_=runs.c.finished_at.type),
                                             runs.c.finished_at)))


class SqlStore:
    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.engine = engine or create_store_engine(url or default_url())
        self._migrated = False

    # ---- runs ---------------------------------------------------------------------------

    async def create_run(self, record: RunRecord) -> None:
        row = _run_row(record)
        with self._begin() as conn:
            _upsert(conn, runs, row, ("run_id",))

    async def mark_running(self, run_id: str) -> None:
        with self._begin() as conn:
            conn.execute(_MARK_RUNNING, {"id": run_id})

    async def claim_waiting(self, run_id: str) -> bool:
        """Take a waiting run to continue it: True for exactly one caller, whichever process
        (an approval's answer and its timeout may race)."""
        with self._begin() as conn:
            return conn.execute(_CLAIM_WAITING, {"id": run_id}).rowcount == 1

    async def finish_run(self, run_id: str, result: RunResult) -> None:
        usage = result.usage
        values: dict[str, Any] = {
            "id": run_id, "p_status": result.status, "p_outputs": result.outputs, "p_error": result.error,
            "p_replies": list(result.replies),
            "p_usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                      "cost_usd": usage.cost_usd},
            "p_finished_at": None if result.status == "waiting" else _now().isoformat(),
        }
        with self._begin() as conn:
            conn.execute(_FINISH, values)

    async def get_run(self, run_id: str) -> RunRecord | None:
        with self._begin() as conn:
            row = conn.execute(select(runs).where(runs.c.run_id == run_id)).mappings().first()
        return None if row is None else _run_record(row)

    async def list_runs(self, *, status: str | None = None, workflow: str | None = None,
                        limit: int = 100, offset: int = 0, since: datetime | None = None,
                        until: datetime | None = None) -> list[RunRecord]:
        """Newest first; `since` (inclusive) and `until` (exclusive) bound `started_at`."""
        query = _runs_where(select(runs), status, workflow, since, until)
        query = query.order_by(runs.c.started_at.desc(), runs.c.run_id).limit(limit).offset(offset)
        with self._begin() as conn:
            return [_run_record(row) for row in conn.execute(query).mappings()]

    async def count_runs(self, *, status: str | None = None, workflow: str | None = None,
                         since: datetime | None = None, until: datetime | None = None) -> int:
        query = _runs_where(select(func.count()).select_from(runs), status, workflow, since, until)
        with self._begin() as conn:
            return conn.execute(query).scalar_one()

    async def interrupted_runs(self) -> list[str]:
        """Runs that a process was executing (or about to) when it stopped: resume these at start-up."""
        query = select(runs.c.run_id).where(runs.c.status.in_(_UNFINISHED)).order_by(runs.c.started_at)
        with self._begin() as conn:
            return list(conn.execute(query).scalars())

    # ---- the step journal ---------------------------------------------------------------

    async def save_step(self, run_id: str, record: StepRecord) -> None:
        row = {"run_id": run_id, **_fields(record), "updated_at": _now()}
        with self._begin() as conn:
            _upsert(conn, steps, row, ("run_id", "key"))

    async def journal(self, run_id: str) -> dict[str, StepRecord]:
        query = (select(steps).where(steps.c.run_id == run_id)
                 .order_by(steps.c.updated_at, steps.c.key))
        with self._begin() as conn:
            rows = conn.execute(query).mappings().all()
        return {row["key"]: _step_record(row) for row in rows}

    # ---- conversation memory ------------------------------------------------------------

    async def append_memory(self, key: str, messages: list[dict[str, str]]) -> None:
        if not messages:
            return
        now = _now()
        rows = [{"key": key, "role": m["role"], "content": m["content"], "created_at": now} for m in messages]
        with self._begin() as conn:
            conn.execute(memories.insert(), rows)

    async def memory(self, key: str, window: int) -> list[dict[str, str]]:
        query = select(memories.c.role, memories.c.content).where(memories.c.key == key)
        with self._begin() as conn:
            if window > 0:
                rows = conn.execute(query.order_by(memories.c.id.desc()).limit(window)).all()[::-1]
            else:  # what the in-memory store's `[-window:]` gives for 0 (all) and below
                rows = conn.execute(query.order_by(memories.c.id)).all()[-window:]
        return [{"role": role, "content": content} for role, content in rows]

    # ---- plumbing -----------------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def _begin(self):
        if not self._migrated:
            from .migrations import upgrade

            upgrade(self.engine)
            self._migrated = True
        return self.engine.begin()


def create_store_engine(url: str) -> Engine:
    """An engine for `url` as the store uses it: psycopg 3 for PostgreSQL; WAL and a busy timeout for SQLite."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":  # SQLAlchemy would pick psycopg2; the project uses psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


@functools.cache
def _upsert_statement(dialect: str, table: Any, keys: tuple[str, ...]) -> Any:
    """One statement per table, built once and executed with parameters: the journal's hot path."""
    from sqlalchemy.dialects import postgresql, sqlite

    statement: Any = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)
    changes = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    return statement.on_conflict_do_update(index_elements=keys, set_=changes)


def _upsert(conn: Connection, table: Any, row: Mapping[str, Any], keys: Iterable[str]) -> None:
    keys = tuple(keys)
    changes = {k: v for k, v in row.items() if k not in keys}
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        conn.execute(_upsert_statement(dialect, table, keys), dict(row))
        return
    where = [table.c[k] == row[k] for k in keys]
    if conn.execute(update(table).where(*where).values(**changes)).rowcount == 0:
        conn.execute(table.insert().values(**row))


def _runs_where(query: Any, status: str | None, workflow: str | None, since: datetime | None,
                until: datetime | None) -> Any:
    if status is not None:
        query = query.where(runs.c.status == status)
    if workflow is not None:
        query = query.where(runs.c.workflow == workflow)
    if since is not None:
        query = query.where(runs.c.started_at >= iso_bound(since))
    if until is not None:
        query = query.where(runs.c.started_at < iso_bound(until))
    return query


def _run_row(record: RunRecord) -> dict[str, Any]:
    return _fields(record)


def _fields(record: Any) -> dict[str, Any]:
    """A record's fields as a row, without `dataclasses.asdict`'s deep copy (the journal's hot path)."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def _run_record(row: Mapping[str, Any]) -> RunRecord:
    return RunRecord(**{f.name: row[f.name] for f in dataclasses.fields(RunRecord)})


def _step_record(row: Mapping[str, Any]) -> StepRecord:
    return StepRecord(**{f.name: row[f.name] for f in dataclasses.fields(StepRecord)})


def utc(moment: datetime | None) -> datetime | None:
    """A timestamp read back from a `DateTime(timezone=True)` column, in UTC: SQLite hands it
    back without its zone, and every timestamp the project writes is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


__all__ = ["SqlStore", "create_store_engine", "default_url", "utc"]
