"""Sessions, versions, hand edits, restores and saves, kept across a restart."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

import engine
from chatbuilder import Builder, SessionNotFound, check
from engine.catalog import Catalog

from .workflows import DIGEST, DIGEST_WHATSAPP


async def test_everything_is_there_after_a_restart(db, loom_home):
    builder = Builder(db, catalog=Catalog(db, files=None))
    session = builder.create_session("Morning news")
    turn = await builder.send(session.id, "every weekday at 7 summarize https://example.org and send it to telegram")
    builder.save_edit(session.id, DIGEST)
    builder.set_model("ollama/llama3.2", "http://127.0.0.1:11434")
    db.dispose()

    again = Builder(create_engine(f"sqlite:///{loom_home / 'loom.db'}"), catalog=Catalog(db, files=None),
                    model="openai/gpt-4o-mini")

    [info] = again.sessions()
    assert (info.id, info.title, info.version) == (session.id, "Morning news", 2)
    assert [(m.role, m.version) for m in again.messages(session.id)] == [("user", None), ("assistant", 1)]
    assert again.messages(session.id)[0].content.startswith("every weekday at 7")
    assert [(v.number, v.source) for v in again.versions(session.id)] == [(1, "model"), (2, "edit")]
    assert again.version(session.id, 1).yaml == turn.yaml
    assert again.version(session.id, 2).changes.steps_removed  # the summaries came back too
    assert again.model == "ollama/llama3.2" and again.api_base == "http://127.0.0.1:11434"
    assert len(again.attempts(session.id)) == 1


def test_an_invalid_hand_edit_is_refused_and_nothing_is_stored(offline_builder):
    session = offline_builder.create_session()
    offline_builder.save_edit(session.id, DIGEST)

    with pytest.raises(engine.ValidationError) as error:
        offline_builder.save_edit(session.id, DIGEST.replace("type: reply", "type: replyy"))

    assert error.value.problems[0].line == 17 and "replyy" in error.value.problems[0].message
    assert [v.number for v in offline_builder.versions(session.id)] == [1]


def test_restore_makes_a_new_version_with_the_old_text(offline_builder):
    session = offline_builder.create_session()
    offline_builder.save_edit(session.id, DIGEST)
    offline_builder.save_edit(session.id, DIGEST_WHATSAPP)

    restored = offline_builder.restore(session.id, 1)

    assert restored.number == 3 and restored.source == "restore" and restored.yaml == DIGEST
    assert restored.changes.steps_removed == ["forward", "archive"]
    assert "-    channel: whatsapp\n" in restored.diff
    assert restored.capabilities.new.channels == [] and "whatsapp" not in restored.capabilities.channels
    assert offline_builder.session(session.id).version == 3


def test_the_first_version_lists_every_capability_as_new(offline_builder):
    session = offline_builder.create_session()
    first = offline_builder.save_edit(session.id, DIGEST_WHATSAPP)
    assert first.diff == "" and first.changes.text.startswith("First version: 5 steps")
    assert first.capabilities.new.channels == ["telegram", "whatsapp"]
    assert first.capabilities.new.domains == ["* (a URL computed at run time)", "api.openai.com",
                                              "api.telegram.org", "api.twilio.com", "archive.example.net"]


def test_save_puts_the_current_version_in_the_catalog(offline_builder):
    session = offline_builder.create_session()
    with pytest.raises(engine.ValidationError, match="no valid version yet"):
        offline_builder.save(session.id)
    offline_builder.save_edit(session.id, DIGEST)

    saved = offline_builder.save(session.id)
    renamed = offline_builder.save(session.id, "my-digest")

    assert (saved.name, saved.version) == ("page-digest", 1)
    assert renamed.name == "my-digest" and renamed.workflow.name == "my-digest"
    assert offline_builder.catalog.get("page-digest").source == DIGEST


def test_unknown_sessions_and_versions_raise_session_not_found(offline_builder):
    session = offline_builder.create_session()
    for call in (lambda: offline_builder.session("nope"), lambda: offline_builder.versions("nope"),
                 lambda: offline_builder.version(session.id, 1), lambda: offline_builder.restore(session.id, 4),
                 lambda: offline_builder.save_edit("nope", DIGEST)):
        with pytest.raises(SessionNotFound):
            call()
    assert issubclass(SessionNotFound, LookupError)


def test_sessions_are_listed_newest_first_and_titled_from_the_first_request(offline_builder):
    first = offline_builder.create_session("First")
    second = offline_builder.create_session()
    offline_builder.save_edit(first.id, DIGEST)
    assert [s.id for s in offline_builder.sessions()] == [first.id, second.id]
    assert second.title == "New workflow"


async def test_the_title_comes_from_the_first_request(offline_builder):
    session = offline_builder.create_session()
    await offline_builder.send(session.id, "every hour fetch https://example.org/feed")
    assert offline_builder.session(session.id).title == "every hour fetch https://example.org/feed"


def test_check_reports_line_numbered_errors_for_the_editor():
    good, bad = check(DIGEST), check("loom: 1\nname: Bad Name\nsteps: []\n")
    assert good.valid and good.errors == [] and good.workflow.name == "page-digest"
    assert not bad.valid and bad.workflow is None
    assert {(e["path"], e["line"]) for e in bad.errors} == {("name", 2), ("steps", 3)}


def test_set_model_to_nothing_goes_offline(offline_builder):
    offline_builder.set_model("openai/gpt-4o-mini")
    assert offline_builder.model == "openai/gpt-4o-mini"
    offline_builder.set_model(None)
    assert offline_builder.model is None
