"""`send` steps deliver through a loopback webhook receiver, a fake Telegram Bot API and a fake
Twilio API, with the channel clients the server builds from its settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import engine
from integrations.chat_routing import channel_senders
from integrations.settings import Settings
from tests.peers.telegram import FakeBotApi, fake_bot_api
from tests.peers.twilio import FakeTwilio, fake_twilio

TOKEN = "123456:send-step-token"
SID, AUTH = "AC" + "1" * 32, "twilio-auth-token"
RETRY = "retry: {max_attempts: 3, delay: 10ms, max_delay: 50ms, on: [http_5xx, http_429]}"


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with fake_bot_api(TOKEN) as api:
        yield api


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio(SID, AUTH) as fake:
        yield fake


@pytest.fixture
def senders(bot_api: FakeBotApi, twilio: FakeTwilio, tmp_path: Path):
    return channel_senders(Settings(home=tmp_path, telegram_bot_token=TOKEN, telegram_api_base_url=bot_api.url,
                                    twilio_account_sid=SID, twilio_auth_token=AUTH,
                                    twilio_whatsapp_from="+15550001111", twilio_api_base_url=twilio.url))


def workflow(channel: str, to: str = "${{ inputs.to }}", text: str = "Hello ${{ inputs.name }}",
             extra: str = "") -> engine.Workflow:
    return engine.loads(f"""
loom: 1
name: sender
inputs:
  to: {{type: string}}
  name: {{type: string, default: Ada}}
steps:
  - id: notify
    type: send
    channel: {channel}
    to: "{to}"
    text: "{text}"
    {extra}
outputs:
  receipt: ${{{{ steps.notify.output }}}}
""")


async def run(wf: engine.Workflow, to: str, senders=None, allow=frozenset({"127.0.0.1"}), **inputs):
    # A secret's value is masked in everything the run writes: only a workflow that reads it has it.
    secrets = {"HOOK": to} if "secrets.HOOK" in wf.source_text else {}
    services = engine.Services(store=engine.MemoryStore(), http_allow=allow, senders=senders or {},
                               secrets=secrets)
    return await engine.run(wf, {"to": to, **inputs}, services=services)


# ---- webhook ------------------------------------------------------------------------------


async def test_webhook_posts_the_text_as_json_and_returns_a_receipt(server):
    server.script((200, {"X-Request-Id": "req-7"}, {"ok": True}))

    result = await run(workflow("webhook"), server.url + "/hooks/team")

    assert result.status == "succeeded", result.error
    request = server.requests[0]
    assert (request.method, request.path) == ("POST", "/hooks/team")
    assert request.json() == {"text": "Hello Ada", "workflow": "sender", "run_id": result.run_id, "step": "notify"}
    assert len(request.headers["idempotency-key"]) == 32
    assert result.outputs["receipt"] == {"channel": "webhook", "to": server.url + "/hooks/team",
                                         "message_id": "req-7", "status": "delivered", "http_status": 200}


async def test_webhook_5xx_is_retried_with_the_same_idempotency_key(server):
    server.script((503, {}, "busy"), (200, {}, ""))

    result = await run(workflow("webhook", extra=RETRY), server.url)

    assert result.status == "succeeded", result.error
    assert result.steps[0].attempts == 2
    keys = {r.headers["idempotency-key"] for r in server.requests}
    assert len(server.requests) == 2 and len(keys) == 1


async def test_webhook_429_fails_as_http_429_and_a_4xx_is_not_retried(server):
    server.script((429, {"Retry-After": "0"}, "slow down"))
    limited = await run(workflow("webhook"), server.url)
    assert limited.error["type"] == "http_429" and "HTTP 429" in limited.error["message"]

    server.requests.clear()
    server.script((404, {}, "no such hook"))
    missing = await run(workflow("webhook", extra=RETRY), server.url)
    assert missing.error["type"] == "http_error" and "no such hook" in missing.error["message"]
    assert len(server.requests) == 1


async def test_webhook_to_a_private_address_is_refused_by_the_ssrf_guard(server):
    result = await run(workflow("webhook"), server.url, allow=frozenset())

    assert result.status == "failed"
    assert result.error["type"] == "blocked" and "LOOM_HTTP_ALLOW" in result.error["message"]
    assert server.requests == []


async def test_a_webhook_url_from_a_secret_is_not_shown_in_the_receipt(server):
    server.script((200, {}, ""))

    result = await run(workflow("webhook", to="${{ secrets.HOOK }}"), server.url + "/T000/B000/XXXX")

    assert result.status == "succeeded", result.error
    assert result.outputs["receipt"]["to"] == "(secret)"
    assert "XXXX" not in str(result.outputs) and server.requests[0].path == "/T000/B000/XXXX"


# ---- telegram -----------------------------------------------------------------------------


async def test_telegram_send_reaches_the_bot_api(senders, bot_api: FakeBotApi):
    result = await run(workflow("telegram"), "-100200300", senders, name="team")

    assert result.status == "succeeded", result.error
    (call,) = bot_api.called("sendMessage")
    assert call.params == {"chat_id": "-100200300", "text": "Hello team"}
    receipt = result.outputs["receipt"]
    assert receipt["channel"] == "telegram" and receipt["to"] == "-100200300" and receipt["status"] == "sent"
    assert isinstance(receipt["message_id"], int)


async def test_telegram_rate_limit_waits_and_retries(senders, bot_api: FakeBotApi):
    bot_api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    result = await run(workflow("telegram", extra=RETRY), "42", senders)

    assert result.status == "succeeded", result.error
    assert result.steps[0].attempts == 2 and len(bot_api.called("sendMessage")) == 2


async def test_telegram_refusal_is_an_http_error_that_never_shows_the_token(senders, bot_api: FakeBotApi):
    bot_api.fail("sendMessage", 400, "Bad Request: chat not found")

    result = await run(workflow("telegram", extra=RETRY), "999", senders)

    assert result.status == "failed"
    assert result.error["type"] == "http_error"
    assert "chat not found" in result.error["message"] and TOKEN not in result.error["message"]
    assert len(bot_api.called("sendMessage")) == 1


async def test_a_long_telegram_text_goes_out_in_parts(senders, bot_api: FakeBotApi):
    long_text = "line of text\n" * 700  # 9,100 characters; Telegram takes 4,096 a message

    result = await run(workflow("telegram", text="${{ inputs.name }}"), "42", senders, name=long_text)

    assert result.status == "succeeded", result.error
    parts = [c.params["text"] for c in bot_api.called("sendMessage")]
    assert len(parts) == 3 and all(len(p) <= 4096 for p in parts)
    assert "".join(p if p.endswith("\n") else p + "\n" for p in parts) == long_text
    assert result.outputs["receipt"]["parts"] == 3


# ---- whatsapp -----------------------------------------------------------------------------


async def test_whatsapp_send_goes_through_the_twilio_messages_api(senders, twilio: FakeTwilio):
    result = await run(workflow("whatsapp"), "+49 151 1234 5678", senders)

    assert result.status == "succeeded", result.error
    (message,) = twilio.messages
    assert message == {"To": "whatsapp:+4915112345678", "From": "whatsapp:+15550001111", "Body": "Hello Ada"}
    receipt = result.outputs["receipt"]
    assert receipt["to"] == "whatsapp:+4915112345678" and receipt["status"] == "queued"
    assert receipt["message_id"].startswith("SM")


async def test_whatsapp_server_errors_are_retried_and_refusals_name_twilios_code(senders, twilio: FakeTwilio):
    twilio.fail(500, 20500, "Internal Server Error")
    retried = await run(workflow("whatsapp", extra=RETRY), "+15551234567", senders)
    assert retried.status == "succeeded", retried.error
    assert retried.steps[0].attempts == 2 and len(twilio.messages) == 1

    twilio.fail(400, 21211, "The 'To' number is not a valid phone number.")
    refused = await run(workflow("whatsapp", extra=RETRY), "+1", senders)
    assert refused.error["type"] == "http_error"
    assert "21211" in refused.error["message"] and "not a valid phone number" in refused.error["message"]


async def test_wrong_twilio_credentials_fail_plainly(twilio: FakeTwilio, tmp_path: Path):
    senders = channel_senders(Settings(home=tmp_path, twilio_account_sid=SID, twilio_auth_token="wrong",
                                       twilio_whatsapp_from="+15550001111", twilio_api_base_url=twilio.url))

    result = await run(workflow("whatsapp"), "+15551234567", senders)

    assert result.error["type"] == "http_error" and "401" in result.error["message"]
    assert twilio.messages == []


# ---- channels that cannot send here ---------------------------------------------------------


@pytest.mark.parametrize(("channel", "needs"), [("telegram", "TELEGRAM_BOT_TOKEN"),
                                                ("whatsapp", "TWILIO_WHATSAPP_FROM")])
async def test_an_unconfigured_channel_fails_saying_what_to_set(channel: str, needs: str):
    result = await run(workflow(channel, extra=RETRY), "someone")

    assert result.status == "failed"
    assert result.error["type"] == "unsupported" and needs in result.error["message"]
    assert result.steps[0].attempts == 1


async def test_an_empty_recipient_is_an_error_naming_the_step(senders, bot_api: FakeBotApi):
    result = await run(workflow("telegram"), "  ", senders)

    assert result.status == "failed" and "`to` of send step 'notify' is empty" in result.error["message"]
    assert bot_api.called("sendMessage") == []
