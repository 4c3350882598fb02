"""`email` steps, and `send` on `channel: email`, deliver to a real SMTP server on loopback
(`tests/peers/smtp.py`): plain, STARTTLS with a login, implicit TLS, scripted refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import engine
from engine.connections import Connection
from engine.steps.base import Need
from tests.peers.smtp import SmtpPeer, smtp_server

USERS = {"ada": "correct horse battery"}
RETRY = "retry: {max_attempts: 3, delay: 10ms, max_delay: 50ms, on: [transient]}"


@pytest.fixture
def peer() -> Iterator[SmtpPeer]:
    with smtp_server() as server:
        yield server


def workflow(to: str = "${{ inputs.to }}", extra: str = "") -> engine.Workflow:
    return engine.loads(f"""
loom: 1
name: mailer
inputs:
  to: {{type: string, default: "Ada Lovelace <ada@example.org>"}}
steps:
  - id: mail
    type: email
    to: {to}
    subject: "Report for ${{{{ inputs.to }}}}"
    body: "Hello,\\n\\nall is well.\\n"
    {extra}
outputs:
  sent: ${{{{ steps.mail.output }}}}
""")


async def run(wf: engine.Workflow, connections: dict[str, Connection], **inputs: str) -> engine.RunResult:
    services = engine.Services(store=engine.MemoryStore(), connections=connections, secrets={})
    return await engine.run(wf, inputs, services=services)


def failure(result: engine.RunResult) -> dict[str, Any]:
    assert result.error is not None, f"the run {result.status}"
    return result.error


def smtp(peer: SmtpPeer, name: str = "smtp", **settings: object) -> dict[str, Connection]:
    return {name: Connection.parse(name, "smtp", peer.settings(**settings))}


async def test_the_server_receives_exactly_the_message(peer: SmtpPeer):
    result = await run(workflow(to="[ada@example.org, 'Bob <bob@example.org>']"), smtp(peer), to="the team")

    assert result.status == "succeeded", result.error
    [received] = peer.received
    assert (received.sender, received.recipients) == ("loom@example.org", ["ada@example.org", "bob@example.org"])
    message = received.message
    assert message["From"] == "Loomwork <loom@example.org>"
    assert message["To"] == "ada@example.org, Bob <bob@example.org>"
    assert message["Subject"] == "Report for the team"
    assert message["Date"].datetime is not None
    assert message["Message-ID"].endswith("@example.org>")
    assert message.get_content() == "Hello,\n\nall is well.\n"
    assert result.outputs["sent"] == {"message_id": message["Message-ID"]}
    assert (received.login, received.tls) == (None, False)


async def test_non_ascii_subject_and_body_arrive_intact(peer: SmtpPeer):
    result = await run(workflow(), smtp(peer), to="Zoë <zoe@exämple.org>")

    assert result.status == "succeeded", result.error
    [received] = peer.received
    assert received.recipients == ["zoe@xn--exmple-cua.org"]
    assert received.message["Subject"] == "Report for Zoë <zoe@exämple.org>"
    assert received.raw.isascii(), "7-bit clean: no server needs 8BITMIME"


async def test_starttls_and_login():
    with smtp_server("starttls", users=USERS) as peer:
        result = await run(workflow(), smtp(peer, username="ada", password=USERS["ada"]))

    assert result.status == "succeeded", result.error
    [received] = peer.received
    assert (received.login, received.tls) == ("ada", True)


async def test_implicit_tls_and_login():
    with smtp_server("tls", users=USERS) as peer:
        result = await run(workflow(), smtp(peer, username="ada", password=USERS["ada"]))

    assert result.status == "succeeded", result.error
    [received] = peer.received
    assert (received.login, received.tls) == ("ada", True)


async def test_a_certificate_nobody_vouches_for_is_refused():
    with smtp_server("tls") as peer:
        result = await run(workflow(), smtp(peer, ca_cert=None))

    assert failure(result)["type"] == "smtp"
    assert "certificate" in failure(result)["message"] and "`ca_cert`" in failure(result)["message"]
    assert peer.commands == []


async def test_a_451_is_retried_and_the_second_attempt_delivers_once(peer: SmtpPeer):
    peer.reply("RCPT", "451 4.7.1 Greylisted, try again later")

    result = await run(workflow(extra=RETRY), smtp(peer))

    assert result.status == "succeeded", result.error
    assert result.steps[0].attempts == 2
    assert len(peer.received) == 1
    assert peer.commands.count("DATA") == 1


async def test_a_451_without_a_retry_policy_fails_as_transient(peer: SmtpPeer):
    peer.reply("RCPT", "451 4.7.1 Greylisted, try again later")

    result = await run(workflow(), smtp(peer))

    assert failure(result)["type"] == "transient"
    assert "451 4.7.1 Greylisted" in failure(result)["message"] and peer.received == []


async def test_a_550_fails_at_once_with_kind_smtp(peer: SmtpPeer):
    peer.reply("RCPT", "550 5.1.1 No such user here", times=None)

    result = await run(workflow(extra=RETRY), smtp(peer))

    assert result.status == "failed"
    assert result.steps[0].attempts == 1
    assert failure(result)["type"] == "smtp" and failure(result)["step"] == "mail"
    assert failure(result)["message"] == (f"127.0.0.1:{peer.port} refused the recipient ada@example.org: "
                                       "550 5.1.1 No such user here")
    assert peer.received == []


async def test_one_refused_recipient_stops_the_message_for_all(peer: SmtpPeer):
    peer.reply("RCPT", "550 5.1.1 No such user here", address="nobody@example.org")

    result = await run(workflow(to="[ada@example.org, nobody@example.org]"), smtp(peer))

    assert failure(result)["type"] == "smtp" and "nobody@example.org" in failure(result)["message"]
    assert peer.commands[:2] == ["MAIL loom@example.org", "RCPT ada@example.org"]
    assert "DATA" not in peer.commands and peer.received == []


async def test_a_wrong_password_fails_clearly_without_the_password():
    with smtp_server("starttls", users=USERS) as peer:
        result = await run(workflow(extra=RETRY), smtp(peer, username="ada", password="hunter2-wrong"))

    assert failure(result)["type"] == "smtp" and result.steps[0].attempts == 1
    message = failure(result)["message"]
    assert "refused the login of ada" in message and "535" in message
    assert "hunter2" not in message and "hunter2" not in str(result.to_dict())
    assert peer.received == []


async def test_an_invalid_address_fails_naming_the_step_before_the_server_is_asked(peer: SmtpPeer):
    result = await run(workflow(), smtp(peer), to="ada@")

    assert failure(result)["type"] == "error"
    assert failure(result)["message"].startswith("`to` of email step 'mail': 'ada@' is not an email address")
    assert peer.commands == []


async def test_a_missing_connection_fails_before_the_first_step(peer: SmtpPeer):
    result = await run(workflow(extra="connection: mailer"), smtp(peer))  # only `smtp` is configured

    assert result.status == "failed" and failure(result)["type"] == "missing"
    assert "smtp connection 'mailer' (used by step 'mail') is not configured" in failure(result)["message"]
    assert "loom connections add mailer --kind smtp" in failure(result)["message"]
    assert result.steps == [] and peer.commands == []


async def test_a_connection_of_another_kind_fails_before_the_first_step():
    wrong = {"smtp": Connection.parse("smtp", "http", {"base_url": "https://example.org"})}

    result = await run(workflow(), wrong)

    assert failure(result)["type"] == "missing" and "is a http connection, not smtp" in failure(result)["message"]
    assert result.steps == []


async def test_the_connection_is_chosen_by_name(peer: SmtpPeer):
    result = await run(workflow(extra="connection: mailer"), smtp(peer, "mailer"))

    assert result.status == "succeeded", result.error
    assert len(peer.received) == 1


# ---- send on channel email ----------------------------------------------------------------


def send_workflow(text: str) -> engine.Workflow:
    return engine.loads(f"""
loom: 1
name: notifier
inputs:
  to: {{type: string}}
steps:
  - id: notify
    type: send
    channel: email
    to: ${{{{ inputs.to }}}}
    text: {text}
outputs:
  receipt: ${{{{ steps.notify.output }}}}
""")


async def test_send_on_channel_email_delivers_with_the_first_line_as_subject(peer: SmtpPeer):
    result = await run(send_workflow('"Disk almost full\\n\\n/var is at 97%."'), smtp(peer), to="ops@example.org")

    assert result.status == "succeeded", result.error
    [received] = peer.received
    assert received.recipients == ["ops@example.org"]
    assert received.message["Subject"] == "Disk almost full"
    assert received.message.get_content() == "Disk almost full\n\n/var is at 97%.\n"
    assert result.outputs["receipt"] == {"channel": "email", "to": "ops@example.org",
                                         "message_id": received.message["Message-ID"], "status": "sent"}


async def test_send_on_channel_email_without_text_is_a_message_from_the_workflow(peer: SmtpPeer):
    result = await run(send_workflow('" "'), smtp(peer), to="ops@example.org")

    assert result.status == "succeeded", result.error
    assert peer.received[0].message["Subject"] == "Message from notifier"


async def test_send_on_channel_email_needs_the_smtp_connection_before_it_starts():
    result = await run(send_workflow("hi"), {}, to="ops@example.org")

    error = failure(result)
    assert error["type"] == "missing" and "smtp connection 'smtp' (used by step 'notify')" in error["message"]
    assert result.steps == []
    assert list(send_workflow("hi").steps[0].connections()) == [Need("smtp", "smtp")]
