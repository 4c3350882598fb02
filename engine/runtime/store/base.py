"""The run store: runs, their step journal, approvals' decisions and conversation memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ..result import RunResult, StepRecord


@dataclass(slots=True)
class RunRecord:
    run_id: str
    workflow: str
    status: str  # queued, running, waiting, succeeded, failed, cancelled
    inputs: dict[str, Any] = field(default_factory=dict)
    trigger: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # the workflow's YAML text, so a resume runs exactly what started
    started_at: str = ""
    finished_at: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    replies: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    parent_run_id: str | None = None


def iso_bound(moment: datetime | None) -> str | None:
    """A time filter as the ISO-8601 UTC text `started_at` is stored as (a naive time is read as UTC)."""
    if moment is None:
        return None
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).isoformat()


class Store(Protocol):
    async def create_run(self, record: RunRecord) -> None: ...
    async def mark_running(self, run_id: str) -> None: ...
    async def claim_waiting(self, run_id: str) -> bool: ...
    async def save_step(self, run_id: str, record: StepRecord) -> None: ...
    async def finish_run(self, run_id: str, result: RunResult) -> None: ...
    async def get_run(self, run_id: str) -> RunRecord | None: ...
    async def list_runs(self, *, status: str | None = None, workflow: str | None = None,
                        limit: int = 100, offset: int = 0, since: datetime | None = None,
                        until: datetime | None = None) -> list[RunRecord]: ...
    async def count_runs(self, *, status: str | None = None, workflow: str | None = None,
                         since: datetime | None = None, until: datetime | None = None) -> int: ...
    async def journal(self, run_id: str) -> dict[str, StepRecord]: ...
    async def append_memory(self, key: str, messages: list[dict[str, str]]) -> None: ...
    async def memory(self, key: str, window: int) -> list[dict[str, str]]: ...
