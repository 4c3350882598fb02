"""The events of a run. The CLI, the store, the tracer, the UI and the bots all consume these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    run_id: str


Listener = Callable[[Event], None]


@dataclass(frozen=True, slots=True)
class RunStarted(Event):
    workflow: str
    inputs: dict[str, Any]
    resumed: bool = False


@dataclass(frozen=True, slots=True)
class StepStarted(Event):
    step_id: str
    key: str
    type: str
    attempt: int


@dataclass(frozen=True, slots=True)
class StepFinished(Event):
    step_id: str
    key: str
    type: str
    status: str  # succeeded, failed, skipped
    attempts: int
    duration_ms: float
    output: Any = None
    error: dict[str, Any] | None = None
    usage: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class Reply(Event):
    text: str
    step_id: str


@dataclass(frozen=True, slots=True)
class ApprovalRequested(Event):
    step_id: str
    key: str
    message: str
    approvers: list[str]


@dataclass(frozen=True, slots=True)
class RunFinished(Event):
    status: str  # succeeded, failed, waiting, cancelled
    outputs: dict[str, Any]
    error: dict[str, Any] | None
