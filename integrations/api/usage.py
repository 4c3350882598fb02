"""Usage and cost (`GET /usage`) and a workflow's performance profile (`GET /workflows/{name}/profile`).

Both read the run store only. The routes are plain `def`: the queries are short blocking
database reads, which FastAPI runs in its thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status

from engine.errors import WorkflowNotFound
from engine.reports import Window, profile, usage

from .deps import KeyDep, LoomDep

router = APIRouter(tags=["usage"])

_SLUG = r"^[a-z][a-z0-9-]{0,62}$"
_TIME = "A date (2025-01-31), a timestamp (2025-01-31T08:00:00Z) or a span back from now (12h, 7d, 2w)."
Since = Annotated[str | None, Query(max_length=40, description=f"Runs started at or after this. {_TIME}")]
Until = Annotated[str | None, Query(max_length=40, description=f"Runs started before this; a bare date "
                                                               f"includes that day. {_TIME}")]


def _window(since: str | None, until: str | None) -> Window:
    try:
        return Window.parse(since, until)
    except ValueError as exc:
        where = "until" if str(exc).startswith("until") else "since"
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            [{"loc": ["query", where], "msg": str(exc), "type": "value_error"}]) from None


@router.get("/usage", summary="Tokens and cost per workflow, model, provider, day or run")
def get_usage(
    loom: LoomDep, _: KeyDep,
    group_by: Annotated[Literal["workflow", "model", "provider", "day", "run"], Query(
        description="How rows are grouped; `run` lists runs newest first.")] = "workflow",
    since: Since = None, until: Until = None,
    workflow: Annotated[str | None, Query(pattern=_SLUG, description="Only this workflow's runs.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most rows for `group_by=run`.")] = 100,
) -> dict[str, Any]:
    """Figures come from the runs' own accounting (LiteLLM's offline price map, applied per model
    call when it happened). `total` covers every matching run, also beyond `limit`."""
    return usage(loom.store.engine, group_by, window=_window(since, until), workflow=workflow,
                 limit=limit).to_dict()


@router.get("/workflows/{name}/profile", summary="Where a workflow's time goes: p50/p95 per step, the bottleneck")
def get_profile(
    loom: LoomDep, _: KeyDep,
    name: Annotated[str, Path(pattern=_SLUG)],
    since: Since = None, until: Until = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Newest finished runs analysed.")] = 200,
) -> dict[str, Any]:
    """404 when the workflow is neither saved nor has runs (a file run with `loom run` has runs)."""
    found = profile(loom.store.engine, name, window=_window(since, until), limit=limit)
    if found.runs == 0 and since is None and until is None and not _saved(loom, name):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no workflow named '{name}' and no runs of it")
    return found.to_dict()


def _saved(loom: LoomDep, name: str) -> bool:
    try:
        loom.catalog.get(name)
    except WorkflowNotFound:
        return False
    return True
