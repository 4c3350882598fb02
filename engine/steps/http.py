"""`http`: call a URL with httpx.

Every hop (the URL and each redirect) goes through `runtime.netguard`: private and
metadata addresses are refused unless `LOOM_HTTP_ALLOW` names the host. Failures are
classified for `retry.on`: a status outside `expect_status` is `http_5xx`, `http_429`
(with its Retry-After) or `http_error`; a timeout is `timeout`; a refused or reset
connection is `http_5xx` (the server is unavailable, as with a 503); an invalid URL,
an unknown host, too many redirects or a body over 10 MiB is `http_error`; a refused
address is `blocked`.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import httpx
from pydantic import model_validator

from ..errors import StepError
from ..language.base import described
from ..runtime import netguard
from ..runtime.netguard import display_url
from ..runtime.tls import tls_context
from .base import Step
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext

MAX_BODY_BYTES = 10 * 2**20
MAX_REDIRECTS = 5
DEFAULT_TIMEOUT = 30.0
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CROSS_ORIGIN_DROPPED = frozenset({"authorization", "cookie", "proxy-authorization"})


@register_step_type
class HttpStep(Step):
    external: ClassVar = True
    template_fields: ClassVar = frozenset({"url", "headers", "query", "json", "body"})
    secret_fields: ClassVar = template_fields

    type: Literal["http"] = described("Step type.")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = described(
        "HTTP method.", default="GET"
    )
    url: str = described("The URL; a template.", examples=["${{ inputs.url }}", "https://api.example.org/items"])
    headers: dict[str, str] = described("Request headers; values may be templates.", default_factory=dict)
    query: dict[str, Any] = described("Query parameters.", default_factory=dict)
    json_: Any = described("A JSON body; strings in it may be templates.", default=None, alias="json")
    body: str | None = described("A raw text body.", default=None)
    expect_status: list[int] | None = described(
        "Statuses that count as success; by default any 2xx or 3xx.", default=None,
        examples=[[200, 201]],
    )

    @model_validator(mode="after")
    def _one_body(self):
        if self.json_ is not None and self.body is not None:
            raise ValueError("an http step takes `json` or `body`, not both")
        return self

    async def execute(self, ctx: StepContext) -> dict[str, Any]:
        headers = {str(k): str(v) for k, v in (ctx.render(self.headers) or {}).items()}
        if not any(key.lower() == "idempotency-key" for key in headers):
            headers["Idempotency-Key"] = ctx.idempotency_key()
        url = parse_url(ctx.render(self.url), ctx.render(self.query))
        body = {"json": ctx.render(self.json_)} if self.json_ is not None else {}
        if self.body is not None:
            body = {"content": str(ctx.render(self.body))}
        timeout = ctx.timeout(DEFAULT_TIMEOUT)
        started = time.perf_counter()
        async with httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout,
                                     verify=tls_context()) as client:
            response, content = await send_guarded(client, self.method, url, headers, body, ctx.services.http_allow)
        elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
        self._check_status(response, content)
        text = content.decode(response.encoding or "utf-8", errors="replace")
        return {"status": response.status_code, "headers": dict(response.headers.items()), "text": text,
                "json": _json(response, text), "elapsed_ms": elapsed_ms}

    def _check_status(self, response: httpx.Response, content: bytes) -> None:
        status = response.status_code
        expected = self.expect_status if self.expect_status is not None else range(200, 400)
        if status in expected:
            return
        snippet = content[:300].decode(response.encoding or "utf-8", errors="replace").strip()
        message = f"HTTP {status} from {self.method} {display_url(response.request.url)}"
        message += f": {snippet}" if snippet else ""
        if status == 429:
            raise StepError(message, "http_429", retry_after=retry_after(response.headers.get("retry-after")))
        if status >= 500:
            raise StepError(message, "http_5xx", retry_after=retry_after(response.headers.get("retry-after")))
        raise StepError(message, "http_error")


async def send_guarded(client: httpx.AsyncClient, method: str, url: httpx.URL, headers: dict[str, str],
                body: dict[str, Any], allow: frozenset[str]) -> tuple[httpx.Response, bytes]:
    """Send the request, following redirects one checked hop at a time."""
    for _ in range(MAX_REDIRECTS + 1):
        target = await netguard.check(url, allow)
        response, content = await _exchange(client, target.request(client, method, headers, **body))
        location = response.headers.get("location")
        if response.status_code not in REDIRECTS or location is None:
            return response, content
        next_url = url.join(location)
        if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
            method = "GET" if method != "HEAD" else method
            body = {}
        if (next_url.scheme, next_url.host, next_url.port) != (url.scheme, url.host, url.port):
            headers = {k: v for k, v in headers.items() if k.lower() not in CROSS_ORIGIN_DROPPED}
        url = next_url
    raise StepError(f"more than {MAX_REDIRECTS} redirects, last to {display_url(url)}", "http_error")


async def _exchange(client: httpx.AsyncClient, request: httpx.Request) -> tuple[httpx.Response, bytes]:
    try:
        response = await client.send(request, stream=True)
    except httpx.TimeoutException as exc:
        raise StepError(f"{request.method} {display_url(request.url)} timed out ({type(exc).__name__})",
                        "timeout") from None
    except httpx.TransportError as exc:
        # Refused or reset connections are the server being unavailable: retried like a 5xx.
        raise StepError(f"{request.method} {display_url(request.url)} failed: {exc or type(exc).__name__}",
                        "http_5xx") from None
    try:
        return response, await _read_capped(response)
    except httpx.TimeoutException:
        raise StepError(f"{request.method} {display_url(request.url)} timed out reading the response",
                        "timeout") from None
    except httpx.TransportError as exc:
        raise StepError(f"{request.method} {display_url(request.url)} failed reading the response: {exc}",
                        "http_5xx") from None
    finally:
        await response.aclose()


async def _read_capped(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large(response)
    chunks = bytearray()
    async for chunk in response.aiter_bytes():
        chunks += chunk
        if len(chunks) > MAX_BODY_BYTES:
            raise _too_large(response)
    return bytes(chunks)


def _too_large(response: httpx.Response) -> StepError:
    return StepError(f"the response of {response.request.method} {display_url(response.request.url)} is larger "
                     f"than {MAX_BODY_BYTES // 2**20} MiB, the most an http step reads", "http_error")


def parse_url(url: Any, query: Any) -> httpx.URL:
    try:
        parsed = httpx.URL(str(url))
    except httpx.InvalidURL as exc:
        raise StepError(f"invalid URL: {exc}", "http_error") from None
    if query:
        parsed = parsed.copy_merge_params({str(k): _query_value(v) for k, v in query.items()})
    return parsed


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_query_value(v) for v in value]
    return "" if value is None else str(value)


def _json(response: httpx.Response, text: str) -> Any:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (content_type == "application/json" or content_type.endswith("+json")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
