"""`http` connections: the "Test" action, one GET of the base URL with the credential header.

The request goes through the same SSRF guard and redirect handling as an `http` step
(`steps.http.send_guarded`): a base URL on loopback or a private network is refused unless
`LOOM_HTTP_ALLOW` names its host, and the credential header is dropped on a redirect to
another origin. So a passing test means a step would reach the server the same way.

What the status means: below 400 the server answered and took the request; 401, 403 and 407
mean it refused the credential, and 5xx that it is failing, so those fail the test. Other 4xx
pass as "reachable": many APIs have nothing at their base URL (404, 405), and the credential
was not refused.
"""

from __future__ import annotations

import httpx

from ..connections.check import ConnectionCheckFailed
from ..connections.connection import Connection
from ..connections.kinds import HttpConfig
from ..errors import StepError
from ..runtime.netguard import display_url
from ..runtime.services import http_allow
from ..runtime.tls import tls_context
from ..steps.http import send_guarded

TIMEOUT = 10.0
REFUSED = {401: "refused the credential", 403: "refused the credential", 407: "a proxy refused the credential"}


async def check(connection: Connection, allow: frozenset[str] | None = None) -> str:
    """GET the base URL with the credential: "HTTP 200 from GET <url>", or ConnectionCheckFailed."""
    config = connection.config
    if not isinstance(config, HttpConfig):
        raise ConnectionCheckFailed(f"connection '{connection.name}' is a {connection.kind} connection, not http")
    headers = {config.header: config.value} if config.value else {}
    try:
        url = httpx.URL(config.base_url)
        async with httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=TIMEOUT,
                                     verify=tls_context()) as client:
            response, _ = await send_guarded(client, "GET", url, headers, {},
                                             http_allow() if allow is None else allow)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ConnectionCheckFailed(f"connection '{connection.name}': invalid base URL: {exc}") from None
    except StepError as exc:
        raise ConnectionCheckFailed(f"connection '{connection.name}': {exc.message}") from None
    return _verdict(connection.name, url, response.status_code, bool(config.value))


def _verdict(name: str, url: httpx.URL, status: int, with_credential: bool) -> str:
    # The URL as configured: the request itself went to the checked address, and maybe redirects.
    answered = f"HTTP {status} from GET {display_url(url)}"
    if status in REFUSED:
        what = REFUSED[status] if with_credential else "requires a credential, and none is configured"
        raise ConnectionCheckFailed(f"connection '{name}': the server {what} ({answered})")
    if status >= 500:
        raise ConnectionCheckFailed(f"connection '{name}': the server is failing ({answered})")
    if status >= 400:
        return f"reachable: {answered} (nothing at the base URL itself; the credential was not refused)"
    return answered
