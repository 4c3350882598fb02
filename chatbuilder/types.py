"""The builder's values: sessions, messages, turns, versions and their summaries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal


class SessionNotFound(LookupError):
    """No builder session (or no version of it) has the given id or number."""


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


@dataclass(frozen=True)
class SessionInfo:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    version: int | None = None
    """The current (newest) version number, None before the first valid draft."""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(), "version": self.version}


@dataclass(frozen=True)
class Message:
    role: Literal["user", "assistant"]
    content: str
    created_at: datetime
    version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "content": self.content, "created_at": self.created_at.isoformat(),
                "version": self.version}


@dataclass(frozen=True)
class Capabilities:
    """What a workflow can do in the world; `new` holds what it adds over the previous version."""

    domains: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    code_execution: bool = False
    models: list[str] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)
    new: Capabilities | None = None

    def is_empty(self) -> bool:
        return not (self.domains or self.channels or self.secrets or self.code_execution or self.models
                    or self.triggers)

    def to_dict(self) -> dict[str, Any]:
        data = {key: value for key, value in asdict(self).items() if key != "new"}
        if self.new is not None:
            data["new"] = self.new.to_dict()
        return data


@dataclass(frozen=True)
class ChangeSummary:
    steps_added: list[str] = field(default_factory=list)
    steps_removed: list[str] = field(default_factory=list)
    steps_changed: list[str] = field(default_factory=list)
    triggers_added: list[str] = field(default_factory=list)
    triggers_removed: list[str] = field(default_factory=list)
    models_added: list[str] = field(default_factory=list)
    models_removed: list[str] = field(default_factory=list)
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Version:
    number: int
    yaml: str
    source: Literal["model", "edit", "restore"]
    created_at: datetime
    diff: str
    changes: ChangeSummary
    capabilities: Capabilities

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "yaml": self.yaml, "source": self.source,
                "created_at": self.created_at.isoformat(), "diff": self.diff,
                "changes": self.changes.to_dict(), "capabilities": self.capabilities.to_dict()}


@dataclass(frozen=True)
class Attempt:
    """One answer of the model within a turn, and what was wrong with it."""

    number: int
    reply: str
    yaml: str
    errors: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Turn:
    reply: str
    yaml: str
    valid: bool
    errors: list[dict[str, Any]]
    version: int | None
    offline: bool
    model_calls: int = 0
    attempts: list[Attempt] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"reply": self.reply, "yaml": self.yaml, "valid": self.valid, "errors": self.errors,
                "version": self.version, "offline": self.offline, "model_calls": self.model_calls,
                "attempts": [attempt.to_dict() for attempt in self.attempts]}


@dataclass(frozen=True)
class CheckResult:
    valid: bool
    errors: list[dict[str, Any]]
    workflow: Any = None
    """The loaded `engine.Workflow`, or None when invalid."""
