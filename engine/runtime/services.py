"""What a run may reach outside itself, passed explicitly (no globals, no service locator).

Tests swap these for local peers: an OpenAI-compatible server on loopback for the
model, a local HTTP server with `LOOM_HTTP_ALLOW`, a MemoryStore, senders pointed at a
fake Bot API or Twilio server, an SMTP server on loopback as an `smtp` connection.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..connections import Connection
    from ..language.workflow import Workflow
    from ..sandbox.base import Sandbox
    from .store import Store

SECRET_PREFIX = "LOOM_SECRET_"

Sender = Callable[[str, str], Awaitable[Mapping[str, Any]]]
"""`await sender(to, text)` delivers a message on one channel and returns its receipt
(`{"message_id": ..., "status": ...}`); it raises StepError, with a retry kind, when it fails."""


def env_secrets() -> dict[str, str]:
    """Secrets from `LOOM_SECRET_<NAME>` environment variables of the process."""
    return {k[len(SECRET_PREFIX):]: v for k, v in os.environ.items() if k.startswith(SECRET_PREFIX)}


def loom_home() -> Path:
    return Path(os.environ.get("LOOM_HOME") or ".loom")


def default_files_dir() -> Path:
    """The workspace's files directory, `$LOOM_HOME/files`, that `file` steps are confined to."""
    return loom_home() / "files"


def _default_sandbox() -> Sandbox:
    from ..sandbox import default_sandbox

    return default_sandbox()


def http_allow() -> frozenset[str]:
    """Hosts `LOOM_HTTP_ALLOW` exempts from the SSRF guard (a local test server, an intranet API)."""
    return frozenset(h.strip().lower() for h in os.environ.get("LOOM_HTTP_ALLOW", "").split(",") if h.strip())


@dataclass
class Services:
    store: Store
    secrets: Mapping[str, str] = field(default_factory=env_secrets)
    """Name -> value for `${{ secrets.NAME }}`; the server's reads the vault, the environment winning."""
    connections: Mapping[str, Connection] = field(default_factory=dict)
    """Name -> connection for `email`, `sql`, `file` (S3) steps and tools; the server's reads the vault."""
    files_dir: Path = field(default_factory=default_files_dir)
    sandbox: Sandbox = field(default_factory=_default_sandbox)
    """Runs `code` steps; bubblewrap by default, refusing when this machine cannot sandbox."""
    resolve_workflow: Callable[[str], Workflow] | None = None
    mocks: Mapping[str, Any] | None = None
    """Step id -> output, for `loom test`: a mocked step is not executed."""
    testing: bool = False
    """`loom test`: steps that reach outside the run must be mocked, and waits do not wait."""
    http_allow: frozenset[str] = field(default_factory=http_allow)
    senders: Mapping[str, Sender] = field(default_factory=dict)
    """Channel name (telegram, whatsapp) -> its client, for `send` steps. The server builds these
    from its settings; the engine itself knows no channel's API."""
    own_credentials: tuple[str, ...] = ()
    """The process's own credentials (a Telegram bot token, Twilio's auth token): no workflow reads
    them, but they are masked like secrets wherever a run or the log could show them."""

    def secret(self, name: str) -> str | None:
        """The secret's value: by its exact name, else its upper-case form, since environment
        variables (`LOOM_SECRET_HOOK_KEY` for `hook_key`) are upper-case by convention."""
        return self.secrets.get(name) or self.secrets.get(name.upper()) or None

    def secret_values(self) -> Iterator[str]:
        """Every credential a run could come across: masked in whatever it writes or says."""
        yield from (value for value in self.secrets.values() if value)
        for connection in self.connections.values():
            yield from connection.secret_values()
        yield from (value for value in self.own_credentials if value)
