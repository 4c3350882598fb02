"""Without LOOM_PUBLIC_URL the bot long-polls the (fake) Bot API instead of taking webhooks."""

from __future__ import annotations

import dataclasses

from integrations.settings import Settings
from tests.integrations.helpers import stored_runs, wait_until
from tests.peers.telegram import FakeBotApi

from .conftest import open_app, post_update


def test_polling_mode_serves_commands_and_approvals(telegram_settings: Settings, bot_api: FakeBotApi):
    loom, client = open_app(dataclasses.replace(telegram_settings, public_url=None))
    with client:
        assert bot_api.called("setWebhook") == []
        bot_api.wait_for("deleteWebhook")  # a webhook left from an earlier deployment would block getUpdates
        bot_api.push(bot_api.message("/greet Polly"))
        wait_until(lambda: "Hello Polly!" in bot_api.texts())

        bot_api.push(bot_api.message("/deploy"))
        (ask,) = bot_api.wait_for("sendMessage", lambda c: c.params["text"] == "🔔 Deploy now?")
        wait_until(lambda: any(run.status == "waiting" for run in stored_runs(loom)))
        approve = ask.obj("reply_markup")["inline_keyboard"][0][0]["callback_data"]
        bot_api.push(bot_api.callback(approve, message_id=ask.params.get("message_id", 1)))
        wait_until(lambda: "approved=true by ada" in bot_api.texts())

        assert post_update(client, bot_api.message("/greet Web")).status_code == 404

    offsets = [int(c.params.get("offset") or 0) for c in bot_api.called("getUpdates")]
    assert max(offsets) >= 4  # each update was confirmed, so none is served twice
    assert sorted(run.workflow for run in stored_runs(loom)) == ["deploy", "greet"]


def test_an_update_served_twice_runs_once(telegram_settings: Settings, bot_api: FakeBotApi):
    loom, client = open_app(dataclasses.replace(telegram_settings, public_url=None))
    update = bot_api.message("/greet Twice")
    bot_api.push(update)
    bot_api.push(dict(update))  # the same update_id twice in one batch, as after a lost confirmation
    bot_api.push(bot_api.message("/greet Next"))
    with client:
        wait_until(lambda: "Hello Next!" in bot_api.texts())
        wait_until(lambda: len([r for r in stored_runs(loom) if r.status == "succeeded"]) == 2)

    assert bot_api.texts().count("Hello Twice!") == 1
    assert len(stored_runs(loom)) == 2
