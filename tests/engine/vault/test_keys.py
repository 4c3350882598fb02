"""Where the key comes from: a 0600 key file made on first use, or LOOM_SECRET_KEY (a Fernet key or a
passphrase); and what happens when it is the wrong one, missing, or readable by others."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from engine.connections import Connection
from engine.vault import KeySource, KeyUnavailable, Vault, WrongKey, generate_key
from engine.vault.keys import derive_key

from .conftest import OpenVault


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_key_file_is_made_on_the_first_write_with_mode_0600(vault: Vault, loom_home: Path):
    key_file = loom_home / "secret.key"
    assert vault.secrets() == [] and not key_file.exists()  # listing needs no key
    vault.set_secret("TOKEN", "value-1")
    assert mode(key_file) == 0o600
    [key] = key_file.read_text().split()
    Fernet(key)
    assert not [p for p in loom_home.iterdir() if p.name.endswith(".tmp")]


def test_the_key_file_is_0600_whatever_the_umask(open_vault: OpenVault, loom_home: Path):
    old = os.umask(0)
    try:
        open_vault().set_secret("TOKEN", "value-1")
    finally:
        os.umask(old)
    assert mode(loom_home / "secret.key") == 0o600


def test_processes_making_the_key_file_at_once_agree_on_one_key(tmp_path: Path):
    path = tmp_path / "secret.key"
    keys: list[list[bytes]] = []
    threads = [threading.Thread(target=lambda: keys.append(KeySource(None, path).load(create=True)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and all(k == keys[0] for k in keys)


def test_a_key_file_others_may_read_is_refused(vault: Vault, open_vault: OpenVault, loom_home: Path):
    vault.set_secret("TOKEN", "value-1")
    (loom_home / "secret.key").chmod(0o640)
    with pytest.raises(KeyUnavailable, match=r"may be read by other users \(mode 640\).*chmod 600"):
        open_vault().secret("TOKEN")


def test_a_missing_key_file_over_stored_data_is_an_error_not_a_new_key(vault: Vault, open_vault: OpenVault,
                                                                       loom_home: Path):
    vault.set_secret("TOKEN", "value-1")
    (loom_home / "secret.key").unlink()
    fresh = open_vault()
    with pytest.raises(KeyUnavailable, match=r"secret\.key is missing: restore it, or set LOOM_SECRET_KEY"):
        fresh.set_secret("OTHER", "value-2")
    with pytest.raises(KeyUnavailable):
        fresh.secret("TOKEN")
    assert not (loom_home / "secret.key").exists()


def test_a_key_file_that_holds_no_key_is_refused(vault: Vault, open_vault: OpenVault, loom_home: Path):
    vault.set_secret("TOKEN", "value-1")
    (loom_home / "secret.key").write_text("not a key\n")
    with pytest.raises(KeyUnavailable, match="does not hold Fernet keys"):
        open_vault().secret("TOKEN")


def test_a_wrong_key_is_a_clear_error_and_loses_nothing(vault: Vault, open_vault: OpenVault):
    vault.set_secret("TOKEN", "value-1")
    vault.add_connection(Connection.parse("api", "http", {"base_url": "https://example.org", "value": "Bearer t"}))
    wrong = open_vault(env_key=generate_key())
    with pytest.raises(WrongKey, match=r"secret 'TOKEN'.*another key than LOOM_SECRET_KEY.*Nothing stored was changed"):
        wrong.secret("TOKEN")
    with pytest.raises(WrongKey, match="connection 'api'"):
        wrong.connection("api")
    with pytest.raises(WrongKey):
        wrong.set_secret("OTHER", "would be unreadable with the right key")
    with pytest.raises(WrongKey):
        wrong.rotate_key()
    assert [s.name for s in wrong.secrets()] == ["TOKEN"]  # names need no key
    right = open_vault()
    assert right.secret("TOKEN") == "value-1" and right.connection("api").config.value == "Bearer t"


def test_a_wrong_key_file_names_the_file(vault: Vault, open_vault: OpenVault, loom_home: Path):
    vault.set_secret("TOKEN", "value-1")
    KeySource(None, loom_home / "secret.key").write([generate_key().encode()])
    with pytest.raises(WrongKey, match=f"another key than the key file {loom_home / 'secret.key'}.*restore"):
        open_vault().secret("TOKEN")


def test_stored_data_with_no_key_file_says_to_set_loom_secret_key(open_vault: OpenVault):
    open_vault(env_key=generate_key()).set_secret("TOKEN", "value-1")
    with pytest.raises(KeyUnavailable, match=r"key file .* is missing: restore it, or set LOOM_SECRET_KEY"):
        open_vault().secret("TOKEN")


def test_loom_secret_key_wins_over_the_key_file(open_vault: OpenVault, loom_home: Path):
    key = generate_key()
    open_vault(env_key=key).set_secret("TOKEN", "value-1")
    assert not (loom_home / "secret.key").exists()
    assert open_vault(env_key=key).secret("TOKEN") == "value-1"


def test_a_passphrase_is_derived_into_a_key(open_vault: OpenVault):
    passphrase = "correct horse battery staple"
    open_vault(env_key=passphrase).set_secret("TOKEN", "value-1")
    assert open_vault(env_key=passphrase).secret("TOKEN") == "value-1"
    Fernet(derive_key(passphrase))
    with pytest.raises(WrongKey):
        open_vault(env_key=passphrase + "!").secret("TOKEN")


def test_a_short_passphrase_is_refused_with_how_to_make_a_key(open_vault: OpenVault):
    with pytest.raises(KeyUnavailable, match="at least 16 characters: generate a key with python -c"):
        open_vault(env_key="short").set_secret("TOKEN", "value-1")


def test_a_key_file_replaced_under_a_running_vault_is_not_trusted_for_writes(vault: Vault, loom_home: Path):
    vault.set_secret("TOKEN", "value-1")
    KeySource(None, loom_home / "secret.key").write([generate_key().encode()])
    with pytest.raises(WrongKey, match="another key than the key file"):
        vault.set_secret("OTHER", "value-2")
    assert [s.name for s in vault.secrets()] == ["TOKEN"]
