"""Replacing the vault's key: every row re-encrypted with a new one, in one transaction.

With a key file the order makes a crash at any point harmless:

1. the key file becomes "new, old" (atomic replace): either key opens every row from here on;
2. one transaction, holding the tables' write lock, re-encrypts every row (`MultiFernet.rotate`);
3. the key file becomes "new" alone.

A crash after 1 or 2 leaves a key file that opens everything, and the next rotation finishes
the job; a failure in 2 (a row the key does not open) rolls back and puts the old file back.

With `LOOM_SECRET_KEY` there is no file to write: the new key is returned (the CLI prints it
before re-encrypting) and the operator sets the variable to it; until then, processes still
holding the old value cannot read the vault. The same variable signs callbacks and is the
default HMAC key of webhooks, so their receivers need the new value too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import Connection, false, select, text, update

from ..runtime.store.tables import connections, secrets
from .cipher import Cipher, rotation_fernet
from .errors import KeyUnavailable
from .keys import generate_key, is_fernet_key

if TYPE_CHECKING:
    from .vault import Vault


@dataclass(frozen=True)
class Rotation:
    secrets: int
    connections: int
    new_key: str | None
    """The new key when it comes from LOOM_SECRET_KEY (set the variable to it); None for a key file."""


def rotate(vault: Vault, new_key: str | None = None) -> Rotation:
    key = _checked(new_key or generate_key())
    vault.cipher.reload_if_changed()
    old = vault.cipher.keys()
    in_file = not vault.keys.from_env_var
    if in_file:
        vault.keys.write([key, *old])
    try:
        with vault.begin() as conn:
            _lock(conn)
            counts = _reencrypt(conn, rotation_fernet(key, old), vault.cipher)
    except Exception:
        if in_file:
            vault.keys.write(old)
        raise
    if in_file:
        vault.keys.write([key])
        vault.cipher.use(vault.keys.load(create=False))
    else:
        vault.cipher.use([key])
    return Rotation(counts[0], counts[1], None if in_file else key.decode())


def _checked(key: str) -> bytes:
    if not is_fernet_key(key):
        raise KeyUnavailable("a new vault key must be a Fernet key (44 url-safe base64 characters)")
    return key.encode()


def _lock(conn: Connection) -> None:
    """Take the write lock on both tables before reading them, so no write slips in between."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE secrets, connections IN SHARE ROW EXCLUSIVE MODE"))
    elif conn.dialect.name == "sqlite":  # an UPDATE takes SQLite's database-wide write lock, even one of no rows
        conn.execute(update(secrets).where(false()).values(name=secrets.c.name))


def _reencrypt(conn: Connection, fernet: MultiFernet, cipher: Cipher) -> tuple[int, int]:
    counts = []
    for table, what in ((secrets, "secret"), (connections, "connection")):
        rows = conn.execute(select(table.c.name, table.c.ciphertext)).all()
        for name, token in rows:
            try:
                rotated = fernet.rotate(token.encode())
            except InvalidToken:
                raise cipher.wrong_key(f"{what} '{name}'") from None
            conn.execute(update(table).where(table.c.name == name).values(ciphertext=rotated.decode()))
        counts.append(len(rows))
    return counts[0], counts[1]


__all__ = ["Rotation", "rotate"]
