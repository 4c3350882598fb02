"""The examples with `sql` steps, run end to end on the real engine against real databases.

Each test's `db` is a database of its own: an SQLite file, or, where a test is parametrized, a
schema of its own on the machine's PostgreSQL or a database of its own on its MariaDB, since an
example's SQL should run on each database an operator may connect. The test creates the tables
the example's queries expect, seeds them, and checks the rows the run leaves. Email goes to
`mail`, an SMTP server on loopback; `code` steps run in the bubblewrap sandbox.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from tests.examples.conftest import (
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
from tests.peers.databases import KINDS, PASSWORD, Database
from tests.peers.local_server import LocalServer
from tests.peers.model import Asked, ModelPeer
from tests.peers.smtp import SmtpPeer
from tests.peers.telegram import FakeBotApi

OPS_CHAT = "-100777000111"
SERIAL = {"sqlite": "INTEGER PRIMARY KEY", "postgresql": "SERIAL PRIMARY KEY",
          "mariadb": "INTEGER AUTO_INCREMENT PRIMARY KEY"}
"""An id the database assigns, in each dialect."""


# ---- crm-contact-sync ---------------------------------------------------------------------

QUEUE = ("crm_sync_queue (id INTEGER PRIMARY KEY, email VARCHAR(200), first_name VARCHAR(100), "
         "last_name VARCHAR(100), plan VARCHAR(10), source VARCHAR(40), last_error TEXT)")


class TestCrmContactSync:
    example = "crm-contact-sync"
    # crm.example.com is made up: a peer plays the CRM. The push waits 2 s, then 4 s, between its
    # three attempts at a CRM that is down; 10 ms keeps the outage test fast.
    SHORTER_BACKOFF = ("delay: 2s, max_delay: 20s", "delay: 10ms, max_delay: 20ms")
    SIGN_UP = {"email": "lena@example.org", "first_name": "Lena", "plan": "pro", "source": "newsletter"}

    def prepare(self, harness: Harness, web: Web, db: Database, answer):
        harness.secrets.update(CRM_API_TOKEN="crm-examples-token", OPS_CHAT_ID=OPS_CHAT)
        db.execute(f"CREATE TABLE {QUEUE}")
        harness.connect("APP_DB", db)
        crm = web.site("https://crm.example.com", routes({"POST /api/v3/contacts": answer}))
        return crm, web.load(self.example, self.SHORTER_BACKOFF)

    async def test_a_sign_up_is_pushed_to_the_crm(self, harness: Harness, web: Web, db: Database,
                                                  bot_api: FakeBotApi):
        crm, wf = self.prepare(harness, web, db, (201, {}, {"id": "c_1029"}))

        result = await harness.run(wf, webhook(self.SIGN_UP))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"synced": True, "queued": False}
        assert result.replies == ["synced lena@example.org"]
        (push,) = crm.requests
        assert push.json() == {"email": "lena@example.org", "first_name": "Lena", "last_name": "",
                               "properties": {"plan": "pro", "lead_source": "newsletter"}}
        assert push.headers["authorization"] == "Bearer crm-examples-token"
        assert db.rows("SELECT * FROM crm_sync_queue") == [] and bot_api.called("sendMessage") == []

    async def test_a_contact_the_crm_already_has_counts_as_synced(self, harness: Harness, web: Web, db: Database):
        crm, wf = self.prepare(harness, web, db, (409, {}, {"message": "contact exists"}))

        result = await harness.run(wf, webhook(self.SIGN_UP))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"synced": True, "queued": False}
        assert len(crm.requests) == 1

    async def test_a_crm_outage_queues_the_contact_and_tells_ops(self, harness: Harness, web: Web, db: Database,
                                                                 bot_api: FakeBotApi):
        crm, wf = self.prepare(harness, web, db, (503, {}, "maintenance"))

        result = await harness.run(wf, webhook({"email": "lena@example.org", "first_name": "Lena"}))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"synced": False, "queued": True}
        assert result.replies == ["queued lena@example.org for a later sync"]
        assert len(crm.requests) == 3  # `retry: {max_attempts: 3, on: [..., http_5xx]}`
        ((email, first, last, plan, source, error),) = db.rows(
            "SELECT email, first_name, last_name, plan, source, last_error FROM crm_sync_queue")
        assert (email, first, last, plan, source) == ("lena@example.org", "Lena", "", "free", "website")
        assert error == f"HTTP 503 from POST {crm.url}/api/v3/contacts: maintenance"
        (alert,) = bot_api.called("sendMessage")
        assert alert.params["chat_id"] == OPS_CHAT
        assert alert.params["text"] == (f"CRM push failed for lena@example.org (http_5xx); queued for retry: {error}")

    async def test_an_invalid_address_never_reaches_the_crm(self, harness: Harness, web: Web, db: Database):
        crm, wf = self.prepare(harness, web, db, (201, {}, {"id": "c_1"}))

        result = await harness.run(wf, webhook({"email": "lena at example", "first_name": "Lena"}))

        assert result.status == "failed"
        assert result.error["message"] == "'lena at example' is not a valid email address"
        assert crm.requests == [] and db.rows("SELECT * FROM crm_sync_queue") == []


# ---- expense-request ----------------------------------------------------------------------


def expenses_table(db: Database) -> None:
    db.execute(f"CREATE TABLE expenses (id {SERIAL[db.kind]}, requested_by VARCHAR(100), "
               "amount_eur NUMERIC(10, 2), purpose VARCHAR(200), approved_by VARCHAR(100))")
    # Someone's earlier expense, so a new one's id shows it came from the database.
    db.execute("INSERT INTO expenses (requested_by, amount_eur, purpose, approved_by) "
               "VALUES ('sam', 12.00, 'taxi', 'policy: under 250 EUR')")


class TestExpenseRequest:
    example = "expense-request"

    def prepare(self, harness: Harness, db: Database):
        expenses_table(db)
        harness.connect("FINANCE_DB", db)
        return load_example(self.example)

    def booked(self, db: Database) -> list[tuple]:
        return db.rows("SELECT id, requested_by, amount_eur, purpose, approved_by FROM expenses WHERE id > 1")

    async def test_a_small_expense_is_booked_at_once(self, harness: Harness, db: Database):
        wf = self.prepare(harness, db)

        result = await harness.run(wf, telegram(wf, "/expense 42.50 team lunch", user="alice"))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"booked": True, "needed_approval": False}
        assert result.replies == ["Expense #2 booked: team lunch."]
        assert self.booked(db) == [(2, "alice", Decimal("42.50"), "team lunch", "policy: under 250 EUR")]
        assert statuses(result)["manager"] == "skipped"

    @pytest.mark.parametrize("db", KINDS, indirect=True)
    async def test_a_larger_expense_waits_for_the_manager_then_is_booked(self, harness: Harness, db: Database):
        wf = self.prepare(harness, db)

        waiting = await harness.run(wf, telegram(wf, "/expense 800 conference ticket", user="alice"))
        assert waiting.status == "waiting", waiting.error
        assert self.booked(db) == []
        result = await harness.approve(waiting, by="bob")

        assert result.status == "succeeded", result.error
        assert result.outputs == {"booked": True, "needed_approval": True}
        assert result.replies == ["Expense #2 booked: conference ticket."]
        assert self.booked(db) == [(2, "alice", Decimal("800.00"), "conference ticket", "bob")]

    async def test_a_declined_expense_is_not_booked(self, harness: Harness, db: Database):
        wf = self.prepare(harness, db)
        waiting = await harness.run(wf, telegram(wf, "/expense 800 business class upgrade", user="alice"))

        result = await harness.approve(waiting, approved=False, by="bob", comment="Economy only")

        assert result.status == "succeeded", result.error
        assert result.outputs["booked"] is False
        assert result.replies == ["Your expense for business class upgrade was declined by bob."]
        assert self.booked(db) == []

    async def test_a_huge_expense_is_refused_without_asking_anyone(self, harness: Harness, db: Database):
        wf = self.prepare(harness, db)

        result = await harness.run(wf, telegram(wf, "/expense 12000 company car", user="alice"))

        assert result.status == "failed"
        assert result.error["message"] == ("Expenses over 5000 EUR need a purchase order, not an expense claim "
                                           "(company car).")
        assert "manager" not in statuses(result) and self.booked(db) == []


# ---- invoice-extraction -------------------------------------------------------------------

INVOICE = """# INVOICE 2025-0117

Example Office Supplies GmbH, Musterstraße 1, 10115 Berlin
Date: 2025-01-17

| Item | Qty | Unit price |
|---|---|---|
| Desk chair | 2 | 499.00 |
| Monitor arm (set of 2) | 1 | 252.50 |

Total EUR {total}
"""
PAYABLES = ("payables (id {serial}, vendor VARCHAR(200), invoice_number VARCHAR(40), issue_date DATE, "
            "currency CHAR(3), total NUMERIC(12, 2), source_url VARCHAR(500))")


def invoice_reader(asked: Asked) -> str:
    """Reads the Markdown invoice in the prompt as a careful model would."""
    text = after("---", asked.prompt)
    rows = re.findall(r"^\| ([^|]+?) \| (\d+) \| ([\d.]+) \|$", text, re.MULTILINE)
    return json.dumps({
        "vendor": re.search(r"^(.+?),", text.splitlines()[2]).group(1),
        "invoice_number": re.search(r"INVOICE (\S+)", text).group(1),
        "issue_date": re.search(r"Date: (\S+)", text).group(1),
        "currency": "EUR",
        "line_items": [{"description": d, "quantity": int(q), "unit_price": float(p)} for d, q, p in rows],
        "stated_total": float(re.search(r"Total EUR ([\d.,]+)", text).group(1).replace(",", "")),
    })


class TestInvoiceExtraction:
    example = "invoice-extraction"

    def prepare(self, harness: Harness, model: ModelPeer, server: LocalServer, db: Database, total: str):
        harness.secrets["DOCS_API_TOKEN"] = "docs-examples-token"
        db.execute("CREATE TABLE " + PAYABLES.format(serial=SERIAL[db.kind]))
        harness.connect("ACCOUNTS_DB", db)
        server.script((200, {"Content-Type": "text/markdown; charset=utf-8"}, INVOICE.format(total=total)))
        model.answer = invoice_reader
        return f"{server.url}/invoices/2025-0117.md", load_example(self.example)

    @pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
    async def test_an_invoice_whose_lines_add_up_is_booked(self, harness: Harness, model: ModelPeer,
                                                           server: LocalServer, db: Database):
        url, wf = self.prepare(harness, model, server, db, "1,250.50")

        result = await harness.run(wf, telegram(wf, f"/invoice {url}"))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"invoice_number": "2025-0117", "vendor": "Example Office Supplies GmbH",
                                  "total": "1250.50", "payable_id": 1}
        assert result.replies == ["Booked invoice 2025-0117 from Example Office Supplies GmbH: 1250.50 EUR, "
                                  "2 lines (payable #1)."]
        ((vendor, number, issued, currency, total, source),) = db.rows(
            "SELECT vendor, invoice_number, issue_date, currency, total, source_url FROM payables")
        assert (vendor, number, str(issued), currency, total, source) == (
            "Example Office Supplies GmbH", "2025-0117", "2025-01-17", "EUR", Decimal("1250.50"), url)
        (fetch,) = server.requests
        assert fetch.headers["authorization"] == "Bearer docs-examples-token"
        (asked,) = model.asked
        assert asked.body["temperature"] == 0 and asked.model == "gpt-4o"
        assert "| Desk chair | 2 | 499.00 |" in asked.prompt

    async def test_an_invoice_whose_lines_do_not_add_up_is_refused(self, harness: Harness, model: ModelPeer,
                                                                   server: LocalServer, db: Database):
        url, wf = self.prepare(harness, model, server, db, "1,350.50")

        result = await harness.run(wf, webhook({"invoice_url": url}))

        assert result.status == "failed"
        assert result.error["message"] == ("Invoice 2025-0117 was not booked: its lines add up to 1250.50 but it "
                                           "states 1350.50.")
        assert statuses(result)["check_totals"] == "succeeded" and "book" not in statuses(result)
        assert db.rows("SELECT * FROM payables") == []


# ---- lead-triage --------------------------------------------------------------------------

LEADS = [
    {"name": "Ada Byron", "email": "ada@example.org", "company": "Analytical Ltd", "score": 91},
    {"name": "Grace Hopper", "email": "grace@example.com", "company": "Cobol Inc", "score": 55},
    {"name": "Tim Student", "email": "tim@example.net", "company": "-", "score": 12},
    {"name": "Linus T", "email": "linus@example.org", "company": "Kernel AB", "score": 80},
]


class TestLeadTriage:
    example = "lead-triage"

    def prepare(self, harness: Harness, db: Database):
        harness.secrets["SALES_CHAT_ID"] = "-100200300"
        db.execute("CREATE TABLE leads (email VARCHAR(200) PRIMARY KEY, name VARCHAR(200), company VARCHAR(200), "
                   "score INTEGER, tier VARCHAR(10))")
        # Grace filled in the form before, with a lower score: her row is updated, not duplicated.
        db.execute("INSERT INTO leads VALUES ('grace@example.com', 'Grace Hopper', 'Cobol Inc', 30, 'cold')")
        harness.connect("CRM_DB", db)
        return load_example(self.example)

    # ON CONFLICT is SQLite's and PostgreSQL's upsert; MariaDB has its own (ON DUPLICATE KEY UPDATE).
    @pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
    async def test_leads_are_filed_by_tier_and_sales_hears_of_hot_ones(self, harness: Harness, db: Database,
                                                                       bot_api: FakeBotApi):
        wf = self.prepare(harness, db)

        result = await harness.run(wf, webhook({"leads": LEADS}))

        assert result.status == "succeeded", result.error
        assert result.outputs == {
            "triaged": [{"email": "ada@example.org", "tier": "hot"}, {"email": "grace@example.com", "tier": "warm"},
                        {"email": "tim@example.net", "tier": "cold"}, {"email": "linus@example.org", "tier": "hot"}],
            "hot": ["ada@example.org", "linus@example.org"],
        }
        assert result.replies == ["Triaged 4 leads: 2 hot, 1 warm, 1 cold."]
        assert db.rows("SELECT email, score, tier FROM leads ORDER BY email") == [
            ("ada@example.org", 91, "hot"), ("grace@example.com", 55, "warm"), ("linus@example.org", 80, "hot")]
        assert sorted(bot_api.texts("-100200300")) == [
            "Hot lead: Ada Byron (Analytical Ltd), score 91, ada@example.org",
            "Hot lead: Linus T (Kernel AB), score 80, linus@example.org",
        ]

    async def test_a_higher_threshold_files_warm_leads_only_and_alerts_no_one(self, harness: Harness,
                                                                             db: Database, bot_api: FakeBotApi):
        wf = self.prepare(harness, db)

        result = await harness.run(wf, webhook({"leads": LEADS[:1], "hot_threshold": 95}))

        assert result.status == "succeeded", result.error
        assert result.outputs["hot"] == []
        assert db.rows("SELECT tier FROM leads WHERE email = 'ada@example.org'") == [("warm",)]
        assert bot_api.called("sendMessage") == []


# ---- nightly-sales-report -----------------------------------------------------------------

TIMESTAMP = {"sqlite": "TIMESTAMP", "postgresql": "TIMESTAMPTZ", "mariadb": "DATETIME"}
NOW = {"sqlite": "datetime('now')", "postgresql": "now()", "mariadb": "NOW()"}
TWO_DAYS_AGO = {"sqlite": "datetime('now', '-2 days')", "postgresql": "now() - interval '2 days'",
                "mariadb": "NOW() - INTERVAL 2 DAY"}
ORDERS = [  # id, customer, status, when, [(product, quantity, unit price in cents)]
    (1, 7, "paid", NOW, [(1, 2, 14900), (2, 1, 1500)]),
    (2, 8, "paid", NOW, [(2, 3, 1500)]),
    (3, 7, "paid", NOW, [(1, 1, 14900)]),
    (4, 9, "pending", NOW, [(1, 5, 14900)]),            # not paid yet
    (5, 9, "paid", TWO_DAYS_AGO, [(2, 40, 1500)]),      # not today
]


def shop(db: Database) -> None:
    """The shop's tables (created in the database's own dialect, timestamps by its own clock)."""
    db.execute("CREATE TABLE products (id INTEGER PRIMARY KEY, name VARCHAR(100))")
    db.execute(f"CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, status VARCHAR(20), "
               f"total_cents INTEGER, created_at {TIMESTAMP[db.kind]})")
    db.execute("CREATE TABLE order_items (order_id INTEGER, product_id INTEGER, quantity INTEGER, "
               "unit_price_cents INTEGER)")
    db.execute("INSERT INTO products VALUES (1, 'Trail Jacket'), (2, 'Wool Socks'), (3, 'Sun Hat')")
    for order, customer, status, when, items in ORDERS:
        total = sum(quantity * price for _, quantity, price in items)
        db.execute(f"INSERT INTO orders VALUES (:order, :customer, :status, :total, {when[db.kind]})",
                   order=order, customer=customer, status=status, total=total)
        for product, quantity, price in items:
            db.execute("INSERT INTO order_items VALUES (:order, :product, :quantity, :price)",
                       order=order, product=product, quantity=quantity, price=price)


class TestNightlySalesReport:
    example = "nightly-sales-report"

    @pytest.mark.parametrize("db", KINDS, indirect=True)
    async def test_the_days_paid_orders_are_mailed_to_sales(self, harness: Harness, db: Database, mail: SmtpPeer):
        harness.secrets["OPS_CHAT_ID"] = OPS_CHAT
        shop(db)
        harness.connect("SHOP_DB", db)
        wf = load_example(self.example)

        result = await harness.run(wf, cron(wf))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"orders": 3, "revenue_cents": 50700}
        report = ("Orders: 3\nRevenue: 507.00 EUR\nCustomers: 2\n\nBest sellers:\n"
                  "1. Trail Jacket: 3 units, 447.00 EUR\n2. Wool Socks: 4 units, 60.00 EUR")
        body = f"Good evening,\n\n{report}\n\n-- Loomwork (nightly-sales-report, run {result.run_id})\n"
        assert mailed(mail) == [(["sales-team@example.org"], "Sales report: 3 paid orders today", body)]

    async def test_a_day_without_sales_asked_for_in_telegram_is_mailed_as_such(self, harness: Harness,
                                                                               db: Database, mail: SmtpPeer):
        harness.secrets["OPS_CHAT_ID"] = OPS_CHAT
        shop(db)
        db.execute("DELETE FROM orders WHERE created_at >= CURRENT_DATE")
        harness.connect("SHOP_DB", db)
        wf = load_example(self.example)

        result = await harness.run(wf, telegram(wf, "/sales_report"))

        assert result.status == "succeeded", result.error
        assert result.outputs == {"orders": 0, "revenue_cents": 0}
        ((_, subject, body),) = mailed(mail)
        assert subject == "Sales report: 0 paid orders today"
        assert "Revenue: 0.00 EUR\nCustomers: 0\n\nBest sellers:\n(no sales today)\n" in body

    @pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
    async def test_a_database_that_refuses_fails_the_run_and_alerts_ops(self, harness: Harness, db: Database,
                                                                        mail: SmtpPeer, bot_api: FakeBotApi):
        url = db.broken_url()  # a missing SQLite directory; a PostgreSQL user that does not exist, with a password
        harness.secrets.update(OPS_CHAT_ID=OPS_CHAT, SHOP_DB=url)  # the secret-URL fallback
        wf = load_example(self.example)

        result = await harness.run(wf, cron(wf))

        assert result.status == "failed"
        assert (result.error["type"], result.error["step"]) == ("sql", "totals")
        assert "refused the connection" in result.error["message"]
        (alert,) = bot_api.called("sendMessage")
        assert alert.params["chat_id"] == OPS_CHAT
        assert alert.params["text"] == f"Nightly sales report failed at step totals: {result.error['message']}"
        assert url not in alert.params["text"] and PASSWORD not in alert.params["text"]
        assert mail.received == []
