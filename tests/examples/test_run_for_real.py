"""Every example runs end to end on the real engine, with each outside party a real peer on
127.0.0.1: the model (through LiteLLM), the web APIs it calls, the Telegram Bot API and Twilio.

`tests/test_examples.py` runs the examples' own mocked `tests:`; here nothing is mocked. An
example runs as written, except where a comment at its `load` says which text is replaced
and why (a made-up host pointed at its peer, a wait shortened). Each example has one class
here, named by `example`, or in the other `test_run_for_real_*.py` modules beside this one (the
examples with sql steps, and those with email, file and code steps);
`test_every_example_runs_for_real_here` keeps it that way.
"""

from __future__ import annotations

import importlib
import json
import re
import time
from itertools import count
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.examples.conftest import (
    ANTHROPIC_KEY,
    EXAMPLES,
    OPENAI_KEY,
    WHATSAPP_FROM,
    Harness,
    Web,
    after,
    cli,
    cron,
    load_example,
    routes,
    statuses,
    telegram,
    webhook,
    whatsapp,
)
from tests.peers.local_server import LocalServer, Received
from tests.peers.model import Asked, ModelPeer
from tests.peers.telegram import FakeBotApi
from tests.peers.twilio import FakeTwilio


def query(request: Received) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}


# ---- url-digest ---------------------------------------------------------------------------

PAGE = "Owls hunt at night. Their wing feathers make almost no sound."


def summarizer(asked: Asked) -> str:
    style = re.search(r"in a (\w+) paragraph", asked.prompt).group(1)
    first_sentence = after("paragraph:", asked.prompt).split(". ")[0]
    return json.dumps({"summary": f"{style.capitalize()}: {first_sentence}."})


class TestUrlDigest:
    example = "url-digest"

    async def test_a_telegram_user_gets_a_summary_of_the_page(self, harness: Harness, model: ModelPeer,
                                                               server: LocalServer):
        server.script((200, {"Content-Type": "text/plain; charset=utf-8"}, PAGE))
        model.answer = summarizer
        wf = load_example(self.example)

        result = await harness.run(wf, telegram(wf, f"/digest {server.url}/owls"))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"summary": "Short: Owls hunt at night."}
        assert result.replies == ["Short: Owls hunt at night."]
        assert [(r.method, r.path) for r in server.requests] == [("GET", "/owls")]
        (asked,) = model.asked
        assert (asked.provider, asked.model, asked.body["max_tokens"]) == ("anthropic", "claude-3-5-haiku-latest", 600)
        assert asked.headers["x-api-key"] == ANTHROPIC_KEY
        assert asked.system.startswith("You summarize web pages faithfully.")
        assert '"required": ["summary"]' in asked.system
        assert asked.prompt == f"Summarize this page in a short paragraph:\n{PAGE}\n"

    async def test_a_missing_page_fails_and_the_sender_is_told_why(self, harness: Harness, model: ModelPeer,
                                                                   server: LocalServer):
        server.script((404, {}, "Not Found"))
        wf = load_example(self.example)
        url = f"{server.url}/gone"

        result = await harness.run(wf, whatsapp(wf, f"digest {url}"))

        assert result.status == "failed"
        assert result.error["message"] == f"Could not fetch {url} (HTTP 404)"
        assert result.replies == [f"Sorry, that failed: Could not fetch {url} (HTTP 404)"]
        assert len(server.requests) == 1 and model.asked == []


# ---- translate-bot ------------------------------------------------------------------------

TRANSLATIONS = {
    ("German", "Good morning! The build is green again."): "Guten Morgen! Der Build ist wieder grün.",
    ("spanish", "Thanks!\nSee you tomorrow 👋"): "¡Gracias!\n¡Hasta mañana 👋",
}


def translator(asked: Asked) -> str:
    language, text = re.fullmatch(r"Translate into (\w+): (.*)", asked.prompt, re.DOTALL).groups()
    return TRANSLATIONS[(language, text)]


class TestTranslateBot:
    example = "translate-bot"

    async def test_a_telegram_command_is_translated_by_the_self_hosted_model(self, harness: Harness,
                                                                              model: ModelPeer):
        harness.secrets["OLLAMA_BASE_URL"] = model.url
        model.answer = translator
        wf = load_example(self.example)

        result = await harness.run(wf, telegram(wf, "/translate German Good morning! The build is green again."))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"translation": "Guten Morgen! Der Build ist wieder grün."}
        assert result.replies == ["Guten Morgen! Der Build ist wieder grün."]
        (asked,) = model.asked
        assert (asked.provider, asked.model) == ("ollama", "llama3.2")
        assert asked.body["options"] == {"temperature": 0.1, "num_predict": 1000}
        assert asked.system.startswith("You are a professional translator.")
        assert asked.messages == [
            {"role": "user", "content": "Translate into French: The meeting moved to Thursday, see you there!"},
            {"role": "assistant", "content": "La réunion a été déplacée à jeudi, à bientôt !"},
            {"role": "user", "content": "Translate into German: Good morning! The build is green again."},
        ]
        assert result.usage.input_tokens > 0 and result.usage.cost_usd == 0

    async def test_a_whatsapp_message_keeps_its_line_breaks_and_emoji(self, harness: Harness, model: ModelPeer):
        harness.secrets["OLLAMA_BASE_URL"] = model.url
        model.answer = translator
        wf = load_example(self.example)

        result = await harness.run(wf, whatsapp(wf, "translate to spanish: Thanks!\nSee you tomorrow 👋"))

        assert result.status == "succeeded", result.error
        assert result.replies == ["¡Gracias!\n¡Hasta mañana 👋"]


# ---- whatsapp-faq-bot ---------------------------------------------------------------------

FAQ = "## Shipping\nWe ship to Germany, Austria and Switzerland within 3-5 business days.\n"


def shop_assistant(asked: Asked) -> str:
    if "FAQ is unavailable" in asked.system:
        return "Das kann ich gerade nicht nachsehen; bitte schreiben Sie an support@example.org."
    if "Austria" in asked.prompt and "Austria" in asked.system:
        return "Yes, we ship to Austria."
    earlier = " ".join(m["content"] for m in asked.messages[:-1])
    return "To Austria it takes 3-5 business days." if "Austria" in earlier else "To which country?"


class TestWhatsappFaqBot:
    example = "whatsapp-faq-bot"

    async def test_answers_from_the_faq_and_remembers_each_conversation(self, harness: Harness, model: ModelPeer,
                                                                        web: Web):
        faq = web.site("https://example.org", routes({"GET /help/faq.md": (200, {}, FAQ)}))
        model.answer = shop_assistant
        wf = web.load(self.example)  # example.org stands in for the shop: its FAQ is served by a peer

        first = await harness.run(wf, whatsapp(wf, "ask Do you ship to Austria?"))
        follow_up = await harness.run(wf, whatsapp(wf, "ask How long does it take?"))
        someone_else = await harness.run(wf, whatsapp(wf, "ask How long does it take?",
                                                      sender="whatsapp:+4917600000001"))

        assert [r.status for r in (first, follow_up, someone_else)] == ["succeeded"] * 3
        assert first.replies == ["Yes, we ship to Austria."]
        assert follow_up.replies == ["To Austria it takes 3-5 business days."]
        assert someone_else.replies == ["To which country?"]
        assert first.outputs == {"answer": "Yes, we ship to Austria.", "used_faq": True}
        assert FAQ.strip() in model.asked[0].system
        assert model.asked[1].messages == [
            {"role": "user", "content": "Do you ship to Austria?"},
            {"role": "assistant", "content": "Yes, we ship to Austria."},
            {"role": "user", "content": "How long does it take?"},
        ]
        assert model.asked[2].messages == [{"role": "user", "content": "How long does it take?"}]
        assert model.asked[0].body["temperature"] == 0.2 and model.asked[0].body["max_tokens"] == 300
        assert [r.path for r in faq.requests] == ["/help/faq.md"] * 3

    async def test_without_the_faq_it_still_answers_with_the_support_address(self, harness: Harness,
                                                                            model: ModelPeer, web: Web):
        faq = web.site("https://example.org", routes({}))  # the FAQ page is gone: 404
        model.answer = shop_assistant
        wf = web.load(self.example)  # example.org stands in for the shop: its FAQ is served by a peer

        result = await harness.run(wf, telegram(wf, "/faq Wo ist meine Bestellung?"))

        assert result.status == "succeeded", result.error
        assert result.outputs["used_faq"] is False
        assert statuses(result)["load_faq"] == "failed"
        assert "support@example.org" in result.replies[0]
        assert "(the FAQ is unavailable right now; only offer the support address)" in model.asked[0].system
        assert len(faq.requests) == 1  # a 404 is an answer, not an outage: not retried


# ---- daily-standup-summary ----------------------------------------------------------------

EVENTS = [{"who": "li", "what": "closed WEB-210"}, {"who": "sam", "what": "blocked on WEB-215 (needs API key)"}]


def standup_writer(asked: Asked) -> str:
    events = json.loads(after("as JSON:", asked.prompt))["events"]
    return "\n".join(f"*{e['who'].title()}*: {e['what']}" for e in events)


def tracker(request: Received):
    project = request.path.split("/")[4]
    return 200, {}, {"events": EVENTS if project == "WEB" else []}


class TestDailyStandupSummary:
    example = "daily-standup-summary"

    def prepare(self, harness: Harness, model: ModelPeer, web: Web):
        harness.secrets.update(TRACKER_TOKEN="trk-examples-token", TEAM_WHATSAPP_GROUP="+31 6 1234 5678")
        model.answer = standup_writer
        site = web.site("https://tracker.example.com", tracker)
        return site, web.load(self.example)  # tracker.example.com is made up: a peer plays the tracker

    async def test_the_morning_summary_goes_to_the_team_on_whatsapp(self, harness: Harness, model: ModelPeer,
                                                                     web: Web, twilio: FakeTwilio):
        site, wf = self.prepare(harness, model, web)

        result = await harness.run(wf, cron(wf))

        text = "*Stand-up WEB*\n*Li*: closed WEB-210\n*Sam*: blocked on WEB-215 (needs API key)"
        assert result.status == "succeeded", result.error
        assert result.outputs == {"text": text, "events": 2}
        assert twilio.messages == [{"To": "whatsapp:+31612345678", "From": f"whatsapp:{WHATSAPP_FROM}", "Body": text}]
        assert result.replies == [] and statuses(result)["respond"] == "skipped"
        (request,) = site.requests
        assert urlsplit(request.path).path == "/api/v2/projects/WEB/activity"
        assert query(request) == {"since": "24h", "limit": "200"}
        assert request.headers["authorization"] == "Bearer trk-examples-token"
        (asked,) = model.asked
        assert asked.system.startswith("You write crisp stand-up summaries") and asked.body["max_tokens"] == 400
        assert asked.prompt.startswith("Tracker events of project WEB in the last 24 hours")

    async def test_a_quiet_project_asked_for_on_whatsapp_gets_a_reply_and_no_post(
            self, harness: Harness, model: ModelPeer, web: Web, twilio: FakeTwilio):
        site, wf = self.prepare(harness, model, web)

        result = await harness.run(wf, whatsapp(wf, "standup API"))

        assert result.status == "succeeded", result.error
        assert result.replies == ["No tracker activity in API since yesterday."]
        assert result.outputs["events"] == 0
        assert urlsplit(site.requests[0].path).path == "/api/v2/projects/API/activity"
        assert model.asked == [] and twilio.messages == []
        assert statuses(result)["summarize"] == statuses(result)["post"] == "skipped"


# ---- export-job-poller --------------------------------------------------------------------


def export_api(job_id: str, states: list[str], fmt: str):
    """An export API whose job goes through `states`, one per poll."""
    polls = count()

    def status(request: Received):
        state = states[min(next(polls), len(states) - 1)]
        done = state == "succeeded"
        return 200, {}, {"id": job_id, "state": state, "row_count": 18234 if done else 0,
                         "download_url": f"https://files.example.com/{job_id}.{fmt}" if done else None,
                         "error": "storage quota exceeded" if state == "failed" else None}

    return routes({"POST /v1/exports": (202, {}, {"id": job_id, "state": "queued"}),
                   f"GET /v1/exports/{job_id}": status})


class TestExportJobPoller:
    example = "export-job-poller"
    # api.example.com is made up: a peer plays the export API. The example pauses 15 s between
    # polls (the wait step really sleeps outside `loom test`); 10 ms keeps the test fast.
    SHORTER_PAUSE = ("duration: 15s", "duration: 10ms")

    async def test_polls_until_the_export_is_ready_and_replies_with_the_link(self, harness: Harness, web: Web):
        harness.secrets["EXPORT_API_TOKEN"] = "exp-examples-token"
        api = web.site("https://api.example.com", export_api("exp_41", ["running", "running", "succeeded"], "parquet"))
        wf = web.load(self.example, self.SHORTER_PAUSE)

        result = await harness.run(wf, telegram(wf, "/export orders parquet"))

        assert result.status == "succeeded", result.error
        link = "https://files.example.com/exp_41.parquet"
        assert result.outputs == {"job_id": "exp_41", "download_url": link, "rows": 18234}
        assert result.replies == [f"Your orders export is ready (18234 rows, parquet): {link}"]
        polls = [("GET", "/v1/exports/exp_41")] * 3
        assert [(r.method, r.path) for r in api.requests] == [("POST", "/v1/exports"), *polls]
        assert api.requests[0].json() == {"dataset": "orders", "format": "parquet"}
        assert {r.headers["authorization"] for r in api.requests} == {"Bearer exp-examples-token"}
        assert api.requests[0].headers["idempotency-key"]
        pauses = [step.status for step in result.steps if step.step_id == "pause"]
        assert pauses == ["succeeded", "succeeded", "skipped"]

    async def test_a_failed_export_fails_the_run_with_the_jobs_error(self, harness: Harness, web: Web):
        harness.secrets["EXPORT_API_TOKEN"] = "exp-examples-token"
        api = web.site("https://api.example.com", export_api("exp_42", ["running", "failed"], "csv"))
        wf = web.load(self.example, self.SHORTER_PAUSE)

        result = await harness.run(wf, webhook({"dataset": "invoices"}))

        assert result.status == "failed"
        assert result.error["message"] == "Export exp_42 ended as 'failed': storage quota exceeded"
        assert api.requests[0].json() == {"dataset": "invoices", "format": "csv"}
        assert len(api.requests) == 3 and result.replies == []


# ---- github-issue-labeller ----------------------------------------------------------------


def issue_labeller(asked: Asked) -> str:
    bug = any(word in asked.prompt for word in ("does nothing", "crash", "error"))
    missing = "" if not bug or "browser" in asked.prompt else "your browser and its version"
    return json.dumps({"labels": ["bug"] if bug else ["enhancement"], "missing_info": missing})


def github_api(request: Received):
    if request.path.endswith("/labels"):
        return 200, {}, [{"name": name} for name in request.json()["labels"]]
    return 201, {}, {"id": 99, "body": request.json()["body"]}


class TestGithubIssueLabeller:
    example = "github-issue-labeller"
    ISSUE = {"repository": "example-org/website", "issue_number": 512, "title": "Checkout button does nothing",
             "body": "Clicking 'Pay now' does nothing.", "author": "octo-user"}

    def prepare(self, harness: Harness, model: ModelPeer, web: Web):
        harness.secrets.update(GITHUB_TOKEN="ghp-examples-token", GITHUB_RELAY_KEY="relay-examples-key")
        model.answer = issue_labeller
        github = web.site("https://api.github.com", github_api)
        return github, web.load(self.example)  # GitHub's real API: tests never reach the internet, a peer plays it

    async def test_a_bug_report_is_labelled_and_its_author_asked_for_details(self, harness: Harness,
                                                                             model: ModelPeer, web: Web):
        github, wf = self.prepare(harness, model, web)

        result = await harness.run(wf, webhook(self.ISSUE))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"labels": ["bug"], "asked_for_details": True}
        labels, comment = github.requests
        assert (labels.method, labels.path) == ("POST", "/repos/example-org/website/issues/512/labels")
        assert labels.json() == {"labels": ["bug"]}
        assert comment.path == "/repos/example-org/website/issues/512/comments"
        assert comment.json()["body"].startswith("Thanks for opening this, @octo-user! To help us look into it, "
                                                 "could you add:\nyour browser and its version\n")
        for request in (labels, comment):
            assert request.headers["authorization"] == "Bearer ghp-examples-token"
            assert request.headers["accept"] == "application/vnd.github+json"
            assert request.headers["x-github-api-version"] == "2022-11-28"
        (asked,) = model.asked
        assert asked.headers["authorization"] == f"Bearer {OPENAI_KEY}"
        assert asked.body["temperature"] == 0 and asked.body["response_format"] == {"type": "json_object"}
        assert asked.prompt.startswith("Issue #512 in example-org/website: Checkout button does nothing")

    async def test_a_complete_feature_request_gets_labels_only(self, harness: Harness, model: ModelPeer, web: Web):
        github, wf = self.prepare(harness, model, web)
        issue = {**self.ISSUE, "issue_number": 513, "title": "Export invoices as CSV",
                 "body": "As an accountant I want all invoices of a month as one CSV file."}

        result = await harness.run(wf, webhook(issue))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"labels": ["enhancement"], "asked_for_details": False}
        assert [r.path for r in github.requests] == ["/repos/example-org/website/issues/513/labels"]

    async def test_an_edited_issue_is_left_alone(self, harness: Harness, model: ModelPeer, web: Web):
        github, wf = self.prepare(harness, model, web)

        result = await harness.run(wf, webhook({**self.ISSUE, "action": "edited"}))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"labels": [], "asked_for_details": False}
        assert model.asked == [] and github.requests == []


# ---- parallel-research --------------------------------------------------------------------

TOPIC = "solid-state batteries"
RESULTS = {"results": [{"url": "https://example.org/ssb", "snippet": "Solid electrolytes replace liquid ones"}]}
ARTICLE = "A solid-state battery uses a solid electrolyte. Research on it began in the 1830s."
NEWS = {"articles": [{"title": "Pilot line opens", "url": "https://news.example.com/a/1"}]}


def researcher(asked: Asked) -> str:
    if "five most important facts" in asked.prompt:
        found = json.loads(after("each with the URL it came from.", asked.prompt))["results"]
        return "\n".join(f"{n}. {r['snippet']} ({r['url']})." for n, r in enumerate(found, 1))
    if "Summarize the background" in asked.prompt:
        return "Background: " + after("from this article:", asked.prompt).split(". ")[0] + "."
    notes = after("Web notes:", asked.prompt).split("\n\n")[0]
    news = after("News of the last 7 days (JSON):", asked.prompt)
    new = "none" if news == "none available" else json.loads(news)["articles"][0]["title"]
    return f"{TOPIC.capitalize()}. Facts: {notes} New: {new}."


class TestParallelResearch:
    example = "parallel-research"

    def prepare(self, harness: Harness, model: ModelPeer, web: Web, news_answer):
        harness.secrets.update(SEARCH_API_KEY="search-examples-key", NEWS_API_KEY="news-examples-key")
        model.answer = researcher
        sites = (web.site("https://api.example.com", routes({"GET /v1/search": (200, {}, RESULTS)})),
                 web.site("https://encyclopedia.example.org",
                          routes({"GET /api/rest/page/summary": (200, {"Content-Type": "text/plain"}, ARTICLE)})),
                 web.site("https://news.example.com", routes({"GET /v2/articles": news_answer})))
        return sites, web.load(self.example)  # the three hosts are made up: a peer plays each

    async def test_the_briefing_combines_the_web_the_encyclopedia_and_the_news(self, harness: Harness,
                                                                              model: ModelPeer, web: Web):
        (search, encyclopedia, news), wf = self.prepare(harness, model, web, (200, {}, NEWS))

        result = await harness.run(wf, telegram(wf, f"/research {TOPIC}"))

        briefing = ("Solid-state batteries. Facts: 1. Solid electrolytes replace liquid ones "
                    "(https://example.org/ssb). New: Pilot line opens.")
        assert result.status == "succeeded", result.error
        assert result.outputs == {"briefing": briefing, "with_news": True}
        assert result.replies == [briefing]
        assert query(search.requests[0]) == {"q": TOPIC, "limit": "8"}
        assert search.requests[0].headers["authorization"] == "Bearer search-examples-key"
        assert query(encyclopedia.requests[0]) == {"title": TOPIC}
        assert query(news.requests[0]) == {"q": TOPIC, "sort": "published_desc", "days": "7"}
        assert news.requests[0].headers["x-api-key"] == "news-examples-key"
        notes = sorted(a.model for a in model.by_provider("openai"))
        assert notes == ["gpt-4o-mini", "gpt-4o-mini"]
        (final,) = model.by_provider("anthropic")
        assert final.model == "claude-3-5-sonnet-latest" and final is model.asked[-1]
        assert "Background: A solid-state battery uses a solid electrolyte." in final.prompt
        assert final.system == "You write concise, well-sourced research briefings for busy executives."

    async def test_a_news_outage_does_not_stop_the_briefing(self, harness: Harness, model: ModelPeer, web: Web):
        (_, _, news), wf = self.prepare(harness, model, web, (503, {}, "down for maintenance"))

        result = await harness.run(wf, webhook({"topic": TOPIC}))

        assert result.status == "succeeded", result.error
        assert result.outputs["with_news"] is False
        assert result.outputs["briefing"].endswith("New: none.")
        assert statuses(result)["news_search"] == "failed"
        assert len(news.requests) == 1  # `retry: {max_attempts: 1}`: news is a bonus


# ---- uptime-monitor -----------------------------------------------------------------------

ONCALL_CHAT = "-1001234567890"


def health(status: int, latency_s: float = 0.0):
    def answer(request: Received):
        time.sleep(latency_s)  # how slow the endpoint is, not a wait for anything
        return status, {"Content-Type": "text/plain"}, "ok" if status == 200 else "Not Found"

    return routes({"GET /health": answer})


class TestUptimeMonitor:
    example = "uptime-monitor"

    def prepare(self, harness: Harness, web: Web, status: int, latency_s: float = 0.0):
        harness.secrets["ONCALL_TELEGRAM_CHAT"] = ONCALL_CHAT
        site = web.site("https://example.org", health(status, latency_s))
        # The input's default, https://example.org/health, is probed by the cron trigger: a peer plays it.
        return site, f"{site.url}/health", web.load(self.example)

    async def test_a_healthy_endpoint_raises_no_alert(self, harness: Harness, web: Web, bot_api: FakeBotApi):
        site, _, wf = self.prepare(harness, web, 200)

        result = await harness.run(wf, cron(wf))

        assert result.status == "succeeded", result.error
        assert result.outputs["up"] is True and result.outputs["slow"] is False
        assert re.fullmatch(r"HTTP 200 in [\d.]+ ms", result.outputs["detail"])
        assert bot_api.called("sendMessage") == [] and result.replies == []
        assert site.requests[0].headers["user-agent"] == "loomwork-uptime/1.0"

    async def test_a_down_endpoint_alerts_the_on_call_chat(self, harness: Harness, web: Web, bot_api: FakeBotApi):
        site, url, wf = self.prepare(harness, web, 404)

        result = await harness.run(wf, cron(wf))

        assert result.status == "succeeded", result.error
        assert result.outputs["up"] is False
        (alert,) = bot_api.called("sendMessage")
        assert alert.params["chat_id"] == ONCALL_CHAT
        assert alert.params["text"].startswith(f"DOWN: {url} (")
        assert f"HTTP 404 from GET {url}" in alert.params["text"]
        assert statuses(result) == {"probe": "failed", "verdict": "succeeded", "alert": "succeeded",
                                    "report": "skipped"}
        assert len(site.requests) == 1  # a 404 is not retried (`on: [timeout, http_5xx]`)

    async def test_a_check_asked_for_in_telegram_is_answered_there(self, harness: Harness, web: Web,
                                                                    bot_api: FakeBotApi):
        _, url, wf = self.prepare(harness, web, 200)

        result = await harness.run(wf, telegram(wf, f"/uptime {url}", chat_id="123456"))

        assert result.status == "succeeded", result.error
        assert re.fullmatch(rf"{re.escape(url)}: HTTP 200 in [\d.]+ ms", result.replies[0])
        assert bot_api.called("sendMessage") == []

    async def test_a_slow_answer_alerts_as_slow(self, harness: Harness, web: Web, bot_api: FakeBotApi):
        _, url, wf = self.prepare(harness, web, 200, latency_s=0.05)

        result = await harness.run(wf, cli({"url": url, "max_latency_ms": 20}))

        assert result.status == "succeeded", result.error
        assert result.outputs["up"] is True and result.outputs["slow"] is True
        (alert,) = bot_api.called("sendMessage")
        assert re.fullmatch(rf"SLOW: {re.escape(url)} \(HTTP 200 in [\d.]+ ms\)", alert.params["text"])


# ---- every example is here ----------------------------------------------------------------


def test_every_example_runs_for_real_here():
    modules = [importlib.import_module(f"{__package__}.{path.stem}")
               for path in Path(__file__).parent.glob("test_run_for_real*.py")]
    examples = {path.stem for path in EXAMPLES.glob("*.yaml")}
    classes = [value for module in modules for value in vars(module).values()]
    covered = {value.example for value in classes if isinstance(value, type) and hasattr(value, "example")}
    assert sorted(examples - covered) == [], "these examples have no run-for-real test"
    assert sorted(covered - examples) == [], "no such example"
