"""The "Test" action of `http` connections against a scripted HTTP server on loopback, and what
`engine.connections.check` says for a kind that has no check yet."""

from __future__ import annotations

import re
from typing import ClassVar

import pytest

from engine.connections import Connection, ConnectionCheckFailed, ConnectionConfig, check
from engine.connectors import http
from tests.peers.local_server import LocalServer

ALLOW = frozenset({"127.0.0.1"})


def api(url: str, value: str | None = "Bearer t0ken-xyz") -> Connection:
    settings = {"base_url": url, "header": "X-Api-Key"} | ({"value": value} if value else {})
    return Connection.parse("api", "http", settings)


async def test_a_2xx_passes_and_the_credential_header_is_sent(server: LocalServer):
    server.script((204, {}, b""))
    assert await http.check(api(f"{server.url}/v2"), ALLOW) == f"HTTP 204 from GET {server.url}/v2"
    assert server.requests[0].headers["x-api-key"] == "Bearer t0ken-xyz"


async def test_a_redirect_is_followed_through_the_guard(server: LocalServer):
    server.script((302, {"Location": "/home"}, b""), (200, {}, b"welcome"))
    assert (await http.check(api(server.url), ALLOW)).startswith("HTTP 200")
    assert [r.path for r in server.requests] == ["/", "/home"]


async def test_a_404_at_the_base_url_is_reachable(server: LocalServer):
    server.script((404, {}, b"not here"))
    assert (await http.check(api(server.url), ALLOW)).startswith("reachable: HTTP 404")


@pytest.mark.parametrize(("status", "value", "says"), [
    (401, "Bearer t0ken-xyz", "refused the credential (HTTP 401"),
    (403, "Bearer t0ken-xyz", "refused the credential (HTTP 403"),
    (401, None, "requires a credential, and none is configured"),
    (503, "Bearer t0ken-xyz", "is failing (HTTP 503"),
])
async def test_refusals_and_server_errors_fail(server: LocalServer, status: int, value: str | None, says: str):
    server.script((status, {}, b"no"))
    with pytest.raises(ConnectionCheckFailed, match="connection 'api': the server " + re.escape(says)):
        await http.check(api(server.url, value), ALLOW)


async def test_loopback_is_refused_unless_allowed(server: LocalServer):
    with pytest.raises(ConnectionCheckFailed, match=r"LOOM_HTTP_ALLOW=127\.0\.0\.1"):
        await http.check(api(server.url), frozenset())
    assert server.requests == []


async def test_an_unreachable_server_fails_with_why():
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens
    with pytest.raises(ConnectionCheckFailed, match=r"connection 'api': GET .* failed"):
        await http.check(api(closed), ALLOW)


async def test_the_dispatcher_runs_the_kind_s_check(server: LocalServer, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOOM_HTTP_ALLOW", "127.0.0.1")
    assert (await check(api(server.url))).startswith("HTTP 200")


class PigeonConfig(ConnectionConfig):
    kind: ClassVar[str] = "pigeon"


async def test_a_kind_without_a_check_says_so():
    with pytest.raises(ConnectionCheckFailed, match="testing pigeon connections is not supported yet"):
        await check(Connection("coop", PigeonConfig()))
