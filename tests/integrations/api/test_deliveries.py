"""Each delivery is taken once: Idempotency-Key repeats answer with the first run, even 50 at once;
bodies are limited while they are read (413) and each key is rate limited (429 with Retry-After)."""

from __future__ import annotations

import asyncio
import json

import httpx
from fastapi.testclient import TestClient

from integrations.context import Loom
from integrations.ratelimit import RateLimiter

from .conftest import HELLO, SIGNED, LiveServer, count_runs, save
from .test_webhook_auth import signed


def test_a_repeated_key_answers_with_the_first_run_and_another_body_conflicts(client: TestClient, loom: Loom):
    save(client, HELLO)
    key = {"Idempotency-Key": "order-1"}
    first = client.post("/api/v1/workflows/hello/runs", json={"inputs": {"who": "A"}}, headers=key)
    assert first.status_code == 202 and "idempotent-replayed" not in first.headers
    again = client.post("/api/v1/workflows/hello/runs?wait=5", json={"inputs": {"who": "A"}}, headers=key)
    assert again.status_code == 200 and again.json()["run_id"] == first.json()["run_id"]
    assert again.json()["outputs"] == {"text": "hello A"} and again.headers["idempotent-replayed"] == "true"
    other = client.post("/api/v1/workflows/hello/runs", json={"inputs": {"who": "B"}}, headers=key)
    assert other.status_code == 409 and "different body" in other.json()["detail"]
    assert count_runs(loom) == 1
    # Keys are scoped per workflow and per API key: the same key elsewhere is another delivery.
    save(client, HELLO.replace("name: hello", "name: hello-two"))
    elsewhere = client.post("/api/v1/workflows/hello-two/runs", json={"inputs": {"who": "A"}}, headers=key)
    assert elsewhere.status_code == 202 and elsewhere.json()["run_id"] != first.json()["run_id"]
    _, other_key = loom.keys.create("another client")
    theirs = client.post("/api/v1/workflows/hello/runs", json={"inputs": {"who": "A"}},
                         headers={**key, "Authorization": f"Bearer {other_key}"})
    assert theirs.status_code == 202 and theirs.json()["run_id"] != first.json()["run_id"]
    assert count_runs(loom) == 3
    assert client.post("/api/v1/workflows/hello/runs", json={}, headers={"Idempotency-Key": "x" * 129}).status_code \
        == 422


def test_a_request_refused_for_its_inputs_does_not_use_up_its_key(client: TestClient, loom: Loom):
    save(client, HELLO)
    key = {"Idempotency-Key": "retry-me"}
    bad = client.post("/api/v1/workflows/hello/runs", json={"inputs": {"who": 7}}, headers=key)
    assert bad.status_code == 422
    good = client.post("/api/v1/workflows/hello/runs", json={"inputs": {"who": "7"}}, headers=key)
    assert good.status_code == 202
    assert count_runs(loom) == 1


async def _burst(url: str, headers: dict, body: bytes, times: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=times, max_keepalive_connections=times)
    async with httpx.AsyncClient(base_url=url, timeout=20, limits=limits) as http:
        return await asyncio.gather(*(http.post("/api/v1/workflows/hello/runs", content=body, headers=headers)
                                      for _ in range(times)))


async def test_fifty_concurrent_identical_deliveries_make_exactly_one_run(loom: Loom, api_key: str, live: LiveServer):
    async with httpx.AsyncClient(base_url=live.url, headers={"Authorization": f"Bearer {api_key}"}) as http:
        await http.put("/api/v1/workflows/hello", content=HELLO, headers={"Content-Type": "application/yaml"})
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "delivery-50",
               "Content-Type": "application/json"}
    responses = await _burst(live.url, headers, json.dumps({"inputs": {"who": "many"}}).encode(), 50)
    assert {r.status_code for r in responses} <= {200, 202}, [r.text for r in responses if r.status_code >= 300]
    assert len({r.json()["run_id"] for r in responses}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
    assert count_runs(loom) == 1


async def test_fifty_concurrent_copies_of_a_signed_delivery_make_exactly_one_run(loom: Loom, api_key: str,
                                                                                 live: LiveServer):
    async with httpx.AsyncClient(base_url=live.url, headers={"Authorization": f"Bearer {api_key}"}) as http:
        await http.put("/api/v1/workflows/signed", content=SIGNED, headers={"Content-Type": "application/yaml"})
    body = b'{"inputs": {"n": 4}}'
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=live.url, timeout=20, limits=limits) as http:
        responses = await asyncio.gather(*(http.post("/api/v1/workflows/signed/runs", content=body,
                                                     headers=signed(body)) for _ in range(50)))
    assert len({r.json()["run_id"] for r in responses}) == 1
    assert count_runs(loom) == 1


def test_a_body_over_one_mebibyte_is_refused_while_it_is_read(client: TestClient, loom: Loom, live: LiveServer,
                                                              api_key: str):
    save(client, HELLO)
    big = json.dumps({"inputs": {"who": "x" * (1024 * 1024)}}).encode()
    declared = client.post("/api/v1/workflows/hello/runs", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413

    def chunks():  # no Content-Length: the limit must hold while the body streams in
        for start in range(0, len(big), 64 * 1024):
            yield big[start:start + 64 * 1024]

    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=20) as http:
        streamed = http.post("/api/v1/workflows/hello/runs", content=chunks())
        assert streamed.status_code == 413
        workflow = http.put("/api/v1/workflows/hello", content=b"#" * (1024 * 1024 + 1),
                            headers={"Content-Type": "application/yaml"})
        assert workflow.status_code == 413
    assert count_runs(loom) == 0
    assert client.post("/api/v1/workflows/hello/runs", content=big[:1000] + b"\"}}",
                       headers={"Content-Type": "application/json"}).status_code == 202


def test_a_key_over_its_rate_limit_is_told_when_to_retry(client: TestClient, loom: Loom):
    save(client, HELLO)
    loom.extras["ratelimit"] = RateLimiter(rate=0.5, burst=3)
    answers = [client.post("/api/v1/workflows/hello/runs", json={}) for _ in range(5)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
    assert int(answers[-1].headers["retry-after"]) == 2 and "rate limit" in answers[-1].json()["detail"]
    assert client.get("/api/v1/runs").status_code == 429  # every route with a key counts
    _, other = loom.keys.create("someone else")
    assert client.get("/api/v1/runs", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    assert count_runs(loom) == 3


def test_rate_limit_settings_are_read_and_checked():
    assert RateLimiter.from_env({}).rate == 2000
    limiter = RateLimiter.from_env({"LOOM_RATE_LIMIT": "10/s,20"})
    assert (limiter.rate, limiter.burst) == (10, 20)
    assert RateLimiter.from_env({"LOOM_RATE_LIMIT": "off"}) is None
    try:
        RateLimiter.from_env({"LOOM_RATE_LIMIT": "fast"})
    except ValueError as exc:
        assert "LOOM_RATE_LIMIT" in str(exc) and "RATE[,BURST]" in str(exc)
    else:
        raise AssertionError("a malformed LOOM_RATE_LIMIT was accepted")
    bucket = RateLimiter(rate=1, burst=1)
    assert bucket.take("a", now=0) == 0 and bucket.take("a", now=0.25) == 0.75 and bucket.take("a", now=1) == 0
