"""The bot in webhook mode, driven over HTTP like Telegram drives it, against a fake Bot API."""

from __future__ import annotations

import random
import string
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from integrations.context import Loom
from tests.integrations.helpers import stored_runs, wait_until
from tests.peers.telegram import FakeBotApi

from .conftest import PUBLIC_URL, SECRET, WEBHOOK, post_update


def test_start_up_registers_the_webhook_with_its_secret_and_the_command_menu(app, bot_api: FakeBotApi):
    (webhook,) = bot_api.called("setWebhook")
    assert webhook.params["url"] == PUBLIC_URL + WEBHOOK
    assert webhook.params["secret_token"] == SECRET
    assert webhook.obj("allowed_updates") == ["message", "callback_query"]
    menu = {c["command"]: c["description"] for c in bot_api.called("setMyCommands")[-1].obj("commands")}
    assert menu["greet"] == "Greet someone"
    assert {"help", "list", "run", "status", "deploy", "broken"} <= set(menu)


def test_a_command_runs_its_workflow_and_the_reply_reaches_the_chat(app, bot_api: FakeBotApi):
    loom, client = app

    response = post_update(client, bot_api.message("/greet Ada Lovelace", chat_id=4242))

    assert response.status_code == 200
    wait_until(lambda: "Hello Ada Lovelace!" in bot_api.texts(4242))
    done = bot_api.wait_for("editMessageText", lambda c: c.params["text"].startswith("✅ greet · succeeded"))
    (run,) = stored_runs(loom)
    assert run.workflow == "greet" and run.inputs == {"who": "Ada Lovelace", "punct": "!"}
    assert run.trigger == {"channel": "telegram", "user": "ada", "chat_id": "4242", "text": "/greet Ada Lovelace"}
    assert f"run {run.run_id}" in done[0].params["text"] and "✓ hello" in done[0].params["text"]
    progress = bot_api.texts(4242)[0]
    assert progress.startswith("⏳ greet · running")


def test_forged_secret_tokens_are_refused_and_start_nothing(app, bot_api: FakeBotApi):
    loom, client = app
    rng = random.Random(5)
    alphabet = string.ascii_letters + string.digits + "_-"
    forged = [None, "", SECRET[:-1], SECRET + "x", SECRET.upper(), " " + SECRET, SECRET[::-1]]
    forged += ["".join(rng.choices(alphabet, k=rng.randint(1, 256))) for _ in range(150)]
    forged += [SECRET[:i] + rng.choice(alphabet.replace(SECRET[i], "")) + SECRET[i + 1:]
               for i in (rng.randrange(len(SECRET)) for _ in range(150))]

    statuses = {post_update(client, bot_api.message("/greet Mallory"), secret=token).status_code
                for token in forged}

    assert statuses == {403}
    assert stored_runs(loom) == []
    assert bot_api.called("sendMessage") == []


def test_replayed_updates_start_one_run(app, bot_api: FakeBotApi):
    loom, client = app
    update = bot_api.message("/greet Once")

    statuses = [post_update(client, update).status_code for _ in range(200)]

    assert set(statuses) == {200}
    wait_until(lambda: "Hello Once!" in bot_api.texts())
    assert len(stored_runs(loom)) == 1
    assert bot_api.texts().count("Hello Once!") == 1


def test_fifty_concurrent_identical_deliveries_start_exactly_one_run(app, bot_api: FakeBotApi):
    loom, client = app
    update = bot_api.message("/greet Racer")

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(lambda _: post_update(client, update).status_code, range(50)))

    assert statuses == [200] * 50
    wait_until(lambda: "Hello Racer!" in bot_api.texts())
    assert len(stored_runs(loom)) == 1


def test_bodies_that_are_not_updates_are_refused(app, bot_api: FakeBotApi):
    loom, client = app
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    assert client.post(WEBHOOK, content=b"{not json", headers=headers).status_code == 400
    assert client.post(WEBHOOK, json={"message": {}}, headers=headers).status_code == 400
    assert client.post(WEBHOOK, json={"update_id": True}, headers=headers).status_code == 400
    not_an_update = {"update_id": 9, "message": {"text": "/greet"}}
    assert client.post(WEBHOOK, json=not_an_update, headers=headers).status_code == 400
    huge = client.post(WEBHOOK, content=b"{" + b" " * (1 << 20) + b"}", headers=headers)
    assert huge.status_code == 413
    assert stored_runs(loom) == []


def test_a_missing_argument_is_answered_with_the_usage(app, bot_api: FakeBotApi):
    loom, client = app

    post_update(client, bot_api.message("/greet"))

    wait_until(lambda: bot_api.texts())
    assert bot_api.texts() == ["Cannot run greet: missing who. Usage: /greet <who>"]
    assert stored_runs(loom) == []


def test_a_failing_run_is_reported_plainly(app, bot_api: FakeBotApi):
    _, client = app

    post_update(client, bot_api.message("/broken"))

    failure = wait_until(lambda: [t for t in bot_api.texts() if t.startswith("❌")])
    assert failure == ["❌ broken failed at step boom: the disk is full"]
    bot_api.wait_for("editMessageText", lambda c: c.params["text"].startswith("❌ broken · failed"))


def test_saving_a_workflow_updates_the_command_menu(app, bot_api: FakeBotApi):
    loom, client = app
    before = len(bot_api.called("setMyCommands"))

    loom.catalog.save("loom: 1\nname: weather\ndescription: Today's weather\n"
                      "triggers: [{type: telegram, command: weather}]\n"
                      "steps: [{id: say, type: reply, text: sunny}]\n")

    call = bot_api.wait_for("setMyCommands", lambda c: "weather" in c.params["commands"])[0]
    assert {"command": "weather", "description": "Today's weather"} in call.obj("commands")
    assert len(bot_api.called("setMyCommands")) == before + 1
    post_update(client, bot_api.message("/weather"))
    wait_until(lambda: "sunny" in bot_api.texts())

    without = len([c for c in bot_api.called("setMyCommands") if "weather" not in c.params["commands"]])
    loom.catalog.set_enabled("weather", False)
    bot_api.wait_for("setMyCommands", lambda c: "weather" not in c.params["commands"], count=without + 1)


def test_the_webhook_is_closed_without_a_public_url(loom: Loom, client: TestClient):
    response = client.post(WEBHOOK, json={"update_id": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": "x"})

    assert response.status_code == 404
    assert stored_runs(loom) == []


def test_progress_edits_are_throttled_however_many_steps_finish(app, bot_api: FakeBotApi):
    loom, client = app
    loom.catalog.save("loom: 1\nname: many\ntriggers: [{type: telegram, command: many}]\nsteps:\n"
                      "  - {id: each, type: for_each, items: '${{ [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }}',\n"
                      "     steps: [{id: double, type: set, values: {v: '${{ item * 2 }}'}}]}\n")

    post_update(client, bot_api.message("/many"))

    final = bot_api.wait_for("editMessageText", lambda c: c.params["text"].startswith("✅ many"))[0]
    assert "✓ double x12" in final.params["text"] and "✓ each" in final.params["text"]
    assert len(bot_api.called("editMessageText")) <= 3  # 13 steps finished within a second


def test_messages_are_sent_again_when_the_bot_api_is_briefly_down(app, bot_api: FakeBotApi):
    _, client = app
    bot_api.fail("sendMessage", 502, "Bad Gateway", times=2)
    bot_api.fail("editMessageText", 429, "Too Many Requests: retry after 1", retry_after=1)

    post_update(client, bot_api.message("/greet Ada"))

    wait_until(lambda: "Hello Ada!" in bot_api.texts())
    bot_api.wait_for("editMessageText", lambda c: c.params["text"].startswith("✅ greet"), count=2)
    assert bot_api.texts().count("Hello Ada!") == 1
