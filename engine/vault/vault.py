"""The vault: secrets and connections, encrypted at rest in the app's database.

    vault = Vault.for_store(store)                  # the database `loom run` and the server use
    vault.set_secret("GITHUB_TOKEN", token)
    vault.add_connection(Connection.parse("crm", "sql", {"url": "postgresql+psycopg://..."}))
    Services(store, secrets=vault.secret_map(), connections=vault.connection_map())

Each row's ciphertext is one Fernet token of a JSON document that names its row too, so a token
copied onto another row is refused instead of being read as that row's value. In clear are only
the names, a connection's kind and summary (where it points, never a credential, so lists need
no key) and the timestamps. Calls are short blocking transactions, like `SqlStore`'s.

A write first makes sure the key opens what is stored (a wrong key must not add rows the rest
cannot be read with), and, holding the table's write lock, re-reads a key file that another
process rotated meanwhile, so no row is ever written with a key that is about to be dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection as DbConnection
from sqlalchemy import Engine, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..connections import Connection
from ..language.base import IDENTIFIER
from ..runtime.store.migrations import ENGINE as MIGRATIONS
from ..runtime.store.sql import utc
from ..runtime.store.tables import connections as connections_table
from ..runtime.store.tables import secrets as secrets_table
from .cache import Cache
from .cipher import Cipher
from .errors import InvalidName, NotStored, VaultError
from .keys import KeySource
from .rotation import Rotation, rotate
from .views import ConnectionMap, SecretMap

NAME = re.compile(IDENTIFIER)
MAX_VALUE_BYTES = 64 * 1024
_WHAT = {"secrets": "secret", "connections": "connection"}


@dataclass(frozen=True)
class SecretInfo:
    name: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


@dataclass(frozen=True)
class ConnectionInfo:
    name: str
    kind: str
    summary: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "kind": self.kind, "summary": self.summary,
                "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat()}


def check_name(name: str, what: str) -> str:
    """`name`, or InvalidName saying what a `what` (secret, connection) name may be."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InvalidName(f"{name!r} is not a valid {what} name: use letters, digits and underscores, starting "
                          "with a letter or an underscore, at most 63 characters")
    return name


class Vault:
    def __init__(self, engine: Engine, keys: KeySource | None = None, *, cache: Cache | None = None) -> None:
        """`keys` defaults to LOOM_SECRET_KEY, else `$LOOM_HOME/secret.key`."""
        self.engine = engine
        self.keys = keys or KeySource.from_env()
        self.cipher = Cipher(self.keys, self.is_empty)
        self.cache = cache or Cache()
        self._key_checked = False

    @classmethod
    def for_store(cls, store: object, keys: KeySource | None = None) -> Vault:
        """The vault in `store`'s database (a `SqlStore`: the default store of the CLI and the server)."""
        engine = getattr(store, "engine", None)
        if not isinstance(engine, Engine):
            raise VaultError(f"secrets and connections are kept in a SQL database; a {type(store).__name__} has none")
        return cls(engine, keys)

    # ---- secrets ------------------------------------------------------------------------

    def set_secret(self, name: str, value: str) -> None:
        """Store `value` as secret `name`, replacing any stored value."""
        check_name(name, "secret")
        if not isinstance(value, str) or not value:
            raise VaultError(f"secret '{name}' needs a value; to remove it, use `loom secrets delete {name}`")
        if len(value.encode()) > MAX_VALUE_BYTES:
            raise VaultError(f"secret '{name}' is longer than {MAX_VALUE_BYTES // 1024} KiB, the most a secret holds")
        self._write(secrets_table, name, {"name": name, "value": value}, {})

    def delete_secret(self, name: str) -> bool:
        return self._delete(secrets_table, check_name(name, "secret"))

    def secrets(self) -> list[SecretInfo]:
        """Every stored secret's name and timestamps, by name; never a value."""
        t = secrets_table
        with self.begin() as conn:
            rows = conn.execute(select(t.c.name, t.c.created_at, t.c.updated_at).order_by(t.c.name)).all()
        return [SecretInfo(name, _utc(created), _utc(updated)) for name, created, updated in rows]

    def secret(self, name: str) -> str:
        """The stored value of secret `name` (not the environment's: see `secret_map`), or NotStored."""
        check_name(name, "secret")
        return self.cache.get(("secret", name), lambda: self._read(secrets_table, name)["value"])

    def secret_names(self) -> list[str]:
        return self.cache.get("secret names", lambda: self._names(secrets_table))

    # ---- connections --------------------------------------------------------------------

    def add_connection(self, connection: Connection) -> None:
        """Store `connection`, replacing one of the same name."""
        name = check_name(connection.name, "connection")
        payload = {"name": name, "kind": connection.kind, "settings": connection.settings()}
        self._write(connections_table, name, payload, {"kind": connection.kind, "summary": connection.summary()})

    def delete_connection(self, name: str) -> bool:
        return self._delete(connections_table, check_name(name, "connection"))

    def connections_info(self) -> list[ConnectionInfo]:
        """Every stored connection's name, kind, summary and timestamps, by name; never a credential."""
        t = connections_table
        query = select(t.c.name, t.c.kind, t.c.summary, t.c.created_at, t.c.updated_at).order_by(t.c.name)
        with self.begin() as conn:
            rows = conn.execute(query).all()
        return [ConnectionInfo(name, kind, summary, _utc(created), _utc(updated))
                for name, kind, summary, created, updated in rows]

    def connection(self, name: str) -> Connection:
        """Stored connection `name`, credentials included, or NotStored."""
        check_name(name, "connection")
        return self.cache.get(("connection", name), lambda: self._load_connection(name))

    def connection_names(self) -> list[str]:
        return self.cache.get("connection names", lambda: self._names(connections_table))

    def _load_connection(self, name: str) -> Connection:
        payload = self._read(connections_table, name)
        return Connection.parse(name, payload["kind"], payload["settings"])

    # ---- views for Services, rotation ---------------------------------------------------

    def secret_map(self, environ: Mapping[str, str] | None = None) -> SecretMap:
        """`Services.secrets`: `LOOM_SECRET_<NAME>` from the environment, else the stored value."""
        return SecretMap(self, environ)

    def connection_map(self) -> ConnectionMap:
        """`Services.connections`: the stored connections, decrypted when a run asks for one."""
        return ConnectionMap(self)

    def rotate_key(self, new_key: str | None = None) -> Rotation:
        """Re-encrypt every row with a new key (`new_key`, or a generated one); see `rotation`."""
        rotation = rotate(self, new_key)
        self._key_checked = False
        self.cache.clear()
        return rotation

    def is_empty(self) -> bool:
        with self.begin() as conn:
            return _any_row(conn) is None

    def verify_key(self) -> None:
        """WrongKey or KeyUnavailable unless the key opens what is stored (an empty vault needs none):
        a server checks this at start rather than failing every run that needs a secret."""
        with self.begin() as conn:
            self._verify(conn)

    # ---- plumbing -----------------------------------------------------------------------

    def _write(self, table: Table, name: str, payload: dict[str, Any], clear: dict[str, str]) -> None:
        self._check_key()
        plain = json.dumps(payload).encode()
        with self.begin() as conn:
            _upsert(conn, table, name, {**clear, "ciphertext": self.cipher.encrypt(plain)})
            # Holding the table's write lock: a rotation elsewhere either finished (its key file is
            # new, re-encrypt with it) or waits for this commit (and re-encrypts this row too).
            if self.cipher.reload_if_changed():
                self._verify(conn, skip=(table.name, name))
                _upsert(conn, table, name, {**clear, "ciphertext": self.cipher.encrypt(plain)})
        self.cache.clear()

    def _check_key(self) -> None:
        """Refuse to write with a key that does not open what is stored (checked once per key file)."""
        if self._key_checked and not self.keys.changed():
            return
        self.cipher.reload_if_changed()
        self.verify_key()
        self.cipher.keys()
        self._key_checked = True

    def _verify(self, conn: DbConnection, skip: tuple[str, str] | None = None) -> None:
        """Decrypt one stored row (not `skip`, a (table, name) just written with the old key)."""
        row = _any_row(conn, skip)
        if row is not None:
            self.cipher.decrypt(row[1], f"{row[0]} (and, likely, everything else stored)")

    def _read(self, table: Table, name: str) -> dict[str, Any]:
        what = _WHAT[table.name]
        with self.begin() as conn:
            token = conn.execute(select(table.c.ciphertext).where(table.c.name == name)).scalar()
        if token is None:
            raise NotStored(_not_stored(what, name))
        payload = json.loads(self.cipher.decrypt(token, f"{what} '{name}'"))
        if payload.get("name") != name:
            raise VaultError(f"the stored {what} '{name}' holds another row's encrypted data (copied in the "
                             f"database?): store it again to replace it")
        return payload

    def _names(self, table: Table) -> list[str]:
        with self.begin() as conn:
            return list(conn.execute(select(table.c.name).order_by(table.c.name)).scalars())

    def _delete(self, table: Table, name: str) -> bool:
        with self.begin() as conn:
            deleted = conn.execute(delete(table).where(table.c.name == name)).rowcount
        self.cache.clear()
        return bool(deleted)

    def begin(self) -> AbstractContextManager[DbConnection]:
        """A transaction on the vault's database, its tables migrated first."""
        MIGRATIONS.upgrade(self.engine)
        return self.engine.begin()


def _upsert(conn: DbConnection, table: Table, name: str, values: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    if conn.execute(update(table).where(table.c.name == name).values(**values, updated_at=now)).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(table).values(name=name, **values, created_at=now, updated_at=now))
    except IntegrityError:  # inserted by another process a moment ago: replace theirs
        conn.execute(update(table).where(table.c.name == name).values(**values, updated_at=now))


def _any_row(conn: DbConnection, skip: tuple[str, str] | None = None) -> tuple[str, str] | None:
    """(what it is, its ciphertext) of one stored row but `skip`, or None when there is none."""
    for table in (secrets_table, connections_table):
        query = select(table.c.name, table.c.ciphertext).limit(1)
        if skip is not None and skip[0] == table.name:
            query = query.where(table.c.name != skip[1])
        row = conn.execute(query).first()
        if row is not None:
            return f"{_WHAT[table.name]} '{row[0]}'", row[1]
    return None


def _not_stored(what: str, name: str) -> str:
    if what == "secret":
        return f"no secret named '{name}' is stored: set it with `loom secrets set {name}`"
    return f"no connection named '{name}' is stored: add it with `loom connections add {name} --kind KIND`"


def _utc(moment: datetime) -> datetime:
    value = utc(moment)
    assert value is not None
    return value


__all__ = ["ConnectionInfo", "SecretInfo", "Vault", "check_name"]
