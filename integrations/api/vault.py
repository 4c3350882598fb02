"""Secrets and connections over HTTP: set, list, delete, and test a connection.

    PUT  /api/v1/secrets/GITHUB_TOKEN           {"value": "ghp_..."}                  -> 204
    PUT  /api/v1/connections/crm                {"kind": "sql", "settings": {...}}   -> 200 {name, kind, summary, ...}
    POST /api/v1/connections/crm/test                                                -> {ok, message}

No route returns a value: lists carry names, kinds, summaries and times, a test's message is
scrubbed of the connection's credentials, and a refused body's 422 leaves out the `input` that
FastAPI otherwise echoes back (a secret too long, say, would come back whole).

A PUT replaces what is stored under the name, so a connection's credentials are sent again
with every change. Invalid settings answer 422 with a `detail` that names every field at fault;
a key the server cannot use (missing, wrong) answers 503: the server needs fixing, not the request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from engine.connections import Connection, ConnectionCheckFailed, ConnectionInvalid, Kind, check
from engine.language.base import IDENTIFIER
from engine.runtime.scrub import Scrubber
from engine.vault import MAX_VALUE_BYTES, KeyUnavailable, NotStored, VaultError, WrongKey

from .deps import KeyDep, LoomDep

MAX_BODY = 256 * 1024
MAX_SETTING = 64 * 1024  # room for a PEM bundle (smtp `ca_cert`)
MAX_SETTINGS = 32


class NoEcho(APIRoute):
    """A route whose validation errors do not repeat what was sent."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise RequestValidationError([{k: v for k, v in e.items() if k != "input"}
                                              for e in exc.errors()]) from None
        return route


router = APIRouter(tags=["secrets and connections"], max_body_size=MAX_BODY, route_class=NoEcho)

NameParam = Annotated[str, Path(pattern=IDENTIFIER, description="Letters, digits and underscores; 1-63 long.")]
Setting = Annotated[str, Field(max_length=MAX_SETTING)] | int | float | bool | None


class SecretValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=MAX_VALUE_BYTES, description="The secret; never returned.")


class ConnectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    settings: dict[Annotated[str, Field(max_length=64)], Setting] = Field(
        max_length=MAX_SETTINGS, description="The kind's settings, credentials included (never returned).")


class CheckResult(BaseModel):
    ok: bool
    message: str


@router.get("/secrets")
def list_secrets(loom: LoomDep, _: KeyDep) -> dict:
    """Stored secrets' names and times, by name; never a value."""
    return {"items": [s.to_dict() for s in loom.vault.secrets()]}


@router.put("/secrets/{name}", status_code=status.HTTP_204_NO_CONTENT)
def put_secret(name: NameParam, body: SecretValue, loom: LoomDep, _: KeyDep) -> Response:
    """Store (or replace) secret `name`, encrypted; `LOOM_SECRET_<NAME>` on the server still wins."""
    _vault_call(loom.vault.set_secret, name, body.value)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/secrets/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_secret(name: NameParam, loom: LoomDep, _: KeyDep) -> Response:
    if not loom.vault.delete_secret(name):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no secret named '{name}' is stored")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/connections")
def list_connections(loom: LoomDep, _: KeyDep) -> dict:
    """Stored connections: name, kind, summary (where it points) and times; never a credential."""
    return {"items": [c.to_dict() for c in loom.vault.connections_info()]}


@router.put("/connections/{name}", responses={422: {"description": "Invalid settings: `detail` names each field"}})
def put_connection(name: NameParam, body: ConnectionBody, loom: LoomDep, _: KeyDep) -> dict:
    """Store (or replace) connection `name`; answers what is listed for it."""
    try:
        connection = Connection.parse(name, body.kind, body.settings)
    except ConnectionInvalid as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    _vault_call(loom.vault.add_connection, connection)
    return next(c.to_dict() for c in loom.vault.connections_info() if c.name == name)


@router.delete("/connections/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_connection(name: NameParam, loom: LoomDep, _: KeyDep) -> Response:
    if not loom.vault.delete_connection(name):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no connection named '{name}' is stored")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/connections/{name}/test")
async def test_connection(name: NameParam, loom: LoomDep, _: KeyDep) -> CheckResult:
    """One real exchange with the connection's server: `ok` and what worked, or what did not."""
    connection = _vault_call(loom.vault.connection, name)
    scrub = Scrubber(connection.secret_values())
    try:
        return CheckResult(ok=True, message=scrub.text(await check(connection)))
    except ConnectionCheckFailed as exc:
        return CheckResult(ok=False, message=scrub.text(str(exc)))


def _vault_call(method: Any, *args: Any) -> Any:
    """The vault's answer, its errors as HTTP: 404 for nothing stored, 422 for a refused value,
    503 for a key the server cannot use (the operator must fix the server, not the request)."""
    try:
        return method(*args)
    except NotStored as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except (KeyUnavailable, WrongKey) as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    except (ConnectionInvalid, VaultError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
