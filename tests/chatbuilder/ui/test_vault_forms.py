"""What the Settings tab shows of the vault, and how a connection form maps onto a kind's settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from chatbuilder.ui.vault_forms import (
    check_line,
    collect_settings,
    connection_rows,
    credentials_left_blank,
    field_errors,
    key_source_line,
    secret_rows,
    setting_fields,
    stored_values,
)
from engine.connections import KINDS, Connection, ConnectionInvalid
from engine.vault import ConnectionInfo, KeySource, SecretInfo

WHEN = datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC)


def by_key(kind: str) -> dict:
    return {field.key: field for field in setting_fields(KINDS[kind])}


def test_every_kind_gets_a_form_and_credentials_are_password_boxes_without_a_value():
    for kind, model in KINDS.items():
        fields = by_key(kind)
        assert list(fields) == [info.alias or name for name, info in model.model_fields.items()]
        secret = {model.model_fields[name].alias or name for name in model.secret_fields()}
        assert {key for key, field in fields.items() if field.secret} == secret, kind
        assert all(field.value is None for field in fields.values() if field.secret)


def test_smtp_fields_show_defaults_choices_and_the_alias_of_from():
    fields = by_key("smtp")
    assert (fields["port"].kind, fields["port"].value) == ("integer", 587)
    assert (fields["security"].kind, fields["security"].value) == ("choice", "starttls")
    assert fields["security"].choices == ("starttls", "tls", "none")
    assert (fields["timeout"].kind, fields["timeout"].value) == ("number", 30.0)
    assert fields["from"].required and fields["from"].label == "from (required)"
    assert fields["username"].kind == "text" and fields["username"].value is None
    assert fields["password"].label == "password (credential)"
    assert fields["password"].info.startswith("Login password.")
    assert fields["host"].info == "The mail server's host name."


def test_required_credentials_say_so():
    assert by_key("sql")["url"].label == "url (credential, required)"
    assert by_key("http")["header"].value == "Authorization"


def test_blank_boxes_are_left_out_so_defaults_apply_and_whole_numbers_become_ints():
    fields = setting_fields(KINDS["smtp"])
    values = {"host": "mail.example.org", "port": 2525.0, "security": "none", "username": "  ", "password": "",
              "from": "bot@example.org", "timeout": None, "ca_cert": ""}
    settings = collect_settings(fields, [values[f.key] for f in fields])
    assert settings == {"host": "mail.example.org", "port": 2525, "security": "none", "from": "bot@example.org"}
    assert isinstance(settings["port"], int)
    assert Connection.parse("mail", "smtp", settings).summary() == "mail.example.org:2525 (none)"
    assert credentials_left_blank(fields, settings) == ["password"]


def test_a_stored_connection_fills_its_form_but_never_its_credentials():
    connection = Connection.parse("api", "http", {"base_url": "https://api.example.org", "header": "X-Key",
                                                  "value": "Bearer s3cret-token"})
    values = stored_values(setting_fields(KINDS["http"]), connection.settings())
    assert values == ["https://api.example.org", "X-Key", None]


def test_field_errors_name_the_boxes_parse_refused():
    settings = {"base_url": "ftp://files.example.org", "header": "Bad Header"}
    with pytest.raises(ConnectionInvalid, match="base_url: String should match pattern"):
        Connection.parse("api", "http", settings)
    errors = field_errors(KINDS["http"], settings)
    assert set(errors) == {"base_url", "header"}
    assert "should match pattern" in errors["base_url"]
    assert field_errors(KINDS["smtp"], {"host": "h"}) == {"from": "Field required"}
    assert field_errors(KINDS["http"], {"base_url": "https://fine.example.org"}) == {}


def test_secret_rows_show_set_and_when_never_a_value_and_say_when_the_environment_wins():
    infos = [SecretInfo("A_TOKEN", WHEN, WHEN), SecretInfo("B_TOKEN", WHEN, WHEN)]
    rows = secret_rows(infos, {"LOOM_SECRET_B_TOKEN": "from-env", "LOOM_SECRET_A_TOKEN": ""})
    assert rows == [["A_TOKEN", "set", "2026-12-01 09:30:05 UTC"],
                    ["B_TOKEN", "set (LOOM_SECRET_B_TOKEN in the environment wins)", "2026-12-01 09:30:05 UTC"]]


def test_connection_rows():
    info = ConnectionInfo("crm", "sql", "postgresql+psycopg://crm@db/crm", WHEN, WHEN)
    assert connection_rows([info]) == [["crm", "sql", "postgresql+psycopg://crm@db/crm", "2026-12-01 09:30:05 UTC"]]


def test_the_key_line_names_where_the_key_is_never_the_key(tmp_path: Path):
    from_env = key_source_line(KeySource("a passphrase of some length", tmp_path / "secret.key"))
    assert "`LOOM_SECRET_KEY` in the server's environment" in from_env and "a passphrase" not in from_env
    assert f"the key file `{tmp_path / 'secret.key'}`" in key_source_line(KeySource(None, tmp_path / "secret.key"))


def test_check_lines():
    assert check_line(True, "HTTP 200") == "✓ HTTP 200"
    assert check_line(False, "refused") == "✗ refused"
