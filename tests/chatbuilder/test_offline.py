"""The offline drafter: with no model, a valid workflow that does what the words say."""

from __future__ import annotations

import pytest

import engine
from engine.testing import run_tests

W = "telegram"
# request, trigger types, cron (or None), (timezone), channels the result goes out on, URL in an http step
CASES = [
    ("Every weekday at 7 summarize https://news.ycombinator.com and send it to telegram",
     [], "0 7 * * 1-5", None, ["telegram"], "https://news.ycombinator.com"),
    ("every day at 9:30 fetch https://api.example.com/orders and email me the result",
     [], "30 9 * * *", None, ["email"], "https://api.example.com/orders"),
    ("every monday send the team on telegram \"Planning at 10 in room 4\"", [], "0 9 * * 1", None, ["telegram"], None),
    ("check https://example.org/health every hour and alert me on whatsapp when it is down",
     [], "0 * * * *", None, ["whatsapp"], "https://example.org/health"),
    ("every 15 minutes check whether https://status.example.com is up and notify me on telegram",
     [], "*/15 * * * *", None, ["telegram"], "https://status.example.com"),
    ("at 18:00 on weekdays summarize https://blog.example.org and post it to whatsapp",
     [], "0 18 * * 1-5", None, ["whatsapp"], "https://blog.example.org"),
    ("every weekday at 7 Berlin time summarize https://www.tagesschau.de and send it to telegram",
     [], "0 7 * * 1-5", "Europe/Berlin", ["telegram"], "https://www.tagesschau.de"),
    ("every friday at 5pm in America/New_York email me a digest of https://weekly.example.com",
     [], "0 17 * * 5", "America/New_York", ["email"], "https://weekly.example.com"),
    ("daily at 8am London time summarize https://bbc.co.uk/news for my telegram chat",
     [], "0 8 * * *", "Europe/London", ["telegram"], "https://bbc.co.uk/news"),
    ("A telegram bot: /digest <url> replies with a summary of the page", [W], None, None, [W], None),
    ("when I send /tldr with a link on telegram, summarize it with claude", [W], None, None, [W], None),
    ("summarize any url I send on telegram using gpt-4o", [W], None, None, [W], None),
    ("a whatsapp bot that answers customer questions with claude", ["whatsapp"], None, None, ["whatsapp"], None),
    ("translate messages I send on whatsapp to German with ollama llama3.2",
     ["whatsapp"], None, None, ["whatsapp"], None),
    ("translate incoming telegram messages into Spanish", [W], None, None, [W], None),
    ("classify support tickets that come in via a webhook with gpt-4o", ["webhook"], None, None, ["webhook"], None),
    ("a webhook that fetches https://api.github.com/repos/acme/app and returns the answer",
     ["webhook"], None, None, ["webhook"], "https://api.github.com/repos/acme/app"),
    ("fetch https://api.example.com/items every 2 hours and post it to a webhook, retry 5 times",
     [], "0 */2 * * *", None, ["webhook"], "https://api.example.com/items"),
    ("every sunday evening summarize https://reading.example.org/list and send it to whatsapp",
     [], "0 18 * * 0", None, ["whatsapp"], "https://reading.example.org/list"),
    ("on the 1st of every month fetch https://billing.example.com/invoices and email it to me",
     [], "0 9 1 * *", None, ["email"], "https://billing.example.com/invoices"),
    ("every monday and thursday at 10 remind me on whatsapp to water the plants",
     [], "0 10 * * 1,4", None, ["whatsapp"], None),
    ("every 30 minutes ping https://shop.example.com and tell me on telegram if it goes down",
     [], "*/30 * * * *", None, ["telegram"], "https://shop.example.com"),
    ("on weekends at noon send me a telegram message saying \"time for a walk\"",
     [], "0 12 * * 0,6", None, ["telegram"], None),
    ("an assistant on telegram with command /ask that answers questions using a local ollama model",
     [W], None, None, [W], None),
    ("every night summarize https://logs.example.com/errors with gemini and email the team",
     [], "0 22 * * *", None, ["email"], "https://logs.example.com/errors"),
    ("hourly fetch https://api.weather.example/today and send it to my telegram, retry the fetch 4 times",
     [], "0 * * * *", None, ["telegram"], "https://api.weather.example/today"),
    ("every weekday at 6.30 pm summarize https://markets.example.com in Tokyo time and send to whatsapp",
     [], "30 18 * * 1-5", "Asia/Tokyo", ["whatsapp"], "https://markets.example.com"),
]
MODELS = {
    "with claude": "anthropic/claude-3-5-haiku-latest", "gpt-4o": "openai/gpt-4o",
    "ollama llama3.2": "ollama/llama3.2", "local ollama": "ollama/llama3.2", "gemini": "gemini/gemini-1.5-flash",
}


def _channels(workflow) -> set[str]:
    out = {step.channel for _, step, _ in workflow.walk() if step.type == "send"}
    if any(step.type == "reply" for _, step, _ in workflow.walk()):
        out |= {t.type for t in workflow.triggers if t.type != "cron"}
    return out


@pytest.mark.parametrize(("request_text", "triggers", "cron", "timezone", "channels", "url"), CASES,
                         ids=[case[0][:50] for case in CASES])
async def test_the_offline_drafter_builds_what_the_request_says(offline_builder, request_text, triggers, cron,
                                                                 timezone, channels, url):
    turn = await offline_builder.send(offline_builder.create_session().id, request_text)

    assert turn.offline and turn.valid and turn.version == 1 and turn.model_calls == 0
    assert turn.reply.startswith("I'm offline (no builder model is configured)")
    workflow = engine.loads(turn.yaml)
    kinds = [t.type for t in workflow.triggers]
    assert [k for k in kinds if k != "cron"] == triggers
    crons = [t for t in workflow.triggers if t.type == "cron"]
    assert [t.schedule for t in crons] == ([cron] if cron else [])
    if timezone:
        assert crons[0].timezone == timezone
    assert _channels(workflow) == set(channels)
    urls = [step.url for _, step, _ in workflow.walk() if step.type == "http"]
    if url:
        assert urls == [url]
    for words, model in MODELS.items():
        if words in request_text:
            assert {step.model for _, step, _ in workflow.walk() if step.type == "llm"} == {model}
    results = await run_tests(workflow)
    assert results and all(r.passed for r in results), [r.to_dict() for r in results]


async def test_retries_named_in_the_request_reach_the_fetch_step(offline_builder):
    turn = await offline_builder.send(offline_builder.create_session().id,
                                      "every hour fetch https://api.example.com/x, retry 7 times")
    fetch = engine.loads(turn.yaml).step("fetch")
    assert fetch.retry.max_attempts == 7


async def test_offline_refinements_edit_the_current_version(offline_builder):
    session = offline_builder.create_session()
    await offline_builder.send(session.id, "A telegram bot: /digest <url> replies with a summary of the page")

    model = await offline_builder.send(session.id, "use Claude for the summary")
    whatsapp = await offline_builder.send(session.id, "also send it to WhatsApp")
    retry = await offline_builder.send(session.id, "retry the fetch 5 times")

    assert [model.version, whatsapp.version, retry.version] == [2, 3, 4]
    workflow = engine.loads(retry.yaml)
    assert workflow.step("summarize").model == "anthropic/claude-3-5-haiku-latest"
    assert workflow.step("send_whatsapp").channel == "whatsapp"
    assert workflow.step("fetch").retry.max_attempts == 5
    versions = offline_builder.versions(session.id)
    assert versions[1].changes.models_added == ["anthropic/claude-3-5-haiku-latest"]
    assert versions[2].changes.steps_added == ["send_whatsapp"] and versions[2].capabilities.new.channels == [
        "whatsapp"]
    assert versions[3].changes.steps_changed == ["fetch"] and "max_attempts: 5" in versions[3].diff
    assert all(r.passed for r in await run_tests(workflow))


async def test_a_change_it_cannot_understand_keeps_the_current_version(offline_builder):
    session = offline_builder.create_session()
    first = await offline_builder.send(session.id, "every monday summarize https://example.org to telegram")

    turn = await offline_builder.send(session.id, "make it nicer somehow")

    assert turn.valid and turn.version == first.version == 1 and turn.yaml == first.yaml
    assert "could not tell what to change" in turn.reply
    assert len(offline_builder.versions(session.id)) == 1


@pytest.mark.parametrize("request_text", ["", "???", "x" * 5000, "loom: 1\nname: [", "${{ }} steps: - id",
                                          "\u00fcber \u2603 /\u00e9 https://", "0 0 0 0 0 at 99:99"])
async def test_odd_requests_still_get_a_valid_workflow(offline_builder, request_text):
    session = offline_builder.create_session()
    if not request_text.strip():
        with pytest.raises(ValueError, match="empty"):
            await offline_builder.send(session.id, request_text)
        return
    turn = await offline_builder.send(session.id, request_text)
    assert turn.valid and engine.loads(turn.yaml)
