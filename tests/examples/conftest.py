"""Running the examples for real: every outside party a real peer on 127.0.0.1.

    tracker = web.site("https://tracker.example.com", routes({"GET /api/v2/projects/WEB/activity": answer}))
    wf = web.load("daily-standup-summary")              # the made-up host now points at its peer
    model.answer = lambda asked: "..."                  # the model, as a function of what it is asked
    result = await harness.run(wf, cron(wf))            # or telegram(wf, "/cmd ..."), whatsapp(...), webhook(...)
    model.asked[0].prompt, tracker.requests[0].headers, twilio.messages, bot_api.texts()

Peers: `model` (OpenAI, Anthropic and Ollama APIs; see `tests/peers/model.py`), `web` (one
`LocalServer` per made-up host an example calls), `bot_api` (the Telegram Bot API) and
`twilio` (WhatsApp), reached through the channel clients the server builds from its settings;
`mail` (an SMTP server, the harness's `smtp` connection) and `fresh_database` (an SQLite file,
or a schema or database of its own on the machine's PostgreSQL or MariaDB) for the examples
that send email or run SQL. `harness` runs a workflow with those as its `engine.Services`: one
store, so memory and approvals carry from run to run, a files directory of its own
(`harness.files`), `code` steps in the real sandbox, and the examples folder as its library
of workflows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

import engine
from engine.connections import Connection
from engine.connectors import sql
from engine.language.triggers import CronTrigger, TelegramTrigger, WhatsAppTrigger
from engine.library import FileLibrary
from engine.sandbox import SANDBOX_VARIABLE
from integrations.chat_routing import Route, channel_senders, telegram_inputs, whatsapp_inputs
from integrations.settings import Settings
from tests.conftest import ROOT
from tests.peers.databases import Database, database
from tests.peers.local_server import Answer, LocalServer, Received, serve
from tests.peers.model import ModelPeer, model_peer
from tests.peers.smtp import SmtpPeer, smtp_server
from tests.peers.telegram import FakeBotApi, fake_bot_api
from tests.peers.twilio import FakeTwilio, fake_twilio

EXAMPLES = ROOT / "examples"
BOT_TOKEN = "123456:examples-bot-token"
TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM = "AC" + "7" * 32, "examples-twilio-token", "+15550001111"
OPENAI_KEY, ANTHROPIC_KEY = "sk-examples-openai", "sk-ant-examples"
MAIL_FROM = "loom@example.org"


# ---- how a run starts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """A run's inputs and its trigger, as one of the server's channels would pass them."""

    inputs: Mapping[str, Any]
    trigger: Mapping[str, Any] | None = None


def telegram(workflow: engine.Workflow, text: str, *, chat_id: str = "4242", user: str = "ada") -> Start:
    """A command in the bot, read by the example's own telegram trigger (as the bot reads it)."""
    command, _, rest = text.removeprefix("/").partition(" ")
    trigger = _trigger(workflow, TelegramTrigger, lambda t: t.command == command)
    inputs = telegram_inputs(Route(workflow.name, workflow, trigger), rest)
    return Start(inputs, {"channel": "telegram", "user": user, "chat_id": chat_id, "text": text})


def whatsapp(workflow: engine.Workflow, text: str, *, sender: str = "whatsapp:+4915112345678",
             name: str = "Ada") -> Start:
    """A WhatsApp message, matched by the example's whatsapp trigger (as the channel matches it)."""
    routes = [Route(workflow.name, workflow, t) for t in workflow.triggers if isinstance(t, WhatsAppTrigger)]
    inputs = next((found for route in routes if (found := whatsapp_inputs(route, text)) is not None), None)
    assert inputs is not None, f"no whatsapp trigger of {workflow.name} matches {text!r}"
    return Start(inputs, {"channel": "whatsapp", "user": name, "chat_id": sender, "text": text})


def cron(workflow: engine.Workflow) -> Start:
    """The example's (first) schedule firing, with the trigger's fixed inputs."""
    trigger = _trigger(workflow, CronTrigger, lambda t: True)
    return Start(dict(trigger.inputs), {"channel": "cron", "user": None, "chat_id": None, "text": None,
                                        "schedule": trigger.schedule, "timezone": trigger.timezone})


def webhook(inputs: Mapping[str, Any], *, user: str = "api-key:examples") -> Start:
    """`POST /api/v1/workflows/NAME/runs` with `{"inputs": ...}`."""
    return Start(inputs, {"channel": "webhook", "user": user})


def cli(inputs: Mapping[str, Any]) -> Start:
    """`loom run NAME -i ...`: no trigger, so the engine's `cli` channel."""
    return Start(inputs)


def _trigger(workflow: engine.Workflow, kind: type, match: Callable[[Any], bool]) -> Any:
    found = [t for t in workflow.triggers if isinstance(t, kind) and match(t)]
    assert found, f"{workflow.name} has no such {kind.__name__}"
    return found[0]


# ---- loading an example -------------------------------------------------------------------


def load_example(name: str, *replacements: tuple[str, str]) -> engine.Workflow:
    """`examples/NAME.yaml` as written, except for each (old, new) text replacement, which must
    occur: the caller says in a comment why the example cannot run unchanged."""
    text = (EXAMPLES / f"{name}.yaml").read_text()
    for old, new in replacements:
        assert old in text, f"{name}.yaml no longer contains {old!r}: update its run-for-real test"
        text = text.replace(old, new)
    return engine.loads(text)


def after(marker: str, text: str) -> str:
    """What follows `marker` in a prompt: the data a workflow put there."""
    assert marker in text, f"{marker!r} is not in the prompt: {text!r}"
    return text.split(marker, 1)[1].strip()


@dataclass
class Web:
    """The made-up hosts the examples call, each a `LocalServer` on loopback."""

    stack: ExitStack
    sites: dict[str, LocalServer] = field(default_factory=dict)

    def site(self, base_url: str, handle: Callable[[Received], Answer] | None = None) -> LocalServer:
        """A peer standing in for `base_url` (e.g. `https://tracker.example.com`)."""
        server = self.stack.enter_context(serve())
        if handle is not None:
            server.handle = handle
        self.sites[base_url] = server
        return server

    def load(self, name: str, *replacements: tuple[str, str]) -> engine.Workflow:
        """The example with every site's base URL pointing at its peer, plus `replacements`."""
        return load_example(name, *((base, server.url) for base, server in self.sites.items()), *replacements)


def routes(table: Mapping[str, Answer | Callable[[Received], Answer]]) -> Callable[[Received], Answer]:
    """A `handle` answering `"METHOD /path"` (query string ignored) from `table`; anything else is a 404."""

    def handle(request: Received) -> Answer:
        answer = table.get(f"{request.method} {request.path.split('?')[0]}")
        if answer is None:
            return 404, {}, {"message": f"no route for {request.method} {request.path}"}
        return answer(request) if callable(answer) else answer

    return handle


# ---- running ------------------------------------------------------------------------------


@dataclass
class Harness:
    services: engine.Services
    secrets: dict[str, str]
    """`${{ secrets.NAME }}` values; set the ones the example names before running it."""
    connections: dict[str, Connection]
    """The operator's connections by name (`smtp` once `mail` is used); add the `sql` ones an example names."""
    files: Path
    """The workspace's files directory that `file` steps work in."""

    def connect(self, name: str, db: Database) -> None:
        """A `sql` connection `name` to `db`, as the operator would configure it."""
        self.connections[name] = Connection.parse(name, "sql", {"url": db.url})

    async def run(self, workflow: engine.Workflow, start: Start) -> engine.RunResult:
        return await engine.run(workflow, start.inputs, services=self.services, trigger=start.trigger)

    async def approve(self, waiting: engine.RunResult, *, approved: bool = True, by: str = "lee",
                      comment: str | None = None) -> engine.RunResult:
        """Answer the approval a run waits for, as `loom approve` does, and return the resumed run."""
        assert waiting.status == "waiting", f"run {waiting.run_id} is {waiting.status}, not waiting: {waiting.error}"
        return await engine.approve(waiting.run_id, services=self.services, approved=approved, by=by,
                                    comment=comment)


def mailed(mail: SmtpPeer) -> list[tuple[list[str], str, str]]:
    """(recipients, subject, body) of every message the mail server accepted."""
    return [(r.recipients, r.message["Subject"], r.message.get_content()) for r in mail.received]


def statuses(result: engine.RunResult) -> dict[str, str]:
    """Step key -> status, for every step execution the run journaled."""
    return {step.key: str(step.status) for step in result.steps}


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def litellm_imported() -> None:
    """LiteLLM's import takes seconds (8 s on a busy machine): pay it once, in setup, not in a test's time."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # as the engine does: no price-list download
    import litellm  # noqa: F401


@pytest.fixture
def model(litellm_imported: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelPeer]:
    """The model provider of every llm step: LiteLLM reads these variables for `openai/` and
    `anthropic/` models; an `ollama/` step names its server in `api_base`."""
    with model_peer() as peer:
        monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        monkeypatch.setenv("OPENAI_API_BASE", f"{peer.url}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
        monkeypatch.setenv("ANTHROPIC_API_BASE", peer.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
        yield peer
        assert peer.errors == [], f"the test's model answer failed: {peer.errors}"


@pytest.fixture
def web() -> Iterator[Web]:
    with ExitStack() as stack:
        yield Web(stack)


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with fake_bot_api(BOT_TOKEN) as api:
        yield api


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio(TWILIO_SID, TWILIO_TOKEN) as fake:
        yield fake


@pytest.fixture
def harness(model: ModelPeer, bot_api: FakeBotApi, twilio: FakeTwilio, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.delenv(SANDBOX_VARIABLE, raising=False)  # code steps in bubblewrap, whatever the shell opted into
    settings = Settings(home=tmp_path, telegram_bot_token=BOT_TOKEN, telegram_api_base_url=bot_api.url,
                        twilio_account_sid=TWILIO_SID, twilio_auth_token=TWILIO_TOKEN,
                        twilio_whatsapp_from=WHATSAPP_FROM, twilio_api_base_url=twilio.url)
    secrets: dict[str, str] = {}
    connections: dict[str, Connection] = {}
    files = tmp_path / "files"
    services = engine.Services(store=engine.MemoryStore(), secrets=secrets, connections=connections,
                               files_dir=files, http_allow=frozenset({"127.0.0.1"}),
                               senders=channel_senders(settings), resolve_workflow=FileLibrary(EXAMPLES))
    yield Harness(services, secrets, connections, files)
    sql.close()  # the sql steps' cached engines hold connections to this test's databases


@pytest.fixture
def mail(harness: Harness) -> Iterator[SmtpPeer]:
    """The mail server: the harness's `smtp` connection, which `email` steps use by default."""
    with smtp_server() as peer:
        harness.connections["smtp"] = Connection.parse("smtp", "smtp", peer.settings(**{"from": MAIL_FROM}))
        yield peer


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A database with no tables, so an example's own table names can be created in it: an SQLite
    file, a schema of its own on PostgreSQL (first on the URL's search path) or a database of its
    own on MariaDB, dropped afterwards with everything in it. A server that is down fails the test."""
    with database(kind, tmp_path) as server:
        if kind == "sqlite":
            yield server
            return
        name = f"loom_examples_{uuid.uuid4().hex[:12]}"
        url = make_url(server.url)
        if kind == "postgresql":
            server.execute(f"CREATE SCHEMA {name}")
            url = url.update_query_dict({"options": f"-csearch_path={name}"})
            drop = f"DROP SCHEMA {name} CASCADE"
        else:
            server.execute(f"CREATE DATABASE {name}")
            url = url.set(database=name)
            drop = f"DROP DATABASE {name}"
        rendered = url.render_as_string(hide_password=False)
        own = Database(kind, rendered, create_engine(rendered))
        try:
            yield own
        finally:
            own.admin.dispose()
            sql.close()  # before the drop: pooled connections into the schema or database
            server.execute(drop)


@pytest.fixture
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A `fresh_database`: SQLite, unless the test says otherwise with
    `@pytest.mark.parametrize("db", ["sqlite", "postgresql", "mariadb"], indirect=True)`."""
    with fresh_database(getattr(request, "param", "sqlite"), tmp_path) as opened:
        yield opened
