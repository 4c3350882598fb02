"""The `http` step against a real server on loopback, and its SSRF guard."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

import engine
from engine.steps.http import MAX_BODY_BYTES, retry_after

ALLOW_LOCAL = frozenset({"127.0.0.1"})


def workflow(step: str, outputs: str = "result: ${{ steps.call.output }}") -> engine.Workflow:
    return engine.loads(f"""
loom: 1
name: http-test
inputs:
  url: {{type: string}}
steps:
  - id: call
    type: http
{step}
outputs:
  {outputs}
""")


async def run(wf: engine.Workflow, url: str, allow: frozenset[str] = ALLOW_LOCAL) -> engine.RunResult:
    services = engine.Services(store=engine.MemoryStore(), http_allow=allow)
    return await engine.run(wf, {"url": url}, services=services)


async def test_get_returns_status_headers_text_and_parsed_json(server):
    server.script((200, {"X-Thing": "yes"}, {"items": [1, 2]}))
    wf = workflow("    url: ${{ inputs.url }}\n    query: {q: hello world, n: 3}")

    result = await run(wf, server.url + "/items")

    assert result.status == "succeeded", result.error
    output = result.outputs["result"]
    assert output["status"] == 200
    assert output["json"] == {"items": [1, 2]}
    assert json.loads(output["text"]) == {"items": [1, 2]}
    assert output["headers"]["x-thing"] == "yes"
    assert output["elapsed_ms"] >= 0
    assert server.requests[0].method == "GET"
    assert server.requests[0].path == "/items?q=hello+world&n=3"


async def test_text_response_has_null_json(server):
    server.script((200, {"Content-Type": "text/plain; charset=utf-8"}, "plain words"))

    result = await run(workflow("    url: ${{ inputs.url }}"), server.url)

    assert result.outputs["result"]["text"] == "plain words"
    assert result.outputs["result"]["json"] is None


async def test_post_sends_rendered_json_body_and_headers(server):
    server.script((201, {}, {"ok": True}))
    wf = workflow("""    method: POST
    url: ${{ inputs.url }}
    headers: {X-Source: "loom ${{ run.workflow }}"}
    json: {name: "${{ inputs.url }}", tags: [a, b]}""")

    result = await run(wf, server.url + "/things")

    assert result.status == "succeeded", result.error
    request = server.requests[0]
    assert request.method == "POST"
    assert request.json() == {"name": server.url + "/things", "tags": ["a", "b"]}
    assert request.headers["x-source"] == "loom http-test"
    assert request.headers["content-type"] == "application/json"


async def test_retries_5xx_with_the_same_idempotency_key(server):
    server.script((503, {}, "busy"), (503, {}, "busy"), (200, {}, {"done": True}))
    wf = workflow("""    method: POST
    url: ${{ inputs.url }}
    body: hello
    retry: {max_attempts: 5, delay: 10ms, on: [http_5xx]}""")

    result = await run(wf, server.url)

    assert result.status == "succeeded", result.error
    assert result.steps[0].attempts == 3
    keys = {request.headers["idempotency-key"] for request in server.requests}
    assert len(server.requests) == 3 and len(keys) == 1 and keys != {""}
    assert server.requests[2].body == b"hello"


async def test_user_idempotency_key_is_kept(server):
    wf = workflow("    url: ${{ inputs.url }}\n    headers: {idempotency-key: mine}")

    await run(wf, server.url)

    assert server.requests[0].headers["idempotency-key"] == "mine"


async def test_429_waits_for_retry_after(server):
    server.script((429, {"Retry-After": "0.3"}, "slow down"), (200, {}, {}))
    wf = workflow("""    url: ${{ inputs.url }}
    retry: {max_attempts: 2, delay: 1ms, jitter: false, on: [http_429]}""")

    started = time.perf_counter()
    result = await run(wf, server.url)

    assert result.status == "succeeded", result.error
    assert result.steps[0].attempts == 2
    assert time.perf_counter() - started >= 0.3


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("7") == 7.0
    assert retry_after(None) is None
    assert retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < retry_after(later) <= 30
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize(("status", "kind"), [(500, "http_5xx"), (404, "http_error"), (429, "http_429")])
async def test_unexpected_status_fails_with_its_class(server, status, kind):
    server.script((status, {}, "nope"))

    result = await run(workflow("    url: ${{ inputs.url }}"), server.url + "/missing")

    assert result.status == "failed"
    assert result.error["type"] == kind
    assert f"HTTP {status}" in result.error["message"] and "/missing" in result.error["message"]


async def test_expect_status_decides_success(server):
    server.script((404, {}, {"found": False}))
    wf = workflow("    url: ${{ inputs.url }}\n    expect_status: [200, 404]")

    assert (await run(wf, server.url)).outputs["result"]["status"] == 404

    server.script((200, {}, {}))
    wf = workflow("    url: ${{ inputs.url }}\n    expect_status: [201]")
    assert (await run(wf, server.url)).error["type"] == "http_error"


async def test_follows_redirects_within_allowed_hosts(server):
    server.handle = lambda r: (302, {"Location": "/final"}, "") if r.path == "/start" else (200, {}, {"at": r.path})

    result = await run(workflow("    url: ${{ inputs.url }}"), server.url + "/start")

    assert result.outputs["result"]["json"] == {"at": "/final"}
    assert [r.path for r in server.requests] == ["/start", "/final"]


async def test_too_many_redirects_fail(server):
    server.script((302, {"Location": "/again"}, ""))

    result = await run(workflow("    url: ${{ inputs.url }}"), server.url)

    assert result.error["type"] == "http_error" and "redirects" in result.error["message"]
    assert len(server.requests) == 6


async def test_body_over_the_cap_fails_clearly(server):
    server.script((200, {}, b"x" * (MAX_BODY_BYTES + 1)))

    result = await run(workflow("    url: ${{ inputs.url }}"), server.url)

    assert result.error["type"] == "http_error" and "larger than" in result.error["message"]


async def test_connection_refused_is_retryable_as_5xx():
    result = await run(workflow("    url: ${{ inputs.url }}"), "http://127.0.0.1:1/")  # nothing listens on port 1

    assert result.error["type"] == "http_5xx"


# ---- SSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "[::ffff:127.0.0.1]",
                                  "localhost", "metadata.google.internal", "[fd00:ec2::254]"])
async def test_private_addresses_are_refused_without_allow_list(server, host):
    url = f"http://{host}:{server.port}/secret"

    result = await run(workflow("    url: ${{ inputs.url }}"), url, allow=frozenset())

    assert result.status == "failed"
    assert result.error["type"] == "blocked"
    assert "LOOM_HTTP_ALLOW" in result.error["message"]
    assert host.strip("[]") in result.error["message"]
    assert server.requests == []


async def test_blocked_is_not_retried_by_specific_classes(server):
    wf = workflow("    url: ${{ inputs.url }}\n    retry: {max_attempts: 3, delay: 1ms, on: [timeout, http_5xx]}")

    result = await run(wf, server.url, allow=frozenset())

    assert result.error["type"] == "blocked" and result.steps[0].attempts == 1


async def test_allow_list_accepts_host_and_port(server):
    allow = frozenset({f"127.0.0.1:{server.port}"})
    result = await run(workflow("    url: ${{ inputs.url }}"), server.url, allow=allow)
    assert result.status == "succeeded", result.error

    result = await run(workflow("    url: ${{ inputs.url }}"), server.url, allow=frozenset({"127.0.0.1:1"}))
    assert result.error["type"] == "blocked"


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://localhost:{port}/admin"])
async def test_redirect_to_a_refused_address_is_refused(server, target):
    server.script((302, {"Location": target.format(port=server.port)}, ""))

    result = await run(workflow("    url: ${{ inputs.url }}"), server.url + "/go")

    assert result.error["type"] == "blocked"
    assert [r.path for r in server.requests] == ["/go"]


def test_a_checked_request_is_pinned_to_the_address_but_names_the_host():
    import httpx

    from engine.runtime.netguard import Target

    target = Target(httpx.URL("https://example.org:8443/x?y=1"), "93.184.215.14")
    request = target.request(httpx.AsyncClient(), "GET", {"Accept": "*/*"})

    assert str(request.url) == "https://93.184.215.14:8443/x?y=1"
    assert request.headers["host"] == "example.org:8443"
    assert request.extensions["sni_hostname"] == "example.org"
