"""The WhatsApp webhook driven over HTTP like Twilio drives it; replies through a fake Messages API."""

from __future__ import annotations

import base64
import dataclasses
import random
from concurrent.futures import ThreadPoolExecutor

from integrations.settings import Settings
from tests.integrations.helpers import stored_runs, wait_until
from tests.peers.twilio import FakeTwilio

from .conftest import ADA, NUMBER, PUBLIC_URL, WEBHOOK, inbound, open_app, post


def test_a_signed_message_runs_its_workflow_and_the_reply_goes_out_through_twilio(app, twilio: FakeTwilio):
    loom, client = app

    response = post(client, twilio, inbound("digest https://example.org long"))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    (message,) = twilio.wait_for(1)
    assert message == {"To": ADA, "From": f"whatsapp:{NUMBER}", "Body": "digest of https://example.org (long) for Ada"}
    (run,) = stored_runs(loom)
    assert run.workflow == "digest" and run.inputs == {"url": "https://example.org", "style": "long"}
    assert run.trigger == {"channel": "whatsapp", "user": "Ada", "chat_id": ADA,
                           "text": "digest https://example.org long"}


def test_a_command_word_fills_the_first_input_with_the_rest_of_the_message(app, twilio: FakeTwilio):
    loom, client = app

    post(client, twilio, inbound("ECHO  hello   there "))

    assert twilio.wait_for(1)[0]["Body"] == "hello   there"
    assert stored_runs(loom)[0].inputs == {"words": "hello   there"}


def test_help_lists_what_the_number_does_and_unknown_text_says_so(app, twilio: FakeTwilio):
    loom, client = app

    help_text = post(client, twilio, inbound(" Help ")).text
    unknown = post(client, twilio, inbound("what's the weather?")).text

    assert "You can send:" in help_text and "• echo &lt;words&gt;: Say it back" in help_text
    assert "Summarize a page (messages matching" in help_text
    assert "<Message>Sorry, I did not understand that. Send 'help' to see what I can do.</Message>" in unknown
    assert stored_runs(loom) == []


def test_a_mistyped_input_is_answered_and_a_failing_run_is_reported(app, twilio: FakeTwilio):
    loom, client = app

    wrong = post(client, twilio, inbound("count many")).text
    post(client, twilio, inbound("count 12"))

    assert "Cannot run count: input 'n' must be of type integer, got 'many'" in wrong
    assert twilio.wait_for(1)[0]["Body"] == "Sorry, count failed: cannot count to 12"
    assert [run.inputs for run in stored_runs(loom)] == [{"n": 12}]


def forged_signatures(params: dict[str, str], twilio: FakeTwilio, n: int) -> list[str | None]:
    rng = random.Random(7)
    url = PUBLIC_URL + WEBHOOK
    valid = twilio.sign(url, params)
    forged: list[str | None] = [None, "", valid[:-2], valid.lower(), valid + "=", " " + valid]
    forged += [base64.b64encode(rng.randbytes(20)).decode() for _ in range(n)]  # the right shape, random
    forged += [twilio.sign(url, params, auth_token=f"guess-{i}") for i in range(n)]  # a wrong auth token
    forged += [twilio.sign(u, params) for u in ("http://loom.example.org" + WEBHOOK, PUBLIC_URL + "/other",
                                                "https://evil.example" + WEBHOOK, url + "?x=1")]
    forged += [twilio.sign(url, params | {"Body": f"digest https://evil.example/{i}"}) for i in range(n)]
    return forged


def test_forged_signatures_are_refused_and_start_nothing(app, twilio: FakeTwilio):
    loom, client = app
    params = inbound("digest https://example.org")

    statuses = {post(client, twilio, params, signature=s).status_code
                for s in forged_signatures(params, twilio, 100)}

    assert statuses == {403}
    assert stored_runs(loom) == [] and twilio.messages == []


def test_replayed_messages_start_one_run(app, twilio: FakeTwilio):
    loom, client = app
    params = inbound("echo once")

    statuses = {post(client, twilio, params).status_code for _ in range(200)}

    assert statuses == {200}
    twilio.wait_for(1)
    assert len(stored_runs(loom)) == 1 and twilio.bodies() == ["once"]


def test_fifty_concurrent_identical_deliveries_start_exactly_one_run(app, twilio: FakeTwilio):
    loom, client = app
    params = inbound("echo racing")

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(lambda _: post(client, twilio, params).status_code, range(50)))

    assert statuses == [200] * 50
    twilio.wait_for(1)
    wait_until(lambda: stored_runs(loom)[0].status == "succeeded")
    assert len(stored_runs(loom)) == 1 and twilio.bodies() == ["racing"]


def test_everything_is_refused_without_a_public_url_or_auth_token(whatsapp_settings: Settings, twilio: FakeTwilio):
    for missing in ({"public_url": None}, {"twilio_auth_token": None}):
        loom, client = open_app(dataclasses.replace(whatsapp_settings, **missing))
        with client:
            response = post(client, twilio, inbound("echo hi"))
        assert response.status_code == 403 and "LOOM_PUBLIC_URL" in response.json()["detail"]
        assert stored_runs(loom) == []


def test_the_sender_allow_list_refuses_others(whatsapp_settings: Settings, twilio: FakeTwilio):
    settings = dataclasses.replace(whatsapp_settings, whatsapp_allowed_senders=frozenset({"+4915112345678"}))
    loom, client = open_app(settings)
    with client:
        stranger = post(client, twilio, inbound("echo let me in", sender="whatsapp:+15559999999"))
        post(client, twilio, inbound("echo hi", sender=ADA))
        twilio.wait_for(1)

    assert stranger.status_code == 200 and "<Message>" not in stranger.text
    assert [run.trigger["chat_id"] for run in stored_runs(loom)] == [ADA]
    assert twilio.bodies() == ["hi"]


def test_a_body_over_the_limit_or_without_a_message_sid_is_refused(app, twilio: FakeTwilio):
    loom, client = app
    huge = inbound("echo " + "x" * 70_000)
    no_sid = {k: v for k, v in inbound("echo hi").items() if k != "MessageSid"}

    assert post(client, twilio, huge).status_code == 413
    assert post(client, twilio, no_sid).status_code == 400
    assert stored_runs(loom) == []


def test_a_reply_is_sent_again_when_twilio_is_briefly_down(app, twilio: FakeTwilio):
    _, client = app
    twilio.fail(503, 20503, "Service Unavailable", times=2)

    post(client, twilio, inbound("echo persistent"))

    assert twilio.wait_for(1)[0]["Body"] == "persistent"
