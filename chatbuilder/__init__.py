"""The chat builder: describe a workflow, get a valid one, refine it turn by turn, keep every version.

    builder = Builder(engine, catalog=catalog, model="openai/gpt-4o-mini")
    session = builder.create_session("Morning digest")
    turn = await builder.send(session.id, "every weekday at 7 summarize https://example.org to telegram")
    turn.valid, turn.version, turn.yaml

Every model call goes through `chatbuilder.model.complete`. With no model configured or
reachable, the offline drafter answers and says so.
"""

from .builder import Builder
from .capabilities import capabilities, summarize_changes
from .check import check
from .settings import max_attempts_from_env
from .types import (
    Attempt,
    Capabilities,
    ChangeSummary,
    CheckResult,
    ConnectionCheck,
    Message,
    SessionInfo,
    SessionNotFound,
    Turn,
    Version,
)

__all__ = [
    "Attempt",
    "Builder",
    "Capabilities",
    "ChangeSummary",
    "CheckResult",
    "ConnectionCheck",
    "Message",
    "SessionInfo",
    "SessionNotFound",
    "Turn",
    "Version",
    "capabilities",
    "check",
    "max_attempts_from_env",
    "summarize_changes",
]
