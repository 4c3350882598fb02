"""Alembic migrations run in code: no alembic.ini, no `alembic` command needed.

Each package that owns tables (the engine here, `integrations` and `chatbuilder` too) keeps
its own numbered, append-only `migrations/versions/` and its own version table, so the
packages evolve their schemas independently in one database. A change to a `tables.py` is
a new file in that package's `versions/`, never an edit.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData
from sqlalchemy.exc import DBAPIError

from ..migration_lock import MIGRATION_LOCK

HERE = Path(__file__).resolve().parent



class Migrations:
    """One package's migrations: `folder` holds env.py and versions/; `version_table` records the head."""

    def __init__(self, folder: Path | str, version_table: str = "alembic_version") -> None:
        self.folder = Path(folder)
        self.version_table = version_table
        self._head: str | None = None
        self._upgraded: weakref.WeakSet[Engine] = weakref.WeakSet()

    def config(self, connection: Connection | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(self.folder))
        cfg.attributes["connection"] = connection
        cfg.attributes["version_table"] = self.version_table
        return cfg

    def head(self) -> str | None:
        if self._head is None:
            self._head = ScriptDirectory.from_config(self.config()).get_current_head()
        return self._head

    def current(self, connection: Connection) -> str | None:
        return MigrationContext.configure(connection, opts={"version_table": self.version_table}
                                          ).get_current_revision()

    def upgrade(self, engine: Engine) -> None:
        """Bring the database at `engine` to the newest schema; free after the first call per engine."""
        if engine in self._upgraded:
            return
        with MIGRATION_LOCK:
            if engine not in self._upgraded:
                self._upgrade(engine)

    def _upgrade(self, engine: Engine) -> None:
        with engine.connect() as connection:
            up_to_date = self.current(connection) == self.head()
        if not up_to_date:
            try:
                with engine.begin() as connection:
                    command.upgrade(self.config(connection), "head")
            except DBAPIError:
                # Another process may have migrated the same database a moment earlier.
                with engine.connect() as connection:
                    if self.current(connection) != self.head():
                        raise
        self._upgraded.add(engine)


def run_env(metadata: MetaData) -> None:
    """The body of every package's env.py: migrate the connection handed over in the config,
    or print the SQL in offline mode (`sqlalchemy.url` set)."""
    from alembic import context

    config = context.config
    version_table = config.attributes.get("version_table", "alembic_version")
    options: dict[str, Any] = {"target_metadata": metadata, "version_table": version_table}
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
    else:
        connection = config.attributes["connection"]
        # SQLite cannot ALTER most things in place: batch mode copies the table instead.
        context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite", **options)
    with context.begin_transaction():
        context.run_migrations()


ENGINE = Migrations(HERE)
"""The engine's own tables: runs, steps, memories, saved workflows, and the vault's secrets and connections."""


def upgrade(engine: Engine) -> None:
    ENGINE.upgrade(engine)


def head() -> str | None:
    return ENGINE.head()


def current(connection: Connection) -> str | None:
    return ENGINE.current(connection)


__all__ = ["ENGINE", "MIGRATION_LOCK", "Migrations", "current", "head", "run_env", "upgrade"]
