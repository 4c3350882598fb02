"""A secret canary in every kind of credential a run uses (an http header, a query string and a URL
path, an SMTP login, a SQL URL, an S3 key, the Telegram bot token) is used for real and appears
nowhere a person or a file could read it: not in the server log, the run's record, its server-sent
events, its error messages and replies, its MLflow trace, nor the raw bytes of any file under
LOOM_HOME (the vault's ciphertext aside)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from integrations.context import Loom
from integrations.server import create_app
from integrations.settings import Settings
from tests.peers.local_server import LocalServer, Received
from tests.peers.s3 import S3Server, moto_s3
from tests.peers.smtp import SmtpPeer, smtp_server
from tests.peers.telegram import FakeBotApi, fake_bot_api

HTTP_CANARY = "canary-http-7f3kq2zr"
SMTP_CANARY = "canary-smtp-9x8wv1lb"
SQL_CANARY = "canary-sql-4m2qh6tn"
S3_CANARY = "canary-s3-5t6ypw0d"
BOT_TOKEN = "123456:canary-bot-token-2kd8"
CANARIES = (HTTP_CANARY, SMTP_CANARY, SQL_CANARY, S3_CANARY, BOT_TOKEN)

WORKFLOW = """\
loom: 1
name: canary
inputs:
  base: {type: string}
triggers:
  - {type: webhook}
steps:
  - id: call
    type: http
    method: POST
    url: "${{ inputs.base }}/echo"
    headers: {Authorization: "Bearer ${{ secrets.API_TOKEN }}"}
    query: {api_key: "${{ secrets.API_TOKEN }}"}
    json: {note: sent}
  - id: leaky_url
    type: http
    url: "${{ inputs.base }}/services/${{ secrets.API_TOKEN }}"
    on_error: continue
  - id: mail
    type: email
    connection: mailer
    to: ops@example.org
    subject: nightly report
    body: all good
  - id: query
    type: sql
    connection: pg
    query: SELECT 1 AS one
  - id: upload
    type: file
    connection: bucket
    op: write
    path: canary.txt
    content: hello
  - id: page
    type: send
    channel: telegram
    to: "4242"
    text: nightly report sent
  - id: tell
    type: reply
    text: "echoed ${{ steps.call.output.text }}; then ${{ steps.leaky_url.error.message }}"
outputs:
  echoed: ${{ steps.call.output.json }}
  failure: ${{ steps.leaky_url.error.message }}
"""


def echo(request: Received) -> tuple[int, dict, dict]:
    """A server that repeats what it was sent, credentials included, as careless APIs do."""
    if request.path.startswith("/services/"):
        return 404, {}, {"error": f"no service at {request.path}"}
    return 200, {}, {"headers": dict(request.headers), "path": request.path}


@pytest.fixture
def smtp() -> Iterator[SmtpPeer]:
    with smtp_server("none", users={"reporter": SMTP_CANARY}) as peer:
        yield peer


@pytest.fixture
def s3() -> Iterator[S3Server]:
    with moto_s3() as server:
        yield server


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with fake_bot_api(BOT_TOKEN) as api:
        yield api


@pytest.fixture
def loom(loom_home: Path, bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> Loom:
    monkeypatch.setenv("LOOM_HTTP_ALLOW", "127.0.0.1")
    return Loom.open(Settings(home=loom_home, tracing=True, telegram_bot_token=BOT_TOKEN,
                              telegram_api_base_url=bot_api.url))


def configure(client: TestClient, smtp: SmtpPeer, s3: S3Server) -> None:
    """Everything through the API, as an operator would."""
    bucket = s3.bucket()
    settings = {
        "mailer": ("smtp", smtp.settings(username="reporter", password=SMTP_CANARY)),
        "pg": ("sql", {"url": f"postgresql+psycopg://root:{SQL_CANARY}@127.0.0.1:5432/test"}),
        "bucket": ("s3", {"bucket": bucket.name, "endpoint_url": bucket.endpoint, "region": "us-east-1",
                          "access_key_id": "AKIACANARY", "secret_access_key": S3_CANARY}),
    }
    assert client.put("/api/v1/secrets/API_TOKEN", json={"value": HTTP_CANARY}).status_code == 204
    for name, (kind, values) in settings.items():
        response = client.put(f"/api/v1/connections/{name}", json={"kind": kind, "settings": values})
        assert response.status_code in (200, 201, 204), response.text


def test_a_secret_canary_is_used_but_never_shown_or_stored(loom: Loom, server: LocalServer, smtp: SmtpPeer,
                                                          s3: S3Server, bot_api: FakeBotApi,
                                                          caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    server.handle = echo
    api_key = loom.keys.create("canary")[1]
    with TestClient(create_app(loom, ui=False), headers={"Authorization": f"Bearer {api_key}"}) as client:
        configure(client, smtp, s3)
        assert client.put("/api/v1/workflows/canary", content=WORKFLOW,
                          headers={"Content-Type": "application/yaml"}).json()["warnings"] == []
        started = client.post("/api/v1/workflows/canary/runs?wait=30", json={"inputs": {"base": server.url}})
        run = started.json()
        assert run["status"] == "succeeded", run
        run_id = run["run_id"]
        events = client.get(f"/api/v1/runs/{run_id}/events").text
        record = client.get(f"/api/v1/runs/{run_id}").text
        listed = client.get("/api/v1/secrets").text + client.get("/api/v1/connections").text
        tested = client.post("/api/v1/connections/mailer/test").text
        loom.extras["tracing"].flush()
        traces = _traces(loom)

    # The credentials were really used...
    assert server.requests[0].headers["authorization"] == f"Bearer {HTTP_CANARY}"
    assert server.requests[0].path == f"/echo?api_key={HTTP_CANARY}"
    assert [message.login for message in smtp.received] == ["reporter"]
    assert "nightly report sent" in bot_api.texts("4242")
    assert run["outputs"]["echoed"]["headers"]["authorization"] == "Bearer ***"
    assert "***" in run["outputs"]["failure"] and "HTTP 404" in run["outputs"]["failure"]
    assert "logged in" in tested
    # ...and shown nowhere.
    said = {"response": started.text, "record": record, "events": events, "lists": listed, "test": tested,
            "log": caplog.text, "traces": traces, "mail": repr(smtp.received)}
    for where, text in said.items():
        for canary in CANARIES:
            assert canary not in text, f"{canary} appears in the {where}"
    for path in sorted(p for p in loom.settings.home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for canary in CANARIES:
            assert canary.encode() not in data, f"{canary} appears in {path}"


def _traces(loom: Loom) -> str:
    import mlflow

    tracer = loom.extras["tracing"]
    experiment = tracer.tracking.experiment(tracer.experiment)
    traces = mlflow.search_traces(locations=[experiment], return_type="list")
    assert traces, "the run was not traced"
    return json.dumps([json.loads(trace.to_json()) for trace in traces])
