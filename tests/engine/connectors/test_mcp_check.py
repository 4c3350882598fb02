"""The "Test" action of `mcp` connections against real MCP servers built with the SDK, served
over streamable HTTP by uvicorn on loopback, and against a plain HTTP server that is not MCP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.connections import Connection, ConnectionCheckFailed, check
from engine.connectors import mcp
from tests.peers.local_server import LocalServer

ALLOW = frozenset({"127.0.0.1"})
TOKEN = "t0ken-mcp-xyz"


def weather() -> MCPServer:
    server = MCPServer("weather", version="1.2.0")

    @server.tool()
    def forecast(city: str) -> str:
        """Tomorrow's weather."""
        return f"sunny in {city}"

    @server.tool()
    def alerts(region: str) -> list[str]:
        """Current weather alerts."""
        return []

    return server


class RequireBearer:
    """Refuses HTTP requests without `Authorization: Bearer <token>`, as a hosted MCP server would."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != self.expected:
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")]})
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        await self.app(scope, receive, send)


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yield its MCP endpoint once it accepts requests."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the MCP test server did not start"
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def open_server() -> Iterator[str]:
    with serve(weather().streamable_http_app()) as url:
        yield url


@pytest.fixture(scope="module")
def guarded_server() -> Iterator[str]:
    with serve(RequireBearer(weather().streamable_http_app(), TOKEN)) as url:
        yield url


def tools(url: str, value: str | None = None) -> Connection:
    return Connection.parse("tools", "mcp", {"url": url} | ({"value": value} if value else {}))


async def test_a_good_server_lists_its_tools(open_server: str):
    assert await mcp.check(tools(open_server), ALLOW) == (
        f"MCP server 'weather' 1.2.0 at {open_server}: 2 tools (forecast, alerts)")


async def test_a_required_bearer_token_fails_without_the_credential(guarded_server: str):
    with pytest.raises(ConnectionCheckFailed, match=r"connection 'tools': the server requires a credential, "
                                                    r"and none is configured \(HTTP 401"):
        await mcp.check(tools(guarded_server), ALLOW)


async def test_a_wrong_bearer_token_is_refused_and_not_repeated(guarded_server: str):
    with pytest.raises(ConnectionCheckFailed, match=r"the server refused the credential \(HTTP 401") as failed:
        await mcp.check(tools(guarded_server, "Bearer not-the-token"), ALLOW)
    assert "not-the-token" not in str(failed.value)


async def test_a_required_bearer_token_passes_with_the_credential(guarded_server: str):
    assert (await mcp.check(tools(guarded_server, f"Bearer {TOKEN}"), ALLOW)).endswith(": 2 tools (forecast, alerts)")


async def test_a_refused_port_fails_with_why():
    with pytest.raises(ConnectionCheckFailed, match=r"connection 'tools': could not connect .*127\.0\.0\.1:9/mcp"):
        await mcp.check(tools("http://127.0.0.1:9/mcp"), ALLOW)


async def test_loopback_is_refused_by_the_guard_before_any_request(server: LocalServer):
    refused = r"connection 'tools': refused to connect to 127\.0\.0\.1 .*LOOM_HTTP_ALLOW=127\.0\.0\.1"
    with pytest.raises(ConnectionCheckFailed, match=refused):
        await mcp.check(tools(f"{server.url}/mcp"), frozenset())
    assert server.requests == []


async def test_a_plain_http_server_is_not_an_mcp_endpoint(server: LocalServer):
    server.script((200, {"Content-Type": "text/html"}, "<html>a web page</html>"))
    with pytest.raises(ConnectionCheckFailed, match=r"connection 'tools': not an MCP endpoint"):
        await mcp.check(tools(f"{server.url}/mcp"), ALLOW)
    assert server.requests[0].method == "POST"


async def test_the_dispatcher_runs_the_mcp_check(open_server: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOOM_HTTP_ALLOW", "127.0.0.1")
    assert (await check(tools(open_server))).startswith("MCP server 'weather' 1.2.0")
