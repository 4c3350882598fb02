"""The run stores behave alike: MemoryStore, SqlStore on a SQLite file, SqlStore on PostgreSQL.

PostgreSQL is the server at LOOM_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test);
each test gets a schema of its own, dropped afterwards. Those tests are skipped only when the
server cannot be reached, and the reason is printed.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

import engine
from engine.runtime.result import RunResult, StepRecord, Usage
from engine.runtime.store import MemoryStore, RunRecord, SqlStore, default_store, migrations
from engine.runtime.store.tables import metadata

POSTGRES_URL = os.environ.get("LOOM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
Opener = Callable[[], object]


# ---- where the stores live ----------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Engine]:
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        reason = f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc.orig}"
        print(reason)
        pytest.skip(reason)
    yield admin
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_server: Engine) -> Iterator[str]:
    """A URL whose connections see only a fresh schema of their own."""
    schema = f"loom_test_{uuid.uuid4().hex[:12]}"
    with postgres_server.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with postgres_server.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the store; a second call opens the same database again, as a restarted process would."""
    opened: list[SqlStore] = []
    if request.param == "memory":
        memory = MemoryStore()
        yield lambda: memory
        return
    url = f"sqlite:///{tmp_path / 'loom.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")

    def open_sql() -> SqlStore:
        opened.append(SqlStore(url))
        return opened[-1]

    yield open_sql
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Opener):
    return open_store()


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'loom.db'}"
    return request.getfixturevalue("postgres_url")


def record(run_id: str = "r1", **fields) -> RunRecord:
    values = {"workflow": "digest", "status": "queued", "inputs": {"url": "https://example.org", "n": [1, 2]},
              "trigger": {"channel": "telegram", "user": "ada", "chat_id": 7, "text": "/digest x"},
              "source": "loom: 1\nname: digest\n", "started_at": "2026-01-01T10:00:00+00:00", **fields}
    return RunRecord(run_id, **values)


def step(key: str = "fetch", **fields) -> StepRecord:
    values = {"step_id": key.rsplit("/", 1)[-1], "type": "http", "status": "succeeded",
              "output": {"status": 200, "json": {"a": [1, None, "x"]}}, **fields}
    return StepRecord(key, **values)


# ---- the shared behaviour -------------------------------------------------------------------

async def test_a_run_reads_back_as_it_was_created(store):
    created = record(parent_run_id="p0")
    await store.create_run(created)
    assert await store.get_run("r1") == created
    assert await store.get_run("nope") is None


async def test_create_run_again_replaces_the_record(store):
    await store.create_run(record(status="queued"))
    await store.create_run(record(status="running", workflow="other"))
    again = await store.get_run("r1")
    assert (again.status, again.workflow) == ("running", "other")


async def test_mark_running_and_unknown_runs(store):
    await store.create_run(record())
    await store.mark_running("r1")
    await store.mark_running("nope")
    assert (await store.get_run("r1")).status == "running"


async def test_finish_run_keeps_the_result(store):
    await store.create_run(record())
    result = RunResult("r1", "digest", "failed", outputs={"summary": "s"}, error={"message": "m", "type": "x",
                       "step": "fetch"}, replies=["one", "two"], usage=Usage(3, 4, 0.25))
    await store.finish_run("r1", result)
    await store.finish_run("nope", result)
    done = await store.get_run("r1")
    assert (done.status, done.outputs, done.error, done.replies) == ("failed", {"summary": "s"}, result.error,
                                                                    ["one", "two"])
    assert done.usage == {"input_tokens": 3, "output_tokens": 4, "cost_usd": 0.25}
    assert done.finished_at is not None


async def test_a_waiting_run_has_not_finished(store):
    await store.create_run(record())
    await store.finish_run("r1", RunResult("r1", "digest", "waiting"))
    waiting = await store.get_run("r1")
    assert (waiting.status, waiting.finished_at, waiting.error) == ("waiting", None, None)


async def test_save_step_is_an_upsert(store):
    await store.create_run(record())
    await store.save_step("r1", step("ask", type="approval", status="waiting", output={"message": "ok?"}))
    await store.save_step("r1", step("each[0]/fetch", error={"message": "late", "type": "timeout"}, attempts=3,
                                     duration_ms=12.5, usage={"input_tokens": 1, "output_tokens": 2}, cost_usd=0.5))
    await store.save_step("r1", step("ask", type="approval", output={"approved": True}))
    journal = await store.journal("r1")
    assert set(journal) == {"ask", "each[0]/fetch"}
    assert journal["ask"] == step("ask", type="approval", output={"approved": True})
    assert journal["each[0]/fetch"] == step("each[0]/fetch", error={"message": "late", "type": "timeout"},
                                            attempts=3, duration_ms=12.5,
                                            usage={"input_tokens": 1, "output_tokens": 2}, cost_usd=0.5)
    assert await store.journal("nope") == {}


async def test_null_and_scalar_outputs_survive(store):
    await store.create_run(record())
    for key, output in (("a", None), ("b", 0), ("c", "text"), ("d", [1, "2"]), ("e", False)):
        await store.save_step("r1", step(key, output=output))
    journal = await store.journal("r1")
    assert [journal[k].output for k in "abcde"] == [None, 0, "text", [1, "2"], False]


async def test_list_runs_newest_first_with_filters(store):
    for i, (workflow, status) in enumerate([("a", "succeeded"), ("b", "failed"), ("a", "failed"), ("a", "running")]):
        await store.create_run(record(f"r{i}", workflow=workflow, status=status,
                                      started_at=f"2026-01-0{i + 1}T00:00:00+00:00"))
    ids = lambda runs: [r.run_id for r in runs]  # noqa: E731
    assert ids(await store.list_runs()) == ["r3", "r2", "r1", "r0"]
    assert ids(await store.list_runs(status="failed")) == ["r2", "r1"]
    assert ids(await store.list_runs(workflow="a")) == ["r3", "r2", "r0"]
    assert ids(await store.list_runs(workflow="a", status="failed")) == ["r2"]
    assert ids(await store.list_runs(limit=2)) == ["r3", "r2"]
    assert await store.list_runs(workflow="zzz") == []


async def test_memory_keeps_a_window_per_key(store):
    assert await store.memory("chat:1", 10) == []
    await store.append_memory("chat:1", [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])
    await store.append_memory("chat:2", [{"role": "user", "content": "other"}])
    await store.append_memory("chat:1", [{"role": "user", "content": "again"}])
    await store.append_memory("chat:1", [])
    assert await store.memory("chat:1", 2) == [{"role": "assistant", "content": "yo"},
                                               {"role": "user", "content": "again"}]
    assert [m["content"] for m in await store.memory("chat:1", 10)] == ["hi", "yo", "again"]
    assert [m["content"] for m in await store.memory("chat:1", 0)] == ["hi", "yo", "again"]
    assert await store.memory("chat:2", 5) == [{"role": "user", "content": "other"}]


async def test_everything_survives_a_restart(open_store):
    first = open_store()
    await first.create_run(record())
    await first.save_step("r1", step())
    await first.append_memory("k", [{"role": "user", "content": "remember"}])
    again = open_store()
    assert await again.get_run("r1") == record()
    assert await again.journal("r1") == {"fetch": step()}
    assert await again.memory("k", 5) == [{"role": "user", "content": "remember"}]


WORKFLOW = """
loom: 1
name: doubler
inputs:
  n: {type: integer}
steps:
  - {id: double, type: set, values: {v: "${{ inputs.n * 2 }}"}}
  - id: each
    type: for_each
    items: ${{ [1, 2] }}
    steps:
      - {id: add, type: set, values: {v: "${{ item + steps.double.output.v }}"}}
  - {id: say, type: reply, text: "got ${{ steps.double.output.v }}"}
outputs:
  v: ${{ steps.double.output.v }}
  each: ${{ steps.each.output }}
"""


async def test_a_real_run_is_journaled(store):
    result = await engine.run(engine.loads(WORKFLOW), {"n": 21}, store=store)
    assert result.succeeded
    saved = await store.get_run(result.run_id)
    assert (saved.status, saved.workflow, saved.inputs, saved.outputs) == (
        "succeeded", "doubler", {"n": 21}, {"v": 42, "each": [{"v": 43}, {"v": 44}]})
    assert saved.replies == ["got 42"] and saved.source.strip() == WORKFLOW.strip()
    journal = await store.journal(result.run_id)
    assert {"double", "each", "say"} <= set(journal)
    assert all(r.status == "succeeded" for r in journal.values())
    assert journal["double"].output == {"v": 42}


# ---- SQL only ---------------------------------------------------------------------------

async def test_interrupted_runs_are_the_running_and_queued(sql_url):
    store = SqlStore(sql_url)
    for run_id, status in (("a", "queued"), ("b", "running"), ("c", "waiting"), ("d", "succeeded"), ("e", "failed")):
        await store.create_run(record(run_id, status=status))
    assert sorted(await store.interrupted_runs()) == ["a", "b"]
    store.close()


async def test_steps_need_their_run(sql_url):
    store = SqlStore(sql_url)
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        await store.save_step("no-such-run", step())
    store.close()


def test_migration_creates_exactly_the_tables_of_tables_py(sql_url):
    db = create_engine(make_url(sql_url).set(drivername=_driver(sql_url)))
    migrations.upgrade(db)
    with db.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert set(inspect(db).get_table_names()) == set(metadata.tables) | {"alembic_version"}
    with db.begin() as conn:
        command.downgrade(migrations.ENGINE.config(conn), "base")
    assert set(inspect(db).get_table_names()) == {"alembic_version"}
    db.dispose()


def _driver(url: str) -> str:
    name = make_url(url).drivername
    return "postgresql+psycopg" if name == "postgresql" else name


# ---- the default store --------------------------------------------------------------------

async def test_default_store_is_a_wal_sqlite_file_under_loom_home(loom_home: Path):
    store = default_store()
    assert isinstance(store, SqlStore)
    await store.create_run(record())
    assert (loom_home / "loom.db").is_file()
    with store.engine.connect() as conn:
        pragmas = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                   for p in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")}
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 5000, "foreign_keys": 1}
    store.close()
    with sqlite3.connect(loom_home / "loom.db") as raw:
        assert raw.execute("select run_id from runs").fetchall() == [("r1",)]


async def test_default_store_honours_loom_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOOM_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    store = default_store()
    await store.create_run(record())
    assert (tmp_path / "elsewhere.db").is_file()
    store.close()


def test_loom_home_defaults_to_dot_loom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LOOM_HOME")
    monkeypatch.chdir(tmp_path)
    store = default_store()
    assert make_url(str(store.engine.url)).database == ".loom/loom.db"
    assert (tmp_path / ".loom").is_dir()
    store.close()
