"""A store in a few dicts: for tests, benchmarks and runs that need no persistence."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from ..result import RunResult, StepRecord
from .base import RunRecord, iso_bound


class MemoryStore:
    def __init__(self) -> None:
        self.runs: dict[str, RunRecord] = {}
        self.steps: dict[str, dict[str, StepRecord]] = {}
        self.memories: dict[str, list[dict[str, str]]] = {}

    async def create_run(self, record: RunRecord) -> None:
        self.runs[record.run_id] = record
        self.steps.setdefault(record.run_id, {})

    async def mark_running(self, run_id: str) -> None:
        if run_id in self.runs:
            self.runs[run_id].status = "running"

    async def claim_waiting(self, run_id: str) -> bool:
        run = self.runs.get(run_id)
        if run is None or run.status != "waiting":
            return False
        run.status = "running"
        return True

    async def save_step(self, run_id: str, record: StepRecord) -> None:
        self.steps.setdefault(run_id, {})[record.key] = record

    async def finish_run(self, run_id: str, result: RunResult) -> None:
        run = self.runs.get(run_id)
        if run is None:
            return
        run.status = result.status
        run.outputs = result.outputs
        run.error = result.error
        run.replies = list(result.replies)
        run.usage = dataclasses.asdict(result.usage)
        if result.status != "waiting":
            run.finished_at = datetime.now(UTC).isoformat()

    async def get_run(self, run_id: str) -> RunRecord | None:
        return self.runs.get(run_id)

    async def list_runs(self, *, status: str | None = None, workflow: str | None = None,
                        limit: int = 100, offset: int = 0, since: datetime | None = None,
                        until: datetime | None = None) -> list[RunRecord]:
        runs = sorted(self._matching(status, workflow, since, until), key=lambda r: r.run_id)
        runs.sort(key=lambda r: r.started_at, reverse=True)  # stable: ties stay in run_id order, as in SQL
        return runs[offset:offset + limit]

    async def count_runs(self, *, status: str | None = None, workflow: str | None = None,
                         since: datetime | None = None, until: datetime | None = None) -> int:
        return len(self._matching(status, workflow, since, until))

    def _matching(self, status: str | None, workflow: str | None, since: datetime | None,
                  until: datetime | None) -> list[RunRecord]:
        low, high = iso_bound(since), iso_bound(until)
        return [r for r in self.runs.values()
                if (status is None or r.status == status) and (workflow is None or r.workflow == workflow)
                and (low is None or r.started_at >= low) and (high is None or r.started_at < high)]

    async def journal(self, run_id: str) -> dict[str, StepRecord]:
        return dict(self.steps.get(run_id, {}))

    async def append_memory(self, key: str, messages: list[dict[str, str]]) -> None:
        self.memories.setdefault(key, []).extend(messages)

    async def memory(self, key: str, window: int) -> list[dict[str, str]]:
        return list(self.memories.get(key, [])[-window:])
