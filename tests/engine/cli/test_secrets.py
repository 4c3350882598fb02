"""`loom secrets` as a user runs it: values from stdin or a prompt that does not echo, never on the
command line or the screen; `list` shows names only; `delete`; `loom run` finds stored secrets; rotate-key."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.fernet import Fernet

from tests.peers.local_server import LocalServer

from .terminal import loom, on_terminal

VALUE = "s3cret-value-never-shown"

CALLS_API = """loom: 1
name: calls-api
steps:
  - id: call
    type: http
    url: ${{ inputs.url }}
    headers: {Authorization: "Bearer ${{ secrets.API_TOKEN }}"}
inputs:
  url: {type: string}
outputs:
  said: ${{ steps.call.output.text }}
"""


def shown(*done) -> str:
    return "".join(d.stdout + d.stderr for d in done)


def database_bytes(home: Path) -> bytes:
    return b"".join(path.read_bytes() for path in home.glob("loom.db*"))


def test_a_piped_value_is_stored_encrypted_and_never_shown(loom_home: Path):
    stored = loom("secrets", "set", "API_TOKEN", input=VALUE + "\n")
    assert stored.returncode == 0, stored.stderr
    assert "secret API_TOKEN stored" in stored.stderr
    listed, as_json = loom("secrets", "list"), loom("secrets", "list", "--json")
    assert listed.returncode == 0 and "API_TOKEN" in listed.stdout
    [row] = json.loads(as_json.stdout)
    assert set(row) == {"name", "updated_at"} and row["name"] == "API_TOKEN"
    assert VALUE not in shown(stored, listed, as_json)
    assert VALUE.encode() not in database_bytes(loom_home)
    assert (loom_home / "secret.key").stat().st_mode & 0o777 == 0o600
    assert loom("secrets", "delete", "API_TOKEN").returncode == 0
    assert json.loads(loom("secrets", "list", "--json").stdout) == []


def test_a_typed_value_is_not_echoed(loom_home: Path):
    status, screen = on_terminal("secrets", "set", "API_TOKEN", typed=[VALUE])
    assert status == 0, screen
    assert "value of secret API_TOKEN (not shown):" in screen and "stored" in screen
    assert VALUE not in screen
    assert VALUE.encode() not in database_bytes(loom_home)


def test_a_value_on_the_command_line_is_refused():
    done = loom("secrets", "set", "API_TOKEN", VALUE)
    assert done.returncode == 2 and "unrecognized arguments" in done.stderr
    assert json.loads(loom("secrets", "list", "--json").stdout) == []


def test_bad_names_empty_values_and_unknown_secrets_are_one_line_errors():
    bad = loom("secrets", "set", "api-token", input=VALUE)
    empty = loom("secrets", "set", "API_TOKEN", input="")
    missing = loom("secrets", "delete", "NOPE")
    assert bad.returncode == empty.returncode == missing.returncode == 1
    assert "not a valid secret name" in bad.stderr
    assert "needs a value" in empty.stderr
    assert "no secret named 'NOPE'" in missing.stderr
    assert "Traceback" not in shown(bad, empty, missing)


def test_loom_run_uses_the_stored_secret_and_masks_it(tmp_path: Path, server: LocalServer):
    server.script((200, {}, f"you sent {VALUE}"))
    (tmp_path / "calls-api.yaml").write_text(CALLS_API)
    loom("secrets", "set", "API_TOKEN", input=VALUE)
    done = loom("run", str(tmp_path / "calls-api.yaml"), "-i", f"url={server.url}/", "--json",
                env={"LOOM_HTTP_ALLOW": "127.0.0.1"})
    assert done.returncode == 0, done.stderr
    assert server.requests[0].headers["authorization"] == f"Bearer {VALUE}"
    result = json.loads(done.stdout)
    assert result["outputs"]["said"] == "you sent ***"
    shown_run = loom("runs", "show", result["run_id"], "--json")
    assert VALUE not in shown(done, shown_run)


def test_the_environment_wins_over_the_stored_secret(tmp_path: Path, server: LocalServer):
    (tmp_path / "calls-api.yaml").write_text(CALLS_API)
    loom("secrets", "set", "API_TOKEN", input=VALUE)
    done = loom("run", str(tmp_path / "calls-api.yaml"), "-i", f"url={server.url}/",
                env={"LOOM_HTTP_ALLOW": "127.0.0.1", "LOOM_SECRET_API_TOKEN": "from-the-environment"})
    assert done.returncode == 0, done.stderr
    assert server.requests[0].headers["authorization"] == "Bearer from-the-environment"
    listed = loom("secrets", "list", env={"LOOM_SECRET_API_TOKEN": "from-the-environment"})
    assert "LOOM_SECRET_API_TOKEN in the environment wins" in listed.stdout


def test_rotate_key_with_a_key_file(loom_home: Path):
    loom("secrets", "set", "API_TOKEN", input=VALUE)
    old = (loom_home / "secret.key").read_text()
    done = loom("secrets", "rotate-key")
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 1 secret(s) and 0 connection(s)" in done.stderr and done.stdout == ""
    assert (loom_home / "secret.key").read_text() != old
    assert loom("secrets", "list").returncode == 0


def test_rotate_key_with_loom_secret_key_prints_the_new_key(tmp_path: Path, server: LocalServer):
    old = Fernet.generate_key().decode()
    (tmp_path / "calls-api.yaml").write_text(CALLS_API)
    loom("secrets", "set", "API_TOKEN", input=VALUE, env={"LOOM_SECRET_KEY": old})
    done = loom("secrets", "rotate-key", env={"LOOM_SECRET_KEY": old})
    assert done.returncode == 0, done.stderr
    new = done.stdout.strip()
    Fernet(new)
    assert "Set LOOM_SECRET_KEY to it now" in done.stderr
    run = ("run", str(tmp_path / "calls-api.yaml"), "-i", f"url={server.url}/")
    with_new = loom(*run, env={"LOOM_SECRET_KEY": new, "LOOM_HTTP_ALLOW": "127.0.0.1"})
    assert with_new.returncode == 0, with_new.stderr
    with_old = loom(*run, env={"LOOM_SECRET_KEY": old, "LOOM_HTTP_ALLOW": "127.0.0.1"})
    assert with_old.returncode == 1
    assert "another key than LOOM_SECRET_KEY" in with_old.stderr and "Traceback" not in with_old.stderr
