"""The vault's records: secrets and connections stored, listed, replaced and deleted, names checked,
and nothing stored in clear but names, kinds, summaries and times."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from engine.connections import Connection
from engine.runtime.store.tables import connections, secrets
from engine.vault import InvalidName, NotStored, Vault, VaultError

DB_PASSWORD = "pa55-w0rd-in-a-url"
SMTP_PASSWORD = "smtp-password-xyz"
TOKEN = "ghp_secret-token-value-123"


def crm() -> Connection:
    return Connection.parse("crm", "sql", {"url": f"postgresql+psycopg://crm:{DB_PASSWORD}@db.internal/crm"})


def mail() -> Connection:
    return Connection.parse("mail", "smtp", {"host": "smtp.example.org", "username": "bot",
                                             "password": SMTP_PASSWORD, "from": "bot@example.org"})


def database_bytes(home: Path) -> bytes:
    """The SQLite database as it lies on disk, its write-ahead log included."""
    return b"".join(path.read_bytes() for path in sorted(home.glob("loom.db*")))


def test_no_value_or_password_is_in_the_database_file(vault: Vault, loom_home: Path):
    vault.set_secret("GITHUB_TOKEN", TOKEN)
    vault.add_connection(crm())
    vault.add_connection(mail())
    raw = database_bytes(loom_home)
    assert b"GITHUB_TOKEN" in raw and b"smtp.example.org:587" in raw  # names and summaries are in clear
    for value in (TOKEN, DB_PASSWORD, SMTP_PASSWORD, "bot@example.org"):
        assert value.encode() not in raw
    assert vault.secret("GITHUB_TOKEN") == TOKEN
    assert vault.connection("crm") == crm()


def test_a_secret_is_replaced_listed_without_its_value_and_deleted(vault: Vault):
    vault.set_secret("TOKEN", "first-value")
    created = vault.secrets()[0]
    vault.set_secret("TOKEN", "second-value")
    [info] = vault.secrets()
    assert vault.secret("TOKEN") == "second-value"
    assert info.name == "TOKEN" and info.created_at == created.created_at and info.updated_at > created.updated_at
    assert set(info.to_dict()) == {"name", "created_at", "updated_at"}
    assert vault.delete_secret("TOKEN") is True
    assert vault.delete_secret("TOKEN") is False
    with pytest.raises(NotStored, match="loom secrets set TOKEN"):
        vault.secret("TOKEN")


def test_a_connection_comes_back_whole_and_is_listed_by_its_summary(vault: Vault):
    vault.add_connection(mail())
    vault.add_connection(crm())
    assert vault.connection("mail") == mail()
    assert [(c.name, c.kind) for c in vault.connections_info()] == [("crm", "sql"), ("mail", "smtp")]
    summaries = " ".join(c.summary for c in vault.connections_info())
    assert DB_PASSWORD not in summaries and SMTP_PASSWORD not in summaries
    vault.add_connection(Connection.parse("mail", "smtp", {"host": "other.example.org", "from": "a@b.org"}))
    assert vault.connection("mail").config.host == "other.example.org"
    assert vault.delete_connection("mail") and vault.connection_names() == ["crm"]
    with pytest.raises(NotStored, match="loom connections add mail"):
        vault.connection("mail")


@pytest.mark.parametrize("name", ["bad-name", "1st", "", "x" * 64, "space d", "ü"])
def test_names_are_identifiers(vault: Vault, name: str):
    with pytest.raises(InvalidName, match="letters, digits and underscores"):
        vault.set_secret(name, "value")
    with pytest.raises(InvalidName):
        vault.add_connection(Connection.parse(name, "http", {"base_url": "https://example.org"}))


def test_an_empty_or_huge_value_is_refused(vault: Vault):
    with pytest.raises(VaultError, match="needs a value"):
        vault.set_secret("EMPTY", "")
    with pytest.raises(VaultError, match="64 KiB"):
        vault.set_secret("HUGE", "x" * (64 * 1024 + 1))
    assert vault.secrets() == []


def test_a_token_copied_onto_another_row_is_refused(vault: Vault):
    vault.set_secret("ADMIN_PASSWORD", "the-admin-password")
    vault.set_secret("HARMLESS", "harmless-value")
    with vault.engine.begin() as conn:
        token = conn.execute(select(secrets.c.ciphertext).where(secrets.c.name == "ADMIN_PASSWORD")).scalar_one()
        conn.execute(update(secrets).where(secrets.c.name == "HARMLESS").values(ciphertext=token))
    with pytest.raises(VaultError, match="another row"):
        vault.secret("HARMLESS")


def test_the_kind_that_counts_is_the_encrypted_one(vault: Vault):
    vault.add_connection(crm())
    with vault.engine.begin() as conn:
        conn.execute(update(connections).values(kind="http"))
    assert vault.connection("crm").kind == "sql"


def test_the_vault_works_on_postgresql(postgres_url: str, loom_home: Path):
    from engine.runtime.store.sql import create_store_engine
    from engine.vault import KeySource

    engine = create_store_engine(postgres_url)
    try:
        vault = Vault(engine, KeySource(None, loom_home / "secret.key"))
        vault.set_secret("TOKEN", TOKEN)
        vault.set_secret("TOKEN", "replaced")
        vault.add_connection(crm())
        rotation = vault.rotate_key()
        assert (rotation.secrets, rotation.connections) == (1, 1)
        again = Vault(engine, KeySource(None, loom_home / "secret.key"))
        assert again.secret("TOKEN") == "replaced" and again.connection("crm") == crm()
    finally:
        engine.dispose()
