"""`loom connections` as a user runs it: credentials from stdin or a prompt that does not echo, never
from the command line; `list` shows where a connection points, not its credentials; `test` makes one
real exchange with a local HTTP server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.peers.local_server import LocalServer

from .terminal import loom, on_terminal

TOKEN = "Bearer tok-never-shown-42"
ALLOW = {"LOOM_HTTP_ALLOW": "127.0.0.1"}


def shown(*done) -> str:
    return "".join(d.stdout + d.stderr for d in done)


def add_api(url: str, value: str = TOKEN):
    return loom("connections", "add", "api", "--kind", "http", "--set", f"base_url={url}/v1",
                input=json.dumps({"value": value}))


def test_add_list_test_and_delete_an_http_connection(server: LocalServer, loom_home: Path):
    server.script((200, {}, {"ok": True}))
    added = add_api(server.url)
    assert added.returncode == 0, added.stderr
    assert f"connection api (http) added: {server.url}/v1" in added.stderr
    listed, as_json = loom("connections", "list"), loom("connections", "list", "--json")
    assert "api" in listed.stdout and f"{server.url}/v1" in listed.stdout
    [row] = json.loads(as_json.stdout)
    assert row["name"] == "api" and row["kind"] == "http" and row["summary"] == f"{server.url}/v1"
    assert set(row) == {"name", "kind", "summary", "updated_at"}
    tested = loom("connections", "test", "api", env=ALLOW)
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.strip() == f"ok: HTTP 200 from GET {server.url}/v1"
    assert server.requests[0].method == "GET" and server.requests[0].path == "/v1"
    assert server.requests[0].headers["authorization"] == TOKEN
    assert TOKEN not in shown(added, listed, as_json, tested)
    assert TOKEN.encode() not in b"".join(p.read_bytes() for p in loom_home.glob("loom.db*"))
    assert loom("connections", "delete", "api").returncode == 0
    gone = loom("connections", "test", "api")
    assert gone.returncode == 1 and "no connection named 'api'" in gone.stderr


def test_a_refused_credential_fails_the_test(server: LocalServer):
    server.script((401, {}, f"bad token {TOKEN}"))
    add_api(server.url)
    tested = loom("connections", "test", "api", env=ALLOW)
    assert tested.returncode == 1
    assert "the server refused the credential (HTTP 401" in tested.stderr
    assert TOKEN not in tested.stderr


def test_the_test_goes_through_the_ssrf_guard(server: LocalServer):
    add_api(server.url)
    tested = loom("connections", "test", "api", env={"LOOM_HTTP_ALLOW": ""})
    assert tested.returncode == 1 and "LOOM_HTTP_ALLOW=127.0.0.1" in tested.stderr
    assert server.requests == []


def test_a_credential_on_the_command_line_is_refused():
    done = loom("connections", "add", "api", "--kind", "http", "--set", "base_url=https://example.org",
                "--set", f"value={TOKEN}")
    assert done.returncode == 1
    assert "'value' is a credential: it is never taken from the command line" in done.stderr
    assert json.loads(loom("connections", "list", "--json").stdout) == []


def test_the_whole_settings_from_json_on_stdin():
    settings = {"host": "smtp.example.org", "port": 2525, "username": "bot", "password": "mail-pass-9",
                "from": "bot@example.org", "security": "none"}
    done = loom("connections", "add", "mail", "--kind", "smtp", "--from-json", "-", input=json.dumps(settings))
    assert done.returncode == 0, done.stderr
    assert "smtp.example.org:2525 (none)" in done.stderr and "mail-pass-9" not in done.stderr
    [row] = json.loads(loom("connections", "list", "--json").stdout)
    assert row["summary"] == "smtp.example.org:2525 (none)"


def test_invalid_settings_name_each_field():
    done = loom("connections", "add", "mail", "--kind", "smtp", "--set", "port=nope", input="{}")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "host" in done.stderr and "port" in done.stderr and "from" in done.stderr
    not_json = loom("connections", "add", "api", "--kind", "http", "--set", "base_url=https://example.org",
                    input="value=oops")
    assert not_json.returncode == 1 and "not a JSON object of settings" in not_json.stderr


def test_credentials_are_asked_for_without_echo(server: LocalServer, loom_home: Path):
    status, screen = on_terminal("connections", "add", "api", "--kind", "http", "--set",
                                 f"base_url={server.url}", typed=[TOKEN])
    assert status == 0, screen
    assert "value (empty for none, not shown):" in screen and "connection api (http) added" in screen
    assert TOKEN not in screen
    assert TOKEN.encode() not in b"".join(p.read_bytes() for p in loom_home.glob("loom.db*"))
