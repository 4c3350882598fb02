"""Runs over HTTP: list, read, cancel, approve or reject, and follow as server-sent events.

Runs are started by `POST /api/v1/workflows/{name}/runs` (see `webhook`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, status
from fastapi.responses import JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field

from engine.errors import LoomError
from engine.runtime.events import Event
from engine.runtime.store import RunRecord

from ..context import Loom
from .deps import KeyDep, LoomDep
from .views import MAX_WAIT, SETTLED, existing_run, run_reply, run_view, summary
from .webhook import callback_listener, schedule_callback

MAX_PAGE = 200
POLL_SECONDS = 0.25

router = APIRouter(tags=["runs"], max_body_size=64 * 1024)

RunId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The run's id.")]
Wait = Annotated[float | None, Query(ge=0, le=MAX_WAIT, description="Seconds to wait for the run to settle.")]
RunStatus = Literal["queued", "running", "waiting", "succeeded", "failed", "cancelled"]


async def _known_run(run_id: RunId, loom: LoomDep) -> RunRecord:
    return await existing_run(loom, run_id)


KnownRun = Annotated[RunRecord, Depends(_known_run)]
"""404 before a stream starts: once it has, the status can no longer change."""


class Answer(BaseModel):
    """The body of approve and reject, optional."""

    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(None, max_length=4000, description="Shown with the decision.")


@router.get("/runs")
async def list_runs(
    loom: LoomDep, _: KeyDep,
    workflow: Annotated[str | None, Query(max_length=128)] = None,
    status_: Annotated[RunStatus | None, Query(alias="status")] = None,
    since: Annotated[datetime | None, Query(description="Started at or after (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Started before (ISO 8601).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict:
    """Runs, newest first, a page at a time; `total` counts every match."""
    filters: dict[str, Any] = {"status": status_, "workflow": workflow, "since": since, "until": until}
    records = await loom.store.list_runs(limit=limit, offset=offset, **filters)
    return {"items": [summary(r) for r in records], "total": await loom.store.count_runs(**filters),
            "limit": limit, "offset": offset}


@router.get("/runs/{run_id}")
async def get_run(run_id: RunId, loom: LoomDep, _: KeyDep) -> dict:
    """The run as `loom run --json` prints it, plus workflow, inputs, trigger and its times."""
    view = await run_view(loom, run_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no run with id '{run_id}'")
    return view


@router.post("/runs/{run_id}/cancel")
async def cancel_run(run_id: RunId, loom: LoomDep, _: KeyDep) -> dict:
    """Stop a queued, running or waiting run; 409 when it has already ended."""
    record = await existing_run(loom, run_id)
    active = loom.runner.is_active(run_id)
    if not await loom.runner.cancel(run_id):
        raise HTTPException(status.HTTP_409_CONFLICT, f"run '{run_id}' has already ended ({record.status})")
    url = record.trigger.get("callback_url")
    if url and not active:  # an active run's own listener sends it; a stored one has none
        schedule_callback(loom, run_id, url)
    return await run_view(loom, run_id)


@router.post("/runs/{run_id}/approve", status_code=status.HTTP_202_ACCEPTED,
             responses={200: {"description": "The run, settled again (with `wait`)"}})
async def approve_run(run_id: RunId, loom: LoomDep, key: KeyDep, wait: Wait = None,
                      answer: Annotated[Answer | None, Body()] = None) -> JSONResponse:
    """Approve the approval step the run waits for; the run goes on. 409 if it is not waiting."""
    return await _answer(loom, run_id, True, key.name, answer, wait)


@router.post("/runs/{run_id}/reject", status_code=status.HTTP_202_ACCEPTED,
             responses={200: {"description": "The run, settled again (with `wait`)"}})
async def reject_run(run_id: RunId, loom: LoomDep, key: KeyDep, wait: Wait = None,
                     answer: Annotated[Answer | None, Body()] = None) -> JSONResponse:
    """Reject the approval step the run waits for; the run goes on with `approved: false`."""
    return await _answer(loom, run_id, False, key.name, answer, wait)


async def _answer(loom: Loom, run_id: str, approved: bool, by: str, answer: Answer | None,
                  wait: float | None) -> JSONResponse:
    # An API key is an operator's credential: it may answer any approval, whoever the step names
    # in `approvers` (those name chat users, whom the channels check).
    record = await existing_run(loom, run_id)
    if record.status != "waiting":
        raise HTTPException(status.HTTP_409_CONFLICT, f"run '{run_id}' is not waiting for an approval "
                                                      f"(it is {record.status})")
    url = record.trigger.get("callback_url")
    listeners = [callback_listener(loom, url)] if url else []
    try:
        await loom.runner.approve(run_id, approved=approved, by=by, comment=answer.comment if answer else None,
                                  listeners=listeners)
    except LoomError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return await run_reply(loom, run_id, record.workflow, wait)


@router.get("/runs/{run_id}/events", response_class=EventSourceResponse,
            responses={200: {"description": "Server-sent events: RunStarted, StepStarted, StepFinished, Reply, "
                                            "ApprovalRequested, RunFinished (the last)"}})
async def run_events(run_id: RunId, loom: LoomDep, _: KeyDep, __: KnownRun) -> AsyncIterator[ServerSentEvent]:
    """The run's progress as it happens, ending with `RunFinished` (status `waiting` when it waits
    for an approval). A run that has already settled sends just its final state."""
    index = 0
    async for event in loom.runner.watch(run_id):
        yield _sse(event_dict(event), index)
        index += 1
    if index:
        return
    # Not running in this process: it has settled, or another process runs it; follow the store.
    while True:
        view = await run_view(loom, run_id)
        if view is None or view["status"] in SETTLED:
            break
        await asyncio.sleep(POLL_SECONDS)
    if view is not None:
        yield _sse({"type": "RunFinished", "run_id": run_id, "status": view["status"], "outputs": view["outputs"],
                    "error": view["error"], "run": view}, index)


def event_dict(event: Event) -> dict[str, Any]:
    """An engine event as JSON: `type` is the event's name (StepFinished, ...), its fields follow;
    a step event's own `type` (the step type) reads `step_type`."""
    fields = dataclasses.asdict(event)
    if "type" in fields:
        fields["step_type"] = fields.pop("type")
    return {"type": type(event).__name__, **fields}


def _sse(data: dict[str, Any], index: int) -> ServerSentEvent:
    return ServerSentEvent(event=data["type"], data=data, id=str(index))


__all__ = ["event_dict", "router"]
