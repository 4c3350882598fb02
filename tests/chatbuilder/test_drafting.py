"""The drafting loop against an OpenAI-compatible model server on loopback."""

from __future__ import annotations

import socket

from chatbuilder import Builder
from engine.catalog import Catalog

from .conftest import PLAIN_MODEL, answer, make_builder, sent_messages
from .workflows import BROKEN, DIGEST, DIGEST_WHATSAPP


async def test_an_invalid_first_draft_is_repaired_with_its_errors_sent_back(db, model_env):
    model_env.script(answer("Here is a draft.", BROKEN), answer("Fixed the field name.", DIGEST))
    builder = make_builder(db, model_env)
    session = builder.create_session()

    turn = await builder.send(session.id, "summarize a page I send to the telegram bot with /digest")

    assert turn.valid and turn.version == 1 and not turn.offline
    assert turn.yaml == DIGEST and turn.reply == "Fixed the field name."
    assert turn.model_calls == 2 and [bool(a.errors) for a in turn.attempts] == [True, False]
    repair = sent_messages(model_env, 1)[-1]["content"]
    assert "line 11, column 5: steps[0].urll: unknown field 'urll'" in repair
    assert "did you mean 'url'?" in repair
    assert sent_messages(model_env, 1)[-2]["role"] == "assistant"  # the broken draft, as the model gave it
    first_request = model_env.requests[0].json()
    assert first_request["response_format"]["json_schema"]["schema"]["required"] == ["reply", "yaml"]
    assert "Step types" in first_request["messages"][0]["content"]  # the language reference
    assert "summarize a page" in first_request["messages"][-1]["content"]


async def test_a_draft_still_invalid_after_the_attempts_is_shown_but_not_stored_as_a_version(db, model_env):
    model_env.script(answer("Draft.", BROKEN))
    builder = make_builder(db, model_env, max_attempts=2)
    session = builder.create_session()

    turn = await builder.send(session.id, "summarize a page")

    assert not turn.valid and turn.version is None and turn.yaml == BROKEN
    assert turn.errors[0]["path"] == "steps[0].urll" and turn.errors[0]["line"] == 11
    assert "still invalid after 2 attempt(s)" in turn.reply
    assert len(model_env.requests) == 2
    assert builder.versions(session.id) == [] and builder.session(session.id).version is None
    assert [a.yaml for a in builder.attempts(session.id)] == [BROKEN, BROKEN]  # kept as drafts
    assert builder.messages(session.id)[-1].version is None


async def test_a_refinement_becomes_a_new_version_with_its_diff_and_new_capabilities(db, model_env):
    model_env.script(answer("Drafted.", DIGEST), answer("Now it also goes to WhatsApp.", DIGEST_WHATSAPP))
    builder = make_builder(db, model_env)
    session = builder.create_session()
    await builder.send(session.id, "summarize a page I send with /digest")

    turn = await builder.send(session.id, "also send it to WhatsApp and archive it")

    assert turn.version == 2
    assert DIGEST in sent_messages(model_env, 1)[-1]["content"]  # the current version went along
    v2 = builder.version(session.id, 2)
    assert "+  - id: forward\n" in v2.diff and "+    channel: whatsapp\n" in v2.diff and v2.diff.startswith("--- v1")
    assert v2.changes.steps_added == ["forward", "archive"] and v2.changes.steps_removed == []
    assert "Added steps forward, archive." in v2.changes.text
    assert v2.capabilities.new.channels == ["whatsapp"]
    assert v2.capabilities.new.domains == ["api.twilio.com", "archive.example.net"]
    assert v2.capabilities.new.secrets == ["WHATSAPP_TO"]
    assert "telegram" in v2.capabilities.channels and "whatsapp" in v2.capabilities.channels


async def test_plain_text_models_are_asked_for_a_fenced_yaml_block(db, model_env):
    model_env.script(answer("Here you go.", DIGEST, structured=False))
    builder = make_builder(db, model_env, model=PLAIN_MODEL)

    turn = await builder.send(builder.create_session().id, "summarize a page")

    assert turn.valid and turn.reply == "Here you go." and turn.yaml.strip() == DIGEST.strip()
    request = model_env.requests[0].json()
    assert "response_format" not in request and "```yaml fenced block" in request["messages"][0]["content"]


async def test_an_answer_without_yaml_is_repaired_too(db, model_env):
    model_env.script(answer("", "", structured=False), answer("Done.", DIGEST, structured=False))
    builder = make_builder(db, model_env, model=PLAIN_MODEL)

    turn = await builder.send(builder.create_session().id, "summarize a page")

    assert turn.valid and turn.model_calls == 2
    assert "holds no workflow document" in sent_messages(model_env, 1)[-1]["content"]


async def test_an_unreachable_model_hands_over_to_the_offline_drafter(db, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    builder = Builder(db, catalog=Catalog(db, files=None), model=PLAIN_MODEL,
                      api_base=f"http://127.0.0.1:{port}/v1")

    turn = await builder.send(builder.create_session().id, "every hour fetch https://example.org/status")

    assert turn.offline and turn.valid and turn.version == 1
    assert turn.reply.startswith("I'm offline (the builder model openai/loom-scripted is unreachable")
    assert "https://example.org/status" in turn.yaml and "0 * * * *" in turn.yaml


async def test_a_refused_key_is_reported_and_the_offline_drafter_answers(db, model_env):
    model_env.script((401, {}, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                          "code": "invalid_api_key"}}))
    builder = make_builder(db, model_env)

    turn = await builder.send(builder.create_session().id, "translate messages from telegram to French")
    check = await builder.test_connection()

    assert turn.offline and turn.valid and "refused the API key" in turn.reply
    assert not check.ok and "refused the API key" in check.message


async def test_test_connection_reports_the_model_and_how_long_it_took(db, model_env):
    model_env.script(answer("ok", "", structured=False))
    builder = make_builder(db, model_env)

    check = await builder.test_connection()

    assert check.ok and check.message.startswith("openai/gpt-4o-mini answered in ")
    assert model_env.requests[0].json()["max_tokens"] == 5


async def test_a_model_without_its_api_key_says_so(db, model_env, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    builder = make_builder(db, model_env)

    turn = await builder.send(builder.create_session().id, "every monday summarize https://example.org")

    assert turn.offline and turn.valid and "has no API key" in turn.reply and model_env.requests == []
