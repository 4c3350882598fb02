"""The mappings `Services` reads: the environment winning, lookups by name, iteration over every
name for the scrubber, and a cache that a write clears at once and another process's write within
seconds."""

from __future__ import annotations

import pytest

from engine.connections import Connection
from engine.runtime import MemoryStore, Services
from engine.vault import Vault
from engine.vault.cache import Cache

from .conftest import OpenVault


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_environment_wins_over_the_stored_value(vault: Vault):
    vault.set_secret("TOKEN", "stored-value")
    vault.set_secret("ONLY_STORED", "stored-only")
    secrets = vault.secret_map({"LOOM_SECRET_TOKEN": "from-env", "LOOM_SECRET_ONLY_ENV": "env-only",
                                "LOOM_SECRET_BLANK": "", "UNRELATED": "x"})
    assert secrets["TOKEN"] == "from-env"
    assert secrets["ONLY_STORED"] == "stored-only" and secrets["ONLY_ENV"] == "env-only"
    assert sorted(secrets) == ["ONLY_ENV", "ONLY_STORED", "TOKEN"] and len(secrets) == 3
    assert "BLANK" not in secrets and secrets.get("BLANK") is None
    assert sorted(secrets.values()) == ["env-only", "from-env", "stored-only"]


def test_an_empty_environment_variable_does_not_hide_the_stored_value(vault: Vault):
    vault.set_secret("TOKEN", "stored-value")
    assert vault.secret_map({"LOOM_SECRET_TOKEN": ""})["TOKEN"] == "stored-value"


def test_unknown_and_malformed_names_are_plain_key_errors(vault: Vault):
    secrets, connections = vault.secret_map({}), vault.connection_map()
    for name in ("MISSING", "bad-name", ""):
        with pytest.raises(KeyError):
            secrets[name]
        assert secrets.get(name) is None and name not in secrets
        assert connections.get(name) is None


def test_a_write_through_the_vault_is_seen_at_once(vault: Vault):
    secrets, connections = vault.secret_map({}), vault.connection_map()
    vault.set_secret("TOKEN", "first")
    assert secrets["TOKEN"] == "first"
    vault.set_secret("TOKEN", "second")
    assert secrets["TOKEN"] == "second"
    vault.delete_secret("TOKEN")
    assert "TOKEN" not in secrets and list(secrets) == []
    vault.add_connection(Connection.parse("api", "http", {"base_url": "https://one.example"}))
    assert connections["api"].summary() == "https://one.example"
    vault.add_connection(Connection.parse("api", "http", {"base_url": "https://two.example"}))
    assert connections["api"].summary() == "https://two.example" and list(connections) == ["api"]


def test_another_process_s_write_is_seen_when_the_cache_expires(vault: Vault, open_vault: OpenVault):
    clock = Clock()
    server = open_vault(cache=Cache(5.0, clock))
    vault.set_secret("TOKEN", "first")
    assert server.secret_map({})["TOKEN"] == "first"
    vault.set_secret("TOKEN", "second")  # the CLI, say
    clock.now = 4.0
    assert server.secret_map({})["TOKEN"] == "first"
    clock.now = 5.5
    assert server.secret_map({})["TOKEN"] == "second"


def test_services_mask_every_stored_credential(vault: Vault):
    vault.set_secret("TOKEN", "stored-token-value")
    vault.add_connection(Connection.parse("db", "sql", {"url": "postgresql://app:db-password-1@db/app"}))
    services = Services(store=MemoryStore(), secrets=vault.secret_map({"LOOM_SECRET_ENV_ONLY": "env-token-value"}),
                        connections=vault.connection_map())
    values = set(services.secret_values())
    assert {"stored-token-value", "env-token-value", "db-password-1"} <= values
