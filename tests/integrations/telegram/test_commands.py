"""Built-in commands, approvals through inline buttons, and the chat allow-list."""

from __future__ import annotations

import dataclasses

from integrations.settings import Settings
from tests.integrations.helpers import stored_runs, wait_until
from tests.peers.telegram import USER, FakeBotApi

from .conftest import open_app, post_update

MALLORY = {"id": 6666, "is_bot": False, "first_name": "Mallory", "username": "mallory"}


def test_help_and_list_name_the_workflows_and_their_commands(app, bot_api: FakeBotApi):
    loom, client = app

    post_update(client, bot_api.message("/help"))
    help_text = wait_until(lambda: bot_api.texts())[0]
    post_update(client, bot_api.message("/list"))
    list_text = wait_until(lambda: bot_api.texts()[1:])[0]

    assert "/run — Run a workflow: /run NAME key=value ..." in help_text
    assert "/greet <who> — Greet someone" in help_text and "/deploy" in help_text
    assert "• greet (/greet <who>): Say hello" in list_text and "• broken (/broken)" in list_text
    assert stored_runs(loom) == []


def test_run_takes_key_value_inputs_and_status_reports_the_run(app, bot_api: FakeBotApi):
    loom, client = app

    post_update(client, bot_api.message('/run greet who="Grace Hopper" punct=?'))
    wait_until(lambda: "Hello Grace Hopper?" in bot_api.texts())
    wait_until(lambda: stored_runs(loom)[0].status == "succeeded")
    (run,) = stored_runs(loom)
    post_update(client, bot_api.message(f"/status {run.run_id}"))

    status = wait_until(lambda: [t for t in bot_api.texts() if t.startswith("greet · ")])[0]
    assert "greet · succeeded" in status and "✓ hello succeeded" in status
    assert 'outputs: {"said": "Hello Grace Hopper"}' in status


def test_run_and_status_explain_what_is_wrong(app, bot_api: FakeBotApi):
    loom, client = app
    answers = []
    for text in ("/run", "/run nosuch", "/run greet colour=red", "/run greet who", "/status 0123456789abcdef",
                 "/frobnicate", "hello there"):
        post_update(client, bot_api.message(text))
        seen = len(answers)
        answers.append(wait_until(lambda: bot_api.texts()[seen:])[0])  # noqa: B023 -- used at once

    assert answers[0].startswith("Usage: /run NAME key=value")
    assert answers[1] == "There is no workflow named 'nosuch'; /list shows them."
    assert answers[2].startswith("Cannot run greet: unknown input(s): colour")
    assert answers[3].startswith("Cannot run greet: 'who' is not key=value")
    assert answers[4] == "No run 0123456789abcdef was started from this chat."
    assert answers[5] == "Unknown command /frobnicate; /help lists what I can do."
    assert answers[6] == "Send a command; /help lists what I can do."
    assert stored_runs(loom) == []


def test_status_does_not_show_another_chats_run(app, bot_api: FakeBotApi):
    loom, client = app
    post_update(client, bot_api.message("/greet Ada", chat_id=1))
    wait_until(lambda: "Hello Ada!" in bot_api.texts(1))
    (run,) = stored_runs(loom)

    post_update(client, bot_api.message(f"/status {run.run_id}", chat_id=2))

    assert wait_until(lambda: bot_api.texts(2)) == [f"No run {run.run_id} was started from this chat."]


def test_approval_buttons_resume_the_run(app, bot_api: FakeBotApi):
    loom, client = app
    post_update(client, bot_api.message("/deploy"))
    (ask,) = bot_api.wait_for("sendMessage", lambda c: c.params["text"] == "🔔 Deploy now?")
    buttons = ask.obj("reply_markup")["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["✅ Approve", "❌ Reject"]
    wait_until(lambda: stored_runs(loom)[0].status == "waiting")
    approve = buttons[0]["callback_data"]

    post_update(client, bot_api.callback(approve, message_id=999, user=MALLORY))  # not an approver
    refused = bot_api.wait_for("answerCallbackQuery")[0]
    assert refused.params["text"] == "You are not one of the approvers of this step."
    post_update(client, bot_api.callback(approve, message_id=999, chat_id=31337))  # another chat
    assert bot_api.wait_for("answerCallbackQuery", count=2)[1].params["text"] == \
        "This approval does not belong to this chat."
    assert stored_runs(loom)[0].status == "waiting"

    post_update(client, bot_api.callback(approve, message_id=999, user=USER))

    wait_until(lambda: "approved=true by ada" in bot_api.texts())
    assert bot_api.wait_for("answerCallbackQuery", count=3)[2].params["text"] == "You approved it."
    edited = bot_api.wait_for("editMessageText", lambda c: c.params.get("message_id") == "999")[0]
    assert edited.params["text"].endswith("— approved by ada")
    wait_until(lambda: stored_runs(loom)[0].status == "succeeded")

    post_update(client, bot_api.callback(approve, message_id=999, user=USER))  # a second tap
    assert bot_api.wait_for("answerCallbackQuery", count=4)[3].params["text"] == \
        "This approval has already been answered."


def test_rejecting_resumes_the_run_with_approved_false(app, bot_api: FakeBotApi):
    loom, client = app
    post_update(client, bot_api.message("/deploy"))
    (ask,) = bot_api.wait_for("sendMessage", lambda c: c.params["text"] == "🔔 Deploy now?")
    wait_until(lambda: stored_runs(loom)[0].status == "waiting")

    reject = ask.obj("reply_markup")["inline_keyboard"][0][1]["callback_data"]
    post_update(client, bot_api.callback(reject, message_id=5))

    wait_until(lambda: "approved=false by ada" in bot_api.texts())


def test_the_allow_list_refuses_other_chats(telegram_settings: Settings, bot_api: FakeBotApi):
    settings = dataclasses.replace(telegram_settings, telegram_allowed_chats=frozenset({"4242"}))
    loom, client = open_app(settings)
    with client:
        post_update(client, bot_api.message("/greet Mallory", chat_id=6666, user=MALLORY))
        refusal = wait_until(lambda: bot_api.texts(6666))
        post_update(client, bot_api.message("/greet Ada", chat_id=4242))
        wait_until(lambda: "Hello Ada!" in bot_api.texts(4242))

    assert refusal == ["This chat (id 6666) is not on this bot's allow-list (TELEGRAM_ALLOWED_CHATS)."]
    assert [run.trigger["chat_id"] for run in stored_runs(loom)] == ["4242"]


def test_an_approval_answered_after_a_restart_still_replies_in_the_chat(telegram_settings: Settings,
                                                                        bot_api: FakeBotApi):
    loom, client = open_app(telegram_settings)
    with client:
        post_update(client, bot_api.message("/deploy"))
        (ask,) = bot_api.wait_for("sendMessage", lambda c: c.params["text"] == "🔔 Deploy now?")
        wait_until(lambda: stored_runs(loom)[0].status == "waiting")
    approve = ask.obj("reply_markup")["inline_keyboard"][0][0]["callback_data"]

    loom, client = open_app(telegram_settings)  # a new process on the same database
    with client:
        post_update(client, bot_api.callback(approve, message_id=7))
        wait_until(lambda: "approved=true by ada" in bot_api.texts())
        wait_until(lambda: stored_runs(loom)[0].status == "succeeded")
