"""The examples with `email`, `file`, `code` and `workflow` steps (and no `sql`), run end to end
on the real engine.

Email goes to `mail`, an SMTP server on loopback (the harness's `smtp` connection), whose
received messages the tests read; `file` steps work in `harness.files`, where a test writes the
logs an example reads and finds the reports it writes; `code` steps run in the bubblewrap
sandbox; a `workflow` step runs another example from the examples folder as a child run.
"""

from __future__ import annotations

import json
import re

from tests.examples.conftest import (
    MAIL_FROM,
    OPENAI_KEY,
    Harness,
    Web,
    after,
    cron,
    load_example,
    mailed,
    routes,
    statuses,
    telegram,
    webhook,
)
from tests.peers.local_server import LocalServer, Received
from tests.peers.model import Asked, ModelPeer
from tests.peers.smtp import SmtpPeer
from tests.peers.telegram import FakeBotApi

# ---- approved-outreach-email --------------------------------------------------------------


def outreach_writer(asked: Asked) -> str:
    company = re.search(r" at (.+)\.\n", asked.prompt).group(1)
    known = after("What we know:", asked.prompt)
    return json.dumps({"subject": f"Dashboards for {company}",
                       "body": f"Hi Jane,\n\nyou mentioned: {known}.\n\nSam from Example Analytics\n"})


class TestApprovedOutreachEmail:
    example = "approved-outreach-email"
    LEAD = {"recipient": "jane@example.org", "company": "Example Freight",
            "context": "Asked about dashboards at a trade fair"}

    async def draft(self, harness: Harness, model: ModelPeer):
        model.answer = outreach_writer
        wf = load_example(self.example)
        waiting = await harness.run(wf, webhook(self.LEAD))
        assert waiting.status == "waiting", waiting.error
        return waiting

    async def test_the_draft_is_mailed_once_a_sales_lead_approves(self, harness: Harness, model: ModelPeer,
                                                                   mail: SmtpPeer):
        waiting = await self.draft(harness, model)
        assert mail.received == [] and waiting.replies == []

        result = await harness.approve(waiting, by="sales-lead", comment="Looks good")

        body = "Hi Jane,\n\nyou mentioned: Asked about dashboards at a trade fair.\n\nSam from Example Analytics\n"
        assert result.status == "succeeded", result.error
        assert result.outputs == {"sent": True, "subject": "Dashboards for Example Freight"}
        assert result.replies == ["Sent to jane@example.org (approved by sales-lead)."]
        assert mailed(mail) == [(["jane@example.org"], "Dashboards for Example Freight", body)]
        assert mail.received[0].sender == MAIL_FROM
        (asked,) = model.asked
        assert (asked.provider, asked.model, asked.body["temperature"]) == ("openai", "gpt-4o", 0.7)
        assert asked.headers["authorization"] == f"Bearer {OPENAI_KEY}"
        assert asked.prompt.startswith("Write a first outreach email to jane@example.org at Example Freight.")

    async def test_a_rejected_draft_is_not_sent(self, harness: Harness, model: ModelPeer, mail: SmtpPeer):
        waiting = await self.draft(harness, model)

        result = await harness.approve(waiting, approved=False, by="head-of-sales", comment="Too generic")

        assert result.status == "succeeded", result.error
        assert result.outputs["sent"] is False
        assert result.replies == ['Not sent to jane@example.org: head-of-sales said "Too generic".']
        assert mail.received == [] and mail.commands == []
        assert "send_email" not in statuses(result) and statuses(result)["report_rejection"] == "succeeded"


# ---- log-grep-report ----------------------------------------------------------------------

APP_LOG = """2025-03-01T00:00:01Z INFO worker started
2025-03-01T02:11:09Z ERROR payment 4411 declined by gateway
2025-03-01T02:30:00Z INFO 120 jobs done
2025-03-01T03:40:51Z ERROR payment 4502 declined by gateway
2025-03-01T03:41:00Z WARN retrying ERRORS_TOPIC consumer
2025-03-01T04:00:00Z CRITICAL disk /var almost full (97%)
2025-03-01T04:10:12Z ERROR mailer timeout after 30s
"""
TALLY = "    2x payment # declined by gateway\n    1x disk /var almost full (#%)\n    1x mailer timeout after #s"


class TestLogGrepReport:
    example = "log-grep-report"

    def prepare(self, harness: Harness, log: str, text: str):
        harness.secrets["ONCALL_EMAIL"] = "oncall@example.org"
        (harness.files / log).parent.mkdir(parents=True, exist_ok=True)
        (harness.files / log).write_text(text)
        return load_example(self.example)

    async def test_the_nightly_run_writes_a_report_and_mails_on_call(self, harness: Harness, mail: SmtpPeer):
        wf = self.prepare(harness, "logs/app.log", APP_LOG)

        result = await harness.run(wf, cron(wf))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"total": 4, "distinct": 3}
        report = harness.files / "reports" / f"errors-{result.run_id}.txt"
        first, rest = report.read_text().split("\n", 1)
        assert first.startswith(rf"Errors in logs/app.log (pattern \b(ERROR|CRITICAL)\b), run {result.run_id} at ")
        assert rest == f"4 lines, 3 kinds:\n\n{TALLY}\n"
        body = (f"Most frequent:\n\n{TALLY}\n\nFull report: reports/errors-{result.run_id}.txt in the Loomwork "
                "files directory.\n")
        assert mailed(mail) == [(["oncall@example.org"], "4 errors (3 kinds) in logs/app.log", body)]
        assert result.replies == [] and statuses(result)["answer"] == "skipped"

    async def test_a_clean_log_asked_for_in_telegram_is_answered_there_and_nothing_is_sent(
            self, harness: Harness, mail: SmtpPeer):
        wf = self.prepare(harness, "logs/worker.log", "2025-03-01T00:00:01Z INFO worker started\n")

        result = await harness.run(wf, telegram(wf, "/logerrors logs/worker.log"))

        assert result.status == "succeeded", result.error
        assert result.replies == ["logs/worker.log: 0 error lines, 0 kinds."]
        assert not (harness.files / "reports").exists() and mail.received == []
        assert statuses(result)["write_report"] == statuses(result)["notify"] == "skipped"


# ---- ticket-classifier --------------------------------------------------------------------

SUPPORT_KEY = "sk-support-team-key"
VERDICTS = {
    "Charged twice": {"category": "billing", "priority": "normal",
                      "summary": "Customer was charged twice for March.", "needs_human": True},
    "Dashboard down": {"category": "bug", "priority": "urgent",
                       "summary": "All dashboards return HTTP 500 since 09:10.", "needs_human": True},
}


def ticket_triager(asked: Asked) -> str:
    subject = re.search(r"^Subject: (.+)$", asked.prompt, re.MULTILINE).group(1)
    return json.dumps(VERDICTS[subject])


class TestTicketClassifier:
    example = "ticket-classifier"

    def prepare(self, harness: Harness, model: ModelPeer, web: Web, server: LocalServer):
        harness.secrets.update(SUPPORT_OPENAI_KEY=SUPPORT_KEY, TRACKER_TOKEN="trk-examples-token",
                               PAGER_WEBHOOK_URL=f"{server.url}/hooks/abc")
        model.answer = ticket_triager
        tracker = web.site("https://tracker.example.com",
                           routes({"POST /api/v2/projects/SUP/issues": (201, {}, {"key": "SUP-881"})}))
        return tracker, web.load(self.example)  # tracker.example.com is made up: a peer plays it; `server` pages

    async def test_a_billing_question_is_mailed_to_billing(self, harness: Harness, model: ModelPeer, web: Web,
                                                          server: LocalServer, mail: SmtpPeer):
        tracker, wf = self.prepare(harness, model, web, server)

        result = await harness.run(wf, webhook({"ticket_id": "T-1042", "subject": "Charged twice",
                                                "body": "My card was charged twice for March.",
                                                "customer_tier": "pro"}))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"category": "billing", "priority": "normal", "needs_human": True,
                                  "summary": "Customer was charged twice for March.", "escalated": False}
        assert result.replies == ["billing/normal: Customer was charged twice for March."]
        body = "Customer was charged twice for March.\n\nPriority: normal, customer tier: pro\n"
        assert mailed(mail) == [(["billing@example.org"], "Billing ticket T-1042: Charged twice", body)]
        assert tracker.requests == [] and server.requests == []
        (asked,) = model.asked
        assert asked.headers["authorization"] == f"Bearer {SUPPORT_KEY}"  # the support team's key, not the default
        assert asked.prompt.startswith("Ticket T-1042 from a pro customer.\nSubject: Charged twice\n")

    async def test_an_urgent_outage_files_a_bug_and_pages_on_call(self, harness: Harness, model: ModelPeer,
                                                                  web: Web, server: LocalServer, mail: SmtpPeer):
        tracker, wf = self.prepare(harness, model, web, server)

        result = await harness.run(wf, webhook({"ticket_id": "T-1043", "subject": "Dashboard down",
                                                "body": "Since 09:10 every dashboard returns 500.",
                                                "customer_tier": "enterprise"}))

        assert result.status == "succeeded", result.error
        assert result.outputs["category"] == "bug" and result.outputs["escalated"] is True
        (issue,) = tracker.requests
        assert issue.json() == {"title": "[T-1043] Dashboard down", "priority": "urgent", "labels": ["from-helpdesk"],
                                "description": "All dashboards return HTTP 500 since 09:10."}
        assert issue.headers["authorization"] == "Bearer trk-examples-token"
        (page,) = server.requests
        assert (page.method, page.path) == ("POST", "/hooks/abc")
        assert page.json() == {"text": f"Ticket T-1043 (enterprise, urgent): {VERDICTS['Dashboard down']['summary']}",
                               "workflow": "ticket-classifier", "run_id": result.run_id, "step": "escalate"}
        assert mail.received == []


# ---- weekly-reading-digest ----------------------------------------------------------------

PAGES = {"/blog/2025/observability-budgets": "Teams that budget observability spend ship faster. More text.",
         "/engineering/postgres-vacuum": "Autovacuum needs tuning on busy tables. Details follow."}


def page_summarizer(asked: Asked) -> str:
    return json.dumps({"summary": after("paragraph:", asked.prompt).split(". ")[0] + "."})


def pages(request: Received):
    text = PAGES.get(request.path)
    return (200, {"Content-Type": "text/plain"}, text) if text else (404, {}, "Not Found")


class TestWeeklyReadingDigest:
    example = "weekly-reading-digest"

    def prepare(self, harness: Harness, model: ModelPeer, web: Web, *, com_is_down: bool = False):
        harness.secrets["TEAM_TELEGRAM_CHAT"] = "-100555"
        model.answer = page_summarizer
        org = web.site("https://example.org", pages)
        com = web.site("https://example.com", (lambda r: (404, {}, "Not Found")) if com_is_down else pages)
        # The default reading list is on example.org and example.com: a peer plays each.
        wf = web.load(self.example)
        return (f"{org.url}/blog/2025/observability-budgets", f"{com.url}/engineering/postgres-vacuum"), wf

    async def test_every_page_is_digested_by_url_digest_and_posted_once(self, harness: Harness, model: ModelPeer,
                                                                        web: Web, bot_api: FakeBotApi):
        (first, second), wf = self.prepare(harness, model, web)

        result = await harness.run(wf, cron(wf))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"digested": 2, "failed": []}
        assert bot_api.texts("-100555") == [
            f"Weekly reading (2 pages)\n\n{first}\nTeams that budget observability spend ship faster."
            f"\n\n{second}\nAutovacuum needs tuning on busy tables."]
        assert sorted(a.model for a in model.asked) == ["claude-3-5-haiku-latest"] * 2  # url-digest's model
        assert result.replies == []  # url-digest's own reply has no one to go to on a schedule

    async def test_a_dead_link_is_listed_and_the_rest_still_posted(self, harness: Harness, model: ModelPeer,
                                                                   web: Web, bot_api: FakeBotApi):
        (first, second), wf = self.prepare(harness, model, web, com_is_down=True)

        result = await harness.run(wf, cron(wf))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"digested": 1, "failed": [second]}
        assert bot_api.texts("-100555") == [
            f"Weekly reading (1 pages)\n\n{first}\nTeams that budget observability spend ship faster."
            f"\n\nCould not digest: {second}"]
        assert len(model.asked) == 1
