"""Alembic migrations of the run store, run in code: no alembic.ini, no `alembic` command needed.

Numbered and append-only: a change to `tables.py` is a new file in `versions/`, never an edit.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

HERE = Path(__file__).resolve().parent


def config(connection: Connection | None = None) -> Config:
    """An Alembic config for these migrations; env.py runs them on `connection`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str | None:
    return ScriptDirectory.from_config(config()).get_current_head()


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database at `engine` to the newest schema; cheap when it is there already."""
    with engine.connect() as connection:
        if current(connection) == head():
            return
    try:
        with engine.begin() as connection:
            command.upgrade(config(connection), "head")
    except DBAPIError:
        # Another process may have migrated the same database a moment earlier.
        with engine.connect() as connection:
            if current(connection) != head():
                raise


__all__ = ["config", "current", "head", "upgrade"]
