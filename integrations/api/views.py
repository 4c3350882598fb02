"""How runs look over the API: the `loom run --json` shape plus where and when, and the replies
of routes that start or continue a run (200 with the run once it has ended, 202 while it goes on)."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse

from engine.runtime import load_result
from engine.runtime.store import RunRecord

from ..context import Loom

ENDED = frozenset({"succeeded", "failed", "cancelled"})
SETTLED = ENDED | {"waiting"}
"""Statuses a `?wait` returns on: the run has ended, or waits for a person."""
MAX_WAIT = 300.0


def summary(record: RunRecord) -> dict[str, Any]:
    """A run in a listing (`loom runs list --json` plus when it finished)."""
    return {"run_id": record.run_id, "workflow": record.workflow, "status": record.status,
            "started_at": record.started_at, "finished_at": record.finished_at}


async def run_view(loom: Loom, run_id: str) -> dict[str, Any] | None:
    """`GET /api/v1/runs/{id}`: the `loom run --json` shape, plus workflow, inputs, trigger and times."""
    record = await loom.store.get_run(run_id)
    if record is None:
        return None
    result = await load_result(loom.services, run_id)
    trigger = {k: v for k, v in record.trigger.items() if v is not None}
    return {**result.to_dict(), "workflow": record.workflow, "inputs": record.inputs, "trigger": trigger,
            "started_at": record.started_at, "finished_at": record.finished_at,
            "parent_run_id": record.parent_run_id}


async def existing_run(loom: Loom, run_id: str) -> RunRecord:
    record = await loom.store.get_run(run_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no run with id '{run_id}'")
    return record


async def run_reply(loom: Loom, run_id: str, workflow: str, wait: float | None, *,
                    replayed: bool = False) -> JSONResponse:
    """After a run was started or resumed: the run (200) once it has settled, if the caller waits
    (`wait` seconds) or repeats a request; otherwise 202 with its id and where to follow it."""
    headers = {"Location": f"/api/v1/runs/{run_id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    current = "queued"
    if wait or replayed:
        if wait:
            await loom.runner.wait(run_id, timeout=wait)
        view = await run_view(loom, run_id)  # the store, not memory: it is what every process sees
        if view is not None and view["status"] in SETTLED:
            return JSONResponse(view, status_code=status.HTTP_200_OK, headers=headers)
        current = view["status"] if view is not None else current
    return JSONResponse({"run_id": run_id, "workflow": workflow, "status": current},
                        status_code=status.HTTP_202_ACCEPTED, headers=headers)


__all__ = ["ENDED", "MAX_WAIT", "SETTLED", "existing_run", "run_reply", "run_view", "summary"]
