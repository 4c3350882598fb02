"""The chat builder over HTTP, so scripts and the bots can build workflows too.

    POST /api/v1/builder/sessions                          {"title"?}        -> the session
    GET  /api/v1/builder/sessions                                            -> sessions, newest first
    GET  /api/v1/builder/sessions/{id}                                       -> the session and its messages
    POST /api/v1/builder/sessions/{id}/messages            {"text"}          -> {reply, yaml, valid, errors, version,
                                                                                 offline, ...}
    GET  /api/v1/builder/sessions/{id}/versions                              -> versions, oldest first
    POST /api/v1/builder/sessions/{id}/versions            {"yaml"}          -> a hand edit as a new version
    GET  /api/v1/builder/sessions/{id}/versions/{n}
    POST /api/v1/builder/sessions/{id}/versions/{n}/restore                  -> the new version
    POST /api/v1/builder/sessions/{id}/save                {"name"?}         -> the saved workflow
    GET|PUT /api/v1/builder/settings, POST /api/v1/builder/settings/test     -> the builder model

Unknown sessions and versions answer 404; an invalid edit or save answers 422 with
`{"errors": [{path, line, column, message, hint}]}` and stores nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from chatbuilder import Builder, SessionNotFound
from engine.errors import ValidationError

from .deps import KeyDep, LoomDep

MAX_TEXT = 20_000
MAX_YAML = 1024 * 1024

router = APIRouter(prefix="/builder", tags=["builder"], max_body_size=MAX_YAML + 4096)

SessionId = Annotated[str, Path(min_length=1, max_length=64, description="The session's id.")]
Number = Annotated[int, Path(ge=1, le=1_000_000, description="A version number of the session.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewSession(Strict):
    title: str | None = Field(default=None, max_length=200)


class Say(Strict):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="The request or the change, in words.")


class Edit(Strict):
    yaml: str = Field(min_length=1, max_length=MAX_YAML, description="The whole workflow document.")


class SaveAs(Strict):
    name: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]{0,62}$",
                             description="Save under this name; the document's own `name:` by default.")


class ModelSettings(Strict):
    model: str | None = Field(default=None, max_length=200, description="A LiteLLM model string; null for offline.")
    api_base: str | None = Field(default=None, max_length=500)


def get_builder(loom: LoomDep) -> Builder:
    if loom.builder is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the chat builder is not set up in this server")
    return loom.builder


BuilderDep = Annotated[Builder, Depends(get_builder)]


def _found(call, *args):
    try:
        return call(*args)
    except SessionNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _invalid(exc: ValidationError) -> JSONResponse:
    return JSONResponse({"detail": "the workflow is invalid; nothing was stored",
                         "errors": [problem.to_dict() for problem in exc.problems]},
                        status.HTTP_422_UNPROCESSABLE_CONTENT)


@router.post("/sessions", status_code=status.HTTP_201_CREATED)
def create_session(body: NewSession, builder: BuilderDep, _: KeyDep) -> dict:
    """Start a builder session."""
    return builder.create_session(body.title).to_dict()


@router.get("/sessions")
def list_sessions(builder: BuilderDep, _: KeyDep) -> list[dict]:
    """Every session, most recently changed first."""
    return [session.to_dict() for session in builder.sessions()]


@router.get("/sessions/{session_id}", responses={404: {"description": "No such session"}})
def read_session(session_id: SessionId, builder: BuilderDep, _: KeyDep) -> dict:
    """A session with its conversation."""
    session = _found(builder.session, session_id)
    return {**session.to_dict(), "messages": [m.to_dict() for m in builder.messages(session_id)]}


@router.post("/sessions/{session_id}/messages", responses={404: {"description": "No such session"}})
async def send_message(session_id: SessionId, body: Say, builder: BuilderDep, _: KeyDep) -> dict:
    """One chat turn: the draft, whether it is valid, its remaining errors and the new version number."""
    _found(builder.session, session_id)
    if not body.text.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "text: the message is only whitespace")
    try:
        turn = await builder.send(session_id, body.text)
    except SessionNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return turn.to_dict()


@router.get("/sessions/{session_id}/versions", responses={404: {"description": "No such session"}})
def list_versions(session_id: SessionId, builder: BuilderDep, _: KeyDep) -> list[dict]:
    """Every version with its diff, change summary and capabilities, oldest first."""
    return [version.to_dict() for version in _found(builder.versions, session_id)]


@router.post("/sessions/{session_id}/versions", status_code=status.HTTP_201_CREATED,
             responses={404: {"description": "No such session"}, 422: {"description": "Invalid document"}})
def save_edit(session_id: SessionId, body: Edit, builder: BuilderDep, _: KeyDep):
    """A hand edit of the whole document, stored as a new version if valid."""
    try:
        return _found(builder.save_edit, session_id, body.yaml).to_dict()
    except ValidationError as exc:
        return _invalid(exc)


@router.get("/sessions/{session_id}/versions/{number}", responses={404: {"description": "No such version"}})
def read_version(session_id: SessionId, number: Number, builder: BuilderDep, _: KeyDep) -> dict:
    return _found(builder.version, session_id, number).to_dict()


@router.post("/sessions/{session_id}/versions/{number}/restore", status_code=status.HTTP_201_CREATED,
             responses={404: {"description": "No such session or version"}})
def restore_version(session_id: SessionId, number: Number, builder: BuilderDep, _: KeyDep):
    """A new version whose text is version `number`'s."""
    try:
        return _found(builder.restore, session_id, number).to_dict()
    except ValidationError as exc:
        return _invalid(exc)


@router.post("/sessions/{session_id}/save", responses={404: {"description": "No such session"},
                                                        422: {"description": "No valid version, or a bad name"}})
def save_workflow(session_id: SessionId, body: SaveAs, builder: BuilderDep, _: KeyDep):
    """Save the current version as a named workflow in the catalog."""
    try:
        return _found(builder.save, session_id, body.name).to_dict()
    except ValidationError as exc:
        return _invalid(exc)


@router.get("/settings")
def read_settings(builder: BuilderDep, _: KeyDep) -> dict:
    return {"model": builder.model, "api_base": builder.api_base, "max_attempts": builder.max_attempts}


@router.put("/settings")
def change_settings(body: ModelSettings, builder: BuilderDep, _: KeyDep) -> dict:
    builder.set_model(body.model, body.api_base)
    return {"model": builder.model, "api_base": builder.api_base, "max_attempts": builder.max_attempts}


@router.post("/settings/test")
async def test_connection(builder: BuilderDep, _: KeyDep) -> dict:
    """One tiny completion with a short timeout: whether the builder model answers."""
    check = await builder.test_connection()
    return {"ok": check.ok, "message": check.message}
