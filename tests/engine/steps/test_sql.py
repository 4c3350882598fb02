"""`sql` steps on real databases: the same workflows on an SQLite file, PostgreSQL and MariaDB
(`tests/peers/databases.py`), each test on tables of its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.connections import Connection
from engine.connectors import sql
from engine.connectors.sql_values import jsonable
from engine.steps.sql import PLACEHOLDER
from tests.peers.databases import KINDS, PASSWORD, SLOW, Database, database

PEOPLE = "id INTEGER PRIMARY KEY, name VARCHAR(40), score INTEGER"


@pytest.fixture(autouse=True)
def _engines() -> Iterator[None]:
    yield
    sql.close()  # the step's cached engines hold connections to this test's database


@pytest.fixture(params=KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture
def people(db: Database) -> str:
    table = db.table(PEOPLE)
    db.execute(f"INSERT INTO {table} (id, name, score) VALUES (1, 'Ada', 91), (2, 'Grace', 78), (3, 'Linus', 85)")
    return table


def workflow(step: str, outputs: str = "result: ${{ steps.q.output }}") -> engine.Workflow:
    body = "\n".join("    " + line for line in step.strip().splitlines())
    return engine.loads(f"""
loom: 1
name: sql-test
inputs:
  value: {{type: string, default: ""}}
steps:
  - id: first
    type: set
    values: {{ready: true}}
  - id: q
    type: sql
{body}
outputs:
  {outputs}
""")


async def run(wf: engine.Workflow, url: str | None = None, *, secrets: dict[str, str] | None = None,
              connection: Connection | None = None, **inputs: Any):
    if connection is None and url is not None:
        connection = Connection.parse("DB", "sql", {"url": url})
    services = engine.Services(store=engine.MemoryStore(), secrets=secrets or {},
                               connections={"DB": connection} if connection else {})
    return await engine.run(wf, inputs, services=services)


def failed(result, kind: str) -> str:
    assert result.status == "failed", result.outputs
    assert result.error["type"] == kind, result.error
    return result.error["message"]


# ---- reading ----------------------------------------------------------------------------------


async def test_a_read_binds_its_params_and_returns_rows_as_maps(db: Database, people: str):
    wf = workflow(f"""
connection: DB
query: SELECT name, score FROM {people} WHERE score > :min ORDER BY score DESC
params: {{min: "${{{{ 80 }}}}"}}
""")
    result = await run(wf, db.url)
    assert result.status == "succeeded", result.error
    assert result.outputs["result"] == {"rows": [{"name": "Ada", "score": 91}, {"name": "Linus", "score": 85}],
                                        "rowcount": 2, "truncated": False}


async def test_a_param_holding_sql_is_only_a_value(db: Database, people: str):
    for attack in ("' OR '1'='1", f"x'; DROP TABLE {people}; --", "Ada' --"):
        wf = workflow(f"""
connection: DB
query: SELECT name FROM {people} WHERE name = :name
params: {{name: "${{{{ inputs.value }}}}"}}
""")
        result = await run(wf, db.url, value=attack)
        assert result.status == "succeeded", result.error
        assert result.outputs["result"]["rows"] == []
    assert db.rows(f"SELECT count(*) FROM {people}") == [(3,)]


async def test_rows_past_max_rows_are_cut_and_the_output_says_so(db: Database, people: str):
    query = f"query: SELECT id FROM {people} ORDER BY id"
    capped = await run(workflow(f"connection: DB\n{query}\nmax_rows: 2"), db.url)
    exact = await run(workflow(f"connection: DB\n{query}\nmax_rows: 3"), db.url)
    assert capped.outputs["result"] == {"rows": [{"id": 1}, {"id": 2}], "rowcount": 2, "truncated": True}
    assert exact.outputs["result"] == {"rows": [{"id": 1}, {"id": 2}, {"id": 3}], "rowcount": 3,
                                       "truncated": False}


async def test_decimals_dates_and_nulls_become_json(db: Database):
    table = db.table("id INTEGER, amount NUMERIC(10, 2), day DATE, note VARCHAR(20)")
    db.execute(f"INSERT INTO {table} VALUES (1, 12.30, '2024-01-02', NULL), (2, 7, '2024-02-29', 'x')")
    result = await run(workflow(f"connection: DB\nquery: SELECT amount, day, note FROM {table} ORDER BY id"), db.url)
    assert result.outputs["result"]["rows"] == [{"amount": 12.3, "day": "2024-01-02", "note": None},
                                                {"amount": 7, "day": "2024-02-29", "note": "x"}]


async def test_a_list_or_map_param_is_bound_as_json_text(db: Database):
    wf = workflow("""
connection: DB
query: SELECT :tags AS tags, :owner AS owner
params: {tags: ["${{ inputs.value }}", b], owner: {name: Ada}}
""")
    result = await run(wf, db.url, value="a")
    assert result.outputs["result"]["rows"] == [{"tags": '["a", "b"]', "owner": '{"name": "Ada"}'}]


async def test_a_placeholder_without_params_fails_naming_it(db: Database):
    message = failed(await run(workflow("connection: DB\nquery: SELECT :missing AS x"), db.url), "sql")
    assert message == "the query uses :missing, which `params` does not give"


async def test_two_columns_of_one_name_are_refused(db: Database):
    message = failed(await run(workflow("connection: DB\nquery: SELECT 1 AS a, 2 AS a"), db.url), "sql")
    assert "more than one column named a" in message


async def test_sql_the_database_refuses_is_kind_sql(db: Database, people: str):
    message = failed(await run(workflow(f"connection: DB\nquery: SELECT nope FROM {people}"), db.url), "sql")
    assert "nope" in message and "refused the statement" in message


# ---- writing ----------------------------------------------------------------------------------


async def test_a_write_step_commits_and_returns_what_returning_gives(db: Database, people: str):
    wf = workflow(f"""
connection: DB
mode: write
query: INSERT INTO {people} (id, name, score) VALUES (:id, :name, 60) RETURNING id
params: {{id: 4, name: "${{{{ inputs.value }}}}"}}
""")
    result = await run(wf, db.url, value="Barbara'); DROP TABLE people; --")
    assert result.status == "succeeded", result.error
    assert result.outputs["result"] == {"rows": [{"id": 4}], "rowcount": 1, "truncated": False}
    assert db.rows(f"SELECT name FROM {people} WHERE id = 4") == [("Barbara'); DROP TABLE people; --",)]


async def test_an_update_reports_the_rows_it_changed(db: Database, people: str):
    wf = workflow(f"connection: DB\nmode: write\nquery: UPDATE {people} SET score = score + 1 WHERE score > 80")
    result = await run(wf, db.url)
    assert result.outputs["result"] == {"rows": [], "rowcount": 2, "truncated": False}
    assert db.rows(f"SELECT score FROM {people} ORDER BY id") == [(92,), (78,), (86,)]


@pytest.mark.parametrize("statement", ["INSERT INTO {t} (id, name, score) VALUES (9, 'Eve', 1)",
                                       "UPDATE {t} SET score = 0", "DELETE FROM {t}", "DROP TABLE {t}",
                                       "CREATE TABLE {t}_copy (id INTEGER)"])
async def test_a_read_step_cannot_change_anything_and_says_to_add_mode_write(db: Database, people: str,
                                                                             statement: str):
    result = await run(workflow(f"connection: DB\nquery: {statement.format(t=people)}"), db.url)
    assert "add `mode: write` to the step" in failed(result, "sql")
    assert db.rows(f"SELECT id, name, score FROM {people} ORDER BY id") == [(1, "Ada", 91), (2, "Grace", 78),
                                                                              (3, "Linus", 85)]
    assert not db.exists(f"{people}_copy")


# ---- limits and failures ----------------------------------------------------------------------


async def test_the_step_timeout_stops_the_statement_without_blocking_the_loop(db: Database):
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    counting = asyncio.create_task(ticker())
    started = time.perf_counter()
    result = await run(workflow(f"connection: DB\ntimeout: 1s\nquery: {SLOW[db.kind]}"), db.url)
    elapsed = time.perf_counter() - started
    counting.cancel()
    assert "past the step's timeout of 1s" in failed(result, "timeout")
    assert elapsed < 3, f"the statement ran {elapsed:.1f}s"
    assert ticks > 30, "the event loop was blocked while the statement ran"


async def test_a_bad_url_fails_without_showing_its_password(db: Database):
    result = await run(workflow("connection: DB\nquery: SELECT 1"), db.broken_url())
    message = failed(result, "sql")
    assert PASSWORD not in message and PASSWORD not in str(result.to_dict())


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
async def test_a_server_that_is_not_listening_is_transient(kind: str, tmp_path: Path):
    with database(kind, tmp_path) as db:
        from sqlalchemy.engine import make_url

        url = make_url(db.url).set(port=1, password=PASSWORD).render_as_string(hide_password=False)
        message = failed(await run(workflow("connection: DB\nquery: SELECT 1"), url), "transient")
    assert "could not reach" in message and PASSWORD not in message


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
async def test_a_connection_lost_mid_statement_is_transient(kind: str, tmp_path: Path):
    kill = {"postgresql": "SELECT pg_terminate_backend(pg_backend_pid())", "mariadb": "KILL CONNECTION_ID()"}
    with database(kind, tmp_path) as db:
        failed(await run(workflow(f"connection: DB\nquery: {kill[kind]}"), db.url), "transient")
        again = await run(workflow("connection: DB\nquery: SELECT 1 AS one"), db.url)
    assert again.outputs["result"]["rows"] == [{"one": 1}], "the pool replaced the lost connection"


# ---- where the URL comes from -----------------------------------------------------------------


async def test_a_secret_holding_the_url_stands_in_for_a_connection(db: Database, people: str):
    wf = workflow(f"connection: CRM_DB\nquery: SELECT count(*) AS n FROM {people}")
    result = await run(wf, secrets={"CRM_DB": db.url})
    assert result.status == "succeeded", result.error
    assert result.outputs["result"]["rows"] == [{"n": 3}]


async def test_a_secret_that_is_no_database_url_is_refused_without_echoing_it():
    wf = workflow("connection: CRM_DB\nquery: SELECT 1")
    result = await run(wf, secrets={"CRM_DB": f"not a url {PASSWORD}"})
    message = failed(result, "missing")
    assert "secret 'CRM_DB' does not hold a database URL" in message and PASSWORD not in message


async def test_a_missing_connection_fails_the_run_before_its_first_step():
    result = await run(workflow("connection: CRM_DB\nquery: SELECT 1"))
    message = failed(result, "missing")
    assert "sql connection 'CRM_DB' (used by step 'q') is not configured" in message
    assert "loom connections add CRM_DB --kind sql" in message
    assert result.steps == [], "no step ran"


async def test_a_connection_of_another_kind_fails_the_run_before_its_first_step():
    smtp = Connection.parse("DB", "smtp", {"host": "127.0.0.1", "from": "loom@example.org"})
    result = await run(workflow("connection: DB\nquery: SELECT 1"), connection=smtp)
    assert "is a smtp connection, not sql" in failed(result, "missing")
    assert result.steps == []


# ---- loading ----------------------------------------------------------------------------------


def test_a_placeholder_without_a_param_is_an_error_when_the_workflow_loads():
    with pytest.raises(engine.ValidationError) as caught:
        workflow("connection: DB\nquery: SELECT * FROM t WHERE a = :a AND b = :b\nparams: {a: 1}")
    assert "`query` uses :b, which `params` does not give" in str(caught.value)


@pytest.mark.parametrize("field", ["max_rows: 0", "max_rows: 100001", "mode: append"])
def test_mode_and_max_rows_are_checked_when_the_workflow_loads(field: str):
    with pytest.raises(engine.ValidationError):
        workflow(f"connection: DB\nquery: SELECT 1\n{field}")


@pytest.mark.parametrize("query", ["SELECT :a, :b_2 FROM t WHERE x::text = :c", "SELECT '10:30', \\:d, :e:",
                                   "SELECT :ünï"])
def test_placeholders_are_found_as_sqlalchemy_finds_them(query: str):
    from sqlalchemy import text

    assert set(PLACEHOLDER.findall(query)) == set(text(query).compile().params)


# ---- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("12.30"), 12.3),
    (Decimal("1234"), 1234),
    (Decimal("12345678901234567890.0123456789"), "12345678901234567890.0123456789"),
    (Decimal("NaN"), "NaN"),
    (float("inf"), "inf"),
    (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05+00:00"),
    (date(2024, 1, 2), "2024-01-02"),
    (timedelta(minutes=1, seconds=30), 90.0),
    (b"\x00\xffloom", "AP9sb29t"),
    ([Decimal("1.5"), None], [1.5, None]),
    ({"a": date(2024, 1, 2)}, {"a": "2024-01-02"}),
])
def test_values_become_json_as_documented(value: Any, expected: Any):
    assert jsonable(value) == expected
