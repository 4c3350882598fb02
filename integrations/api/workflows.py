"""Saved workflows over HTTP: save a version from YAML, read, list, delete, enable and disable.

    PUT /api/v1/workflows/url-digest      (Content-Type: application/yaml; the document)

A save is validated first; an invalid document is refused with every problem `loom validate`
finds, as `{"errors": [{path, line, column, message, hint}]}`, and nothing stored changes.
Text identical to the newest version answers 200 with it; a new version answers 201.
Disabling a workflow stops its triggers (webhook, chat channels, cron) from starting runs;
its versions and past runs stay.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from engine.catalog import SavedWorkflow
from engine.errors import ValidationError, WorkflowNotFound
from engine.language.triggers import TRIGGER_TYPES
from engine.runtime import preflight

from .deps import KeyDep, LoomDep
from .webhook import MAX_BODY, NAME
from .webhook import router as webhook_router

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"})
MAX_PAGE = 200

router = APIRouter(tags=["workflows"], max_body_size=MAX_BODY)
router.include_router(webhook_router)

TriggerType = Literal[tuple(TRIGGER_TYPES)]  # type: ignore[valid-type]  -- the registered types, as an enum
NameParam = Annotated[str, Path(pattern=NAME, description="The workflow's name, as in its `name:`.")]


class Enabled(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


_YAML_BODY = {"requestBody": {"required": True, "content": {
    media: {"schema": {"type": "string", "maxLength": MAX_BODY}} for media in ("application/yaml", "text/plain")}}}


@router.put("/workflows/{name}", openapi_extra=_YAML_BODY, status_code=status.HTTP_201_CREATED,
            responses={200: {"description": "Identical to the newest version: unchanged"},
                       201: {"description": "Saved as a new version"},
                       422: {"description": "Invalid document: `errors` lists every problem"}})
async def save_workflow(name: NameParam, request: Request, loom: LoomDep, _: KeyDep) -> JSONResponse:
    """Save the YAML body as the newest version of workflow `name`."""
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media not in YAML_TYPES:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send the workflow as YAML text "
                            f"(Content-Type: application/yaml), not {media or 'no Content-Type'}")
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        return _invalid([{"path": "", "line": None, "column": None, "hint": "save the file as UTF-8",
                          "message": f"the document is not UTF-8 text (byte {exc.start})"}])
    before = _current_version(loom, name)
    try:
        saved = loom.catalog.save(text, name=name)
    except ValidationError as exc:
        return _invalid([problem.to_dict() for problem in exc.problems])
    created = saved.version != before
    # Saved all the same: the operator may add the secret or connection after the workflow.
    warnings = [m.message for m in preflight.missing(saved.workflow, loom.services)]
    return JSONResponse({**_describe(saved), "warnings": warnings},
                        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
                        headers={"Location": f"/api/v1/workflows/{name}"})


@router.get("/workflows")
def list_workflows(
    loom: LoomDep, _: KeyDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    enabled: bool | None = None,
    search: Annotated[str | None, Query(max_length=100, description="A part of the name.")] = None,
    trigger: Annotated[TriggerType | None, Query(description="Only workflows with a trigger of this type.")] = None,
) -> dict:
    """Saved workflows by name, a page at a time; `total` counts every match."""
    if trigger is None:
        items = loom.catalog.list(enabled=enabled, search=search, limit=limit, offset=offset)
        total = loom.catalog.count(enabled=enabled, search=search)
    else:  # trigger types live in the YAML, not in a column: filter the (few) saved workflows here
        matching = [w for w in loom.catalog.list(enabled=enabled, search=search, limit=1_000_000)
                    if any(t.type == trigger for t in w.workflow.triggers)]
        items, total = matching[offset:offset + limit], len(matching)
    return {"items": [_describe(w) for w in items], "total": total, "limit": limit, "offset": offset}


@router.get("/workflows/{name}")
def get_workflow(name: NameParam, loom: LoomDep, _: KeyDep,
                 version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> dict:
    """One workflow (its newest version, or `version`), with its YAML."""
    return _describe(_get(loom, name, version), source=True)


@router.get("/workflows/{name}/versions")
def list_versions(name: NameParam, loom: LoomDep, _: KeyDep) -> dict:
    """Every saved version, oldest first."""
    try:
        versions = loom.catalog.versions(name)
    except WorkflowNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return {"name": name, "versions": [{"version": v.version, "sha256": v.sha256,
                                        "created_at": v.created_at.isoformat()} for v in versions]}


@router.delete("/workflows/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_workflow(name: NameParam, loom: LoomDep, _: KeyDep) -> Response:
    """Delete the workflow and all its versions; its past runs are kept."""
    if not loom.catalog.delete(name):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no saved workflow named '{name}'")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/workflows/{name}/enable")
def enable_workflow(name: NameParam, loom: LoomDep, _: KeyDep) -> dict:
    """Let the workflow's triggers start runs again."""
    return _set_enabled(loom, name, True)


@router.post("/workflows/{name}/disable")
def disable_workflow(name: NameParam, loom: LoomDep, _: KeyDep) -> dict:
    """Stop the workflow's triggers from starting runs (webhook calls answer 409)."""
    return _set_enabled(loom, name, False)


@router.patch("/workflows/{name}")
def patch_workflow(name: NameParam, change: Enabled, loom: LoomDep, _: KeyDep) -> dict:
    """`{"enabled": false}` disables the workflow's triggers; `true` enables them."""
    return _set_enabled(loom, name, change.enabled)


def _set_enabled(loom, name: str, enabled: bool) -> dict:
    try:
        return _describe(loom.catalog.set_enabled(name, enabled))
    except WorkflowNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _get(loom, name: str, version: int | None = None) -> SavedWorkflow:
    try:
        return loom.catalog.get(name, version)
    except WorkflowNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _current_version(loom, name: str) -> int | None:
    try:
        return loom.catalog.get(name).version
    except WorkflowNotFound:
        return None


def _describe(saved: SavedWorkflow, *, source: bool = False) -> dict:
    return {**saved.to_dict(source=source), "webhook_path": f"/api/v1/workflows/{saved.name}/runs"}


def _invalid(errors: list[dict]) -> JSONResponse:
    count = len(errors)
    return JSONResponse({"detail": f"the workflow is invalid: {count} problem{'s' * (count != 1)}", "errors": errors},
                        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


__all__ = ["router"]
