"""Who may start a run: an API key, a valid X-Loom-Signature for `auth: hmac`, anyone for `auth: none`.

Forged, stale, future and replayed signatures, hundreds of each, start no run."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations import signatures
from integrations.context import Loom

from .conftest import HELLO, HOOK_SECRET, OPEN, SIGNED, count_runs, save

ANONYMOUS = {"Authorization": ""}


def signed(body: bytes, *, secret: str = HOOK_SECRET, at: int | None = None) -> dict[str, str]:
    """Headers of a delivery signed as a sender would, computed here independently of the server's code."""
    t = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {**ANONYMOUS, "X-Loom-Signature": f"t={t},v1={digest}", "Content-Type": "application/json"}


def test_a_validly_signed_delivery_starts_a_run(client: TestClient, loom: Loom):
    save(client, SIGNED)
    body = json.dumps({"inputs": {"n": 21}}).encode()
    response = client.post("/api/v1/workflows/signed/runs?wait=5", content=body, headers=signed(body))
    assert response.status_code == 200, response.text
    assert response.json()["outputs"] == {"n": 42} and response.json()["trigger"] == {"channel": "webhook"}
    # A sender rotating its secret sends two signatures; one valid is enough.
    at = int(time.time()) - 60
    rotated = f"t={at},v1={'0' * 64},v1={signed(body, at=at)['X-Loom-Signature'].split('v1=')[1]}"
    with_two = client.post("/api/v1/workflows/signed/runs?wait=5", content=body,
                           headers={**ANONYMOUS, "X-Loom-Signature": rotated})
    assert with_two.status_code == 200 and with_two.json()["run_id"] != response.json()["run_id"]
    assert count_runs(loom, "signed") == 2


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=st.text(min_size=1, max_size=40).filter(lambda s: s != HOOK_SECRET),
       n=st.integers(-10**6, 10**6), skew=st.integers(-250, 250), tamper=st.booleans())
def test_forged_signatures_start_no_run(client: TestClient, loom: Loom, secret: str, n: int, skew: int,
                                        tamper: bool):
    save(client, SIGNED)
    body = json.dumps({"inputs": {"n": n}}).encode()
    headers = signed(body, secret=secret, at=int(time.time()) + skew)
    if tamper:  # signed with the right secret, but the body sent is not the body signed
        headers = signed(body, at=int(time.time()) + skew)
        body = json.dumps({"inputs": {"n": n + 1}}).encode()
    response = client.post("/api/v1/workflows/signed/runs", content=body, headers=headers)
    assert response.status_code == 401 and "does not match" in response.json()["detail"]
    assert count_runs(loom) == 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(age=st.one_of(st.integers(301, 10**9), st.integers(-10**9, -301)))
def test_stale_and_future_signatures_start_no_run(client: TestClient, loom: Loom, age: int):
    save(client, SIGNED)
    body = b'{"inputs": {"n": 1}}'
    response = client.post("/api/v1/workflows/signed/runs", content=body,
                           headers=signed(body, at=max(0, int(time.time()) - age)))
    assert response.status_code == 401 and "300 s" in response.json()["detail"]
    assert count_runs(loom) == 0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.one_of(st.none(), st.text(max_size=200), st.from_regex(r"t=\d{1,12},v1=[0-9a-f]{0,80}")))
def test_malformed_signature_headers_start_no_run(client: TestClient, loom: Loom, header: str | None):
    save(client, SIGNED)
    headers = dict(ANONYMOUS)
    if header is not None and header.isascii() and header.isprintable():
        headers["X-Loom-Signature"] = header
    response = client.post("/api/v1/workflows/signed/runs", content=b'{"inputs": {"n": 1}}', headers=headers)
    assert response.status_code == 401 and "X-Loom-Signature" in response.json()["detail"]
    assert count_runs(loom) == 0


def test_replayed_deliveries_answer_with_the_first_run_and_start_no_other(client: TestClient, loom: Loom):
    save(client, SIGNED)
    body = b'{"inputs": {"n": 5}}'
    headers = signed(body)
    first = client.post("/api/v1/workflows/signed/runs", content=body, headers=headers)
    assert first.status_code == 202
    for attempt in range(200):
        # The captured request again; some replays add an Idempotency-Key of their own, which must not help.
        extra = {"Idempotency-Key": f"fresh-{attempt}"} if attempt % 2 else {}
        replay = client.post("/api/v1/workflows/signed/runs", content=body, headers={**headers, **extra})
        assert replay.status_code in (200, 202) and replay.json()["run_id"] == first.json()["run_id"]
        assert replay.headers["idempotent-replayed"] == "true"
    assert count_runs(loom) == 1
    # The sender's own retry, signed anew with the same Idempotency-Key, is the same delivery too.
    retry_headers = {**signed(body, at=int(time.time()) - 100), "Idempotency-Key": "order-7"}
    retried = [client.post("/api/v1/workflows/signed/runs", content=body, headers=retry_headers).json()["run_id"]
               for _ in range(2)]
    again = client.post("/api/v1/workflows/signed/runs", content=body,
                        headers={**signed(body, at=int(time.time()) - 200), "Idempotency-Key": "order-7"})
    assert again.json()["run_id"] == retried[0] == retried[1]
    assert count_runs(loom) == 2


def test_the_signing_secret_must_be_set_on_the_server(client: TestClient, loom: Loom):
    save(client, SIGNED.replace("secret: hook_key", "secret: unset_key"))
    body = b'{"inputs": {"n": 1}}'
    response = client.post("/api/v1/workflows/signed/runs", content=body, headers=signed(body))
    assert response.status_code == 401 and "LOOM_SECRET_UNSET_KEY is not set" in response.json()["detail"]
    assert count_runs(loom) == 0


def test_an_api_key_runs_any_workflow_and_a_wrong_one_is_refused(client: TestClient, loom: Loom):
    save(client, SIGNED)
    save(client, "loom: 1\nname: manual\nsteps:\n  - {id: a, type: set, values: {v: 1}}\n")
    assert client.post("/api/v1/workflows/signed/runs", json={"inputs": {"n": 1}}).status_code == 202
    assert client.post("/api/v1/workflows/manual/runs", json={}).status_code == 202
    forged = client.post("/api/v1/workflows/signed/runs", json={"inputs": {"n": 1}},
                         headers={"Authorization": "Bearer loom_0000_forged"})
    assert forged.status_code == 401
    assert client.post("/api/v1/workflows/manual/runs", json={}, headers=ANONYMOUS).status_code == 401
    assert count_runs(loom) == 2


def test_api_key_webhooks_refuse_anonymous_and_signed_calls(client: TestClient, loom: Loom):
    save(client, HELLO)
    body = b"{}"
    assert client.post("/api/v1/workflows/hello/runs", content=body, headers=ANONYMOUS).status_code == 401
    assert client.post("/api/v1/workflows/hello/runs", content=body, headers=signed(body)).status_code == 401
    unknown = client.post("/api/v1/workflows/who-knows/runs", content=body, headers=ANONYMOUS)
    assert unknown.status_code == 401  # not 404: names cannot be probed without a key
    assert client.post("/api/v1/workflows/who-knows/runs", content=body).status_code == 404
    assert count_runs(loom) == 0


def test_auth_none_lets_anyone_start_only_that_workflow(client: TestClient, loom: Loom):
    save(client, OPEN)
    save(client, HELLO)
    response = client.post("/api/v1/workflows/open-door/runs?wait=5", headers=ANONYMOUS)
    assert response.status_code == 200 and response.json()["status"] == "succeeded"
    assert client.post("/api/v1/workflows/hello/runs", headers=ANONYMOUS).status_code == 401
    assert count_runs(loom) == 1


def test_signatures_round_trip_and_refuse_what_they_should():
    body = b'{"a": 1}'
    header = signatures.sign("k", body, timestamp=1_000_000)
    assert signatures.verify(header, body, "k", now=1_000_100) == 1_000_000
    for bad, now in ((header, 1_000_301), (header.replace("t=1000000", "t=1000001"), 1_000_000),
                     ("t=abc,v1=00", 1_000_000), ("v1=00", 1_000_000), ("", 1_000_000)):
        try:
            signatures.verify(bad, body, "k", now=now)
        except signatures.SignatureError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
