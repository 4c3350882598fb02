"""`mcp` connections: the "Test" action, an MCP handshake and a tools listing over streamable HTTP.

The URL's host goes through the SSRF guard first (`netguard.check`): a URL on loopback or a
private network is refused unless `LOOM_HTTP_ALLOW` names its host, before any request. The
MCP SDK then makes its own connections, so the address is checked, not pinned (as for an
`llm` step's `api_base`): a public name that re-points between the check and the handshake is
not caught. The SDK follows a redirect only within the endpoint's origin.

The SDK runs the transport in anyio task groups, so a failure arrives wrapped in exception
groups; the first real cause is unwrapped and said in one line, never with the credential.
The SDK (and its `httpx2` client) is imported only here, when a check runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
import httpx

from ..connections.check import ConnectionCheckFailed
from ..connections.connection import Connection
from ..connections.kinds import McpConfig
from ..errors import StepError
from ..runtime import netguard
from ..runtime.services import http_allow
from ..runtime.tls import tls_context

if TYPE_CHECKING:
    from mcp import ClientSession
    from mcp_types import Implementation

TIMEOUT = 10.0
SHOWN = 5  # tool names in the answer; the count is always complete
PAGES = 20  # tools/list pages followed before the count stops
REFUSED = {401: "refused the credential", 403: "refused the credential"}
MCP_TYPES = {"application/json", "text/event-stream", ""}  # "" for 202 Accepted and empty answers


async def check(connection: Connection, allow: frozenset[str] | None = None) -> str:
    """Initialize and list the tools: "MCP server 'x' 1.0 at <url>: 2 tools (a, b)", or ConnectionCheckFailed."""
    config = connection.config
    if not isinstance(config, McpConfig):
        raise ConnectionCheckFailed(f"connection '{connection.name}' is a {connection.kind} connection, not mcp")
    url = await _guarded_url(connection.name, config.url, http_allow() if allow is None else allow)
    headers = {config.header: config.value} if config.value else {}
    answers: list[Answer] = []
    try:
        with anyio.fail_after(TIMEOUT):
            server, tools = await _handshake(str(url), headers, answers)
    except Exception as exc:  # the SDK's failures share no base class: each one is said below, none is dropped
        reason = _reason(_first_cause(exc), answers, netguard.display_url(url), bool(config.value))
        raise ConnectionCheckFailed(f"connection '{connection.name}': {reason}") from None
    return _verdict(server, netguard.display_url(url), tools)


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP response the server gave: the SDK turns a refusal into a bare JSON-RPC error."""

    method: str
    url: str
    status: int
    content_type: str

    def __str__(self) -> str:
        return f"HTTP {self.status} from {self.method} {self.url}"


async def _guarded_url(name: str, text: str, allow: frozenset[str]) -> httpx.URL:
    try:
        url = httpx.URL(text)
        await netguard.check(url, allow)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ConnectionCheckFailed(f"connection '{name}': invalid URL: {exc}") from None
    except StepError as exc:
        raise ConnectionCheckFailed(f"connection '{name}': {exc.message}") from None
    return url


async def _handshake(url: str, headers: dict[str, str], answers: list[Answer]) -> tuple[Implementation, list[str]]:
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def record(response: httpx2.Response) -> None:
        request = response.request
        answers.append(Answer(request.method, netguard.display_url(httpx.URL(str(request.url))),
                              response.status_code, response.headers.get("content-type", "").split(";")[0]))

    async with (
        httpx2.AsyncClient(headers=headers, trust_env=False, timeout=TIMEOUT, verify=tls_context(),
                           event_hooks={"response": [record]}) as client,
        streamable_http_client(url, http_client=client) as (read, write),
        ClientSession(read, write, read_timeout_seconds=TIMEOUT) as session,
    ):
        initialized = await session.initialize()
        return initialized.server_info, await _tool_names(session)


async def _tool_names(session: ClientSession) -> list[str]:
    from mcp_types import PaginatedRequestParams

    names: list[str] = []
    cursor = None
    for _ in range(PAGES):
        listed = await session.list_tools(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
        names += [tool.name for tool in listed.tools]
        cursor = listed.next_cursor
        if cursor is None:
            break
    return names


def _verdict(server: Implementation, url: str, tools: list[str]) -> str:
    version = f" {server.version}" if server.version else ""
    shown = ", ".join(tools[:SHOWN]) + (", ..." if len(tools) > SHOWN else "")
    count = f"{len(tools)} tool" + ("" if len(tools) == 1 else "s") + (f" ({shown})" if tools else "")
    return f"MCP server '{server.name}'{version} at {url}: {count}"


def _first_cause(exc: BaseException) -> BaseException:
    """The first error inside the SDK's (nested) exception groups; a cancellation only when nothing else failed."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = next((e for e in exc.exceptions if isinstance(e, Exception)), exc.exceptions[0])
    return exc


def _reason(exc: BaseException, answers: list[Answer], url: str, with_credential: bool) -> str:
    """What went wrong, in one line: the HTTP answer that refused the handshake if any, else the error."""
    import httpx2
    from mcp.shared.exceptions import MCPError
    from mcp_types import PARSE_ERROR

    # Only POSTs carry the handshake; a 405 to the optional GET stream or the closing DELETE is fine.
    refusal = next((a for a in answers if a.method == "POST" and (a.status >= 400 or a.content_type not in MCP_TYPES)),
                   None)
    if refusal is not None:
        return _refused(refusal, with_credential)
    if isinstance(exc, TimeoutError | httpx2.TimeoutException):
        return f"no answer within {TIMEOUT:g} s from {url}"
    if isinstance(exc, MCPError) and exc.code == PARSE_ERROR:
        return f"not an MCP endpoint: its answer is not JSON-RPC ({url}): {_one_line(exc.message)}"
    if isinstance(exc, MCPError):
        return f"the MCP handshake failed: {_one_line(exc.message)} ({url})"
    if isinstance(exc, httpx2.ConnectError):
        return f"could not connect to {url}: {exc}"
    if isinstance(exc, httpx2.HTTPError):
        return f"the exchange with {url} failed: {type(exc).__name__}: {_one_line(str(exc))}"
    return f"{type(exc).__name__}: {_one_line(str(exc))} ({url})"


def _one_line(text: str, limit: int = 200) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[:limit] + "..."


def _refused(answer: Answer, with_credential: bool) -> str:
    if answer.status in REFUSED:
        what = REFUSED[answer.status] if with_credential else "requires a credential, and none is configured"
        return f"the server {what} ({answer})"
    if answer.status >= 500:
        return f"the server is failing ({answer})"
    kind = f", {answer.content_type}" if answer.content_type else ""
    return f"not an MCP endpoint ({answer}{kind}; an MCP server answers with JSON or an event stream)"


__all__ = ["check"]
