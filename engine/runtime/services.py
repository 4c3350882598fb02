"""What a run may reach outside itself, passed explicitly (no globals, no service locator).

Tests swap these for local peers: an OpenAI-compatible server on loopback for the
model, a local HTTP server with `LOOM_HTTP_ALLOW`, a MemoryStore, senders pointed at a
fake Bot API or Twilio server.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..language.workflow import Workflow
    from .store import Store

SECRET_PREFIX = "LOOM_SECRET_"

Sender = Callable[[str, str], Awaitable[Mapping[str, Any]]]
"""`await sender(to, text)` delivers a message on one channel and returns its receipt
(`{"message_id": ..., "status": ...}`); it raises StepError, with a retry kind, when it fails."""


def env_secrets() -> dict[str, str]:
    """Secrets come from `LOOM_SECRET_<NAME>` environment variables of the server process."""
    return {k[len(SECRET_PREFIX):]: v for k, v in os.environ.items() if k.startswith(SECRET_PREFIX)}


@dataclass
class Services:
    store: Store
    secrets: Mapping[str, str] = field(default_factory=env_secrets)
    resolve_workflow: Callable[[str], Workflow] | None = None
    mocks: Mapping[str, Any] | None = None
    """Step id -> output, for `loom test`: a mocked step is not executed."""
    testing: bool = False
    """`loom test`: steps that reach outside the run must be mocked, and waits do not wait."""
    http_allow: frozenset[str] = field(
        default_factory=lambda: frozenset(
            h.strip().lower() for h in os.environ.get("LOOM_HTTP_ALLOW", "").split(",") if h.strip()
        )
    )
    senders: Mapping[str, Sender] = field(default_factory=dict)
    """Channel name (telegram, whatsapp) -> its client, for `send` steps. The server builds these
    from its settings; the engine itself knows no channel's API."""
