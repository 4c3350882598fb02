"""The "Test" action of a `sql` connection, against an SQLite file, PostgreSQL and MariaDB:
one `SELECT 1` through the engine and guards the steps use, answered in one line or refused
with the reason, and never with the password."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from engine.connections import Connection, ConnectionCheckFailed, check
from engine.connectors import sql
from tests.peers.databases import KINDS, PASSWORD, Database, database


@pytest.fixture(autouse=True)
def _engines() -> Iterator[None]:
    yield
    sql.close()


@pytest.fixture(params=KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database(request.param, tmp_path) as opened:
        yield opened


def connection(url: str) -> Connection:
    return Connection.parse("app", "sql", {"url": url})


async def test_a_reachable_database_answers_and_the_line_names_it_without_a_password(db: Database):
    url = make_url(db.url)
    if db.kind == "postgresql":  # trust auth: any password is accepted, so one can be shown to be hidden
        url = url.set(password=PASSWORD)
    answer = await check(connection(url.render_as_string(hide_password=False)))
    assert answer == f"connected to {make_url(db.url).set(password=None).render_as_string()}: SELECT 1 answered"
    assert PASSWORD not in answer


async def test_a_refused_connection_fails_with_the_reason_and_without_the_password(db: Database):
    with pytest.raises(ConnectionCheckFailed) as caught:
        await check(connection(db.broken_url()))
    reason = str(caught.value)
    assert PASSWORD not in reason
    expected = {"sqlite": "unable to open database file", "postgresql": 'role "loom_nobody" does not exist',
                "mariadb": "Access denied"}
    assert expected[db.kind] in reason


async def test_a_server_that_is_not_listening_fails_the_check():
    with pytest.raises(ConnectionCheckFailed, match=re.escape("could not reach postgresql+psycopg://app@127.0.0.1:1/x")):
        await check(connection(f"postgresql+psycopg://app:{PASSWORD}@127.0.0.1:1/x"))


async def test_a_url_for_a_driver_that_is_not_installed_fails_the_check():
    with pytest.raises(ConnectionCheckFailed, match=re.escape("no database driver for 'mysql+mysqldb' is installed")):
        await check(connection(f"mysql+mysqldb://root:{PASSWORD}@127.0.0.1/test"))


async def test_a_connection_of_another_kind_is_not_checked_as_sql():
    smtp = Connection.parse("mail", "smtp", {"host": "127.0.0.1", "from": "loom@example.org"})
    with pytest.raises(ConnectionCheckFailed, match="'mail' is a smtp connection, not sql"):
        await sql.check(smtp)
