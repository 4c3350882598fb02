"""`rotate_key`: every row re-encrypted with a new key in one transaction, the old key no longer
opening anything, and a key file that opens everything at every step of the way."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from engine.connections import Connection
from engine.runtime.store.tables import connections, secrets
from engine.vault import KeySource, Vault, WrongKey, generate_key

from .conftest import OpenVault


def tokens(vault: Vault) -> list[str]:
    with vault.engine.connect() as conn:
        return [*conn.execute(select(secrets.c.ciphertext)).scalars(),
                *conn.execute(select(connections.c.ciphertext)).scalars()]


def key_file(home: Path) -> list[str]:
    return (home / "secret.key").read_text().split()


def fill(vault: Vault) -> None:
    vault.set_secret("TOKEN", "value-1")
    vault.set_secret("OTHER", "value-2")
    vault.add_connection(Connection.parse("api", "http", {"base_url": "https://example.org", "value": "Bearer t"}))


def test_rotation_re_encrypts_every_row_and_the_old_key_opens_none(vault: Vault, open_vault: OpenVault,
                                                                   loom_home: Path):
    fill(vault)
    [old_key] = key_file(loom_home)
    before = tokens(vault)
    rotation = vault.rotate_key()
    assert (rotation.secrets, rotation.connections, rotation.new_key) == (2, 1, None)
    [new_key] = key_file(loom_home)
    assert new_key != old_key and (loom_home / "secret.key").stat().st_mode & 0o777 == 0o600
    after = tokens(vault)
    assert len(after) == 3 and not set(after) & set(before)
    for token in after:
        with pytest.raises(InvalidToken):
            Fernet(old_key).decrypt(token.encode())
        Fernet(new_key).decrypt(token.encode())
    fresh = open_vault()
    assert fresh.secret("TOKEN") == "value-1" and fresh.connection("api").config.value == "Bearer t"
    assert vault.secret("OTHER") == "value-2"  # the rotating process goes on with the new key


def test_a_rotation_interrupted_after_the_key_file_was_rewritten_loses_nothing(vault: Vault,
                                                                               open_vault: OpenVault,
                                                                               loom_home: Path):
    fill(vault)
    [old_key] = key_file(loom_home)
    # What a crash after the first step leaves: the file holds the new key first, the rows the old one.
    KeySource(None, loom_home / "secret.key").write([generate_key().encode(), old_key.encode()])
    survivor = open_vault()
    assert survivor.secret("TOKEN") == "value-1"
    survivor.set_secret("LATER", "written-after-the-crash")  # encrypted with the new key
    survivor.rotate_key()
    assert len(key_file(loom_home)) == 1
    fresh = open_vault()
    assert [fresh.secret(n) for n in ("TOKEN", "OTHER", "LATER")] == ["value-1", "value-2", "written-after-the-crash"]


def test_a_failed_rotation_puts_the_old_key_file_back(vault: Vault, open_vault: OpenVault, loom_home: Path):
    vault.set_secret("TOKEN", "value-1")
    source = KeySource(None, loom_home / "secret.key")
    right = key_file(loom_home)
    source.write([generate_key().encode()])  # a key file that does not open the rows
    wrong = key_file(loom_home)
    with pytest.raises(WrongKey, match="secret 'TOKEN'"):
        open_vault().rotate_key()
    assert key_file(loom_home) == wrong
    source.write([key.encode() for key in right])
    assert open_vault().secret("TOKEN") == "value-1"


def test_with_loom_secret_key_rotation_returns_the_key_to_set(open_vault: OpenVault, loom_home: Path):
    old = generate_key()
    vault = open_vault(env_key=old)
    fill(vault)
    rotation = vault.rotate_key()
    assert rotation.new_key and rotation.new_key != old and not (loom_home / "secret.key").exists()
    assert open_vault(env_key=rotation.new_key).secret("TOKEN") == "value-1"
    with pytest.raises(WrongKey, match="LOOM_SECRET_KEY"):
        open_vault(env_key=old).secret("TOKEN")


def test_a_process_holding_the_old_key_file_follows_a_rotation_made_elsewhere(vault: Vault,
                                                                              open_vault: OpenVault):
    fill(vault)
    server = open_vault()
    assert server.secret("TOKEN") == "value-1"
    vault.rotate_key()  # the CLI, while the server runs
    server.cache.clear()
    assert server.secret("TOKEN") == "value-1"
    server.set_secret("NEW", "written-by-the-server")
    assert open_vault().secret("NEW") == "written-by-the-server"


def test_a_write_racing_a_rotation_elsewhere_ends_up_under_the_new_key(vault: Vault, open_vault: OpenVault,
                                                                       loom_home: Path):
    from sqlalchemy import event

    fill(vault)
    server, cli = open_vault(), open_vault()
    server.secret("TOKEN")  # the server has read the key file
    server.set_secret("WARM", "checked-the-key")
    rotated: list[bool] = []

    def rotate_first(conn, cursor, statement, *args):
        # The CLI rotates after the server checked its key and just before it writes the row.
        if statement.startswith("UPDATE secrets") and not rotated:
            rotated.append(True)
            cli.rotate_key()

    event.listen(server.engine, "before_cursor_execute", rotate_first)
    server.set_secret("RACED", "written-during-the-rotation")
    assert rotated and len(key_file(loom_home)) == 1
    assert open_vault().secret("RACED") == "written-during-the-rotation"
