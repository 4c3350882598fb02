"""`POST /api/v1/workflows/{name}/runs`: start a run, as a webhook trigger or by hand.

Who may call it depends on the workflow's `webhook` trigger:

- an API key (`Authorization: Bearer`) always works: the key's holder may run any saved
  workflow, with or without a webhook trigger (a manual run, as from the CLI);
- `auth: hmac` also accepts a request signed with `X-Loom-Signature` (see `signatures`),
  keyed by the secret the trigger names (`LOOM_SECRET_<NAME>`; `LOOM_SECRET_KEY` if it
  names none), checked on the raw bytes before the body is parsed;
- `auth: none` accepts anyone, and only then.

Each delivery is taken once (`Deliveries`): a repeated `Idempotency-Key` (scoped to the
workflow and the API key) with the same body answers with the first run, with another body
409. A signed request without one is deduplicated on its signature, so a captured request
replayed inside the 300 s window answers with the run it already started instead of
starting another (outside the window its timestamp is refused).
"""

from __future__ import annotations

import hashlib
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as BodyError

from engine.catalog import Catalog, SavedWorkflow
from engine.errors import WorkflowNotFound
from engine.language.triggers import WebhookTrigger
from engine.runtime import InputError, preflight
from engine.runtime.events import Event, RunFinished

from .. import callbacks, signatures
from ..context import Loom
from ..deliveries import Claim
from .deps import bearer_key, enforce_rate_limit, get_loom, unauthorized
from .views import ENDED, MAX_WAIT, run_reply, run_view

MAX_BODY = 1024 * 1024
NAME = r"^[a-z][a-z0-9-]{0,62}$"
IDEMPOTENCY_KEY = r"^[\x21-\x7e]{1,128}$"

router = APIRouter(tags=["runs"], max_body_size=MAX_BODY)


class RunRequest(BaseModel):
    """The body of a run request; an empty body means no inputs."""

    model_config = ConfigDict(extra="forbid")
    inputs: dict[str, Any] = Field(default_factory=dict, description="The workflow's inputs by name.")
    callback_url: str | None = Field(None, max_length=callbacks.MAX_URL, description=(
        "Where to POST the run's result when it ends, signed with X-Loom-Signature (needs LOOM_SECRET_KEY)."))


class RunAccepted(BaseModel):
    run_id: str
    workflow: str
    status: str


_BODY_SCHEMA = {"requestBody": {"required": False, "content": {"application/json": {
    "schema": RunRequest.model_json_schema(ref_template="#/components/schemas/{model}")}}}}


@router.post("/workflows/{name}/runs", status_code=status.HTTP_202_ACCEPTED, openapi_extra=_BODY_SCHEMA,
             response_model=RunAccepted, responses={200: {"description": "The finished run (with `wait`)"}})
async def start_run(
    request: Request,
    name: Annotated[str, Path(pattern=NAME, description="The saved workflow's name.")],
    wait: Annotated[float | None, Query(ge=0, le=MAX_WAIT, description="Seconds to wait for the run to end.")] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY)] = None,
) -> JSONResponse:
    """Start a run with `{"inputs": {...}}`: 202 with its id, or with `?wait=SECONDS` the finished run (200)."""
    loom = get_loom(request)
    saved = _saved(loom, name)
    scope, user = _admit(request, loom, saved, name)
    if saved is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no saved workflow named '{name}'")
    if not saved.enabled:
        raise HTTPException(status.HTTP_409_CONFLICT, f"workflow '{name}' is disabled, so its triggers start no "
                                                      f"runs; enable it with POST /api/v1/workflows/{name}/enable")
    body = await request.body()
    signature = _check_signature(request, loom, saved, body) if scope == "hmac" else None
    run_request = _parse(body)
    _check_preflight(loom, saved, named=scope != "none")  # after authentication
    if run_request.callback_url is not None:
        await _check_callback(loom, run_request.callback_url)
    digest = hashlib.sha256(body).hexdigest()
    claims, repeat = _claim(loom, [f"{name}/{scope}/{key}" for key in (signature, idempotency_key and
                                                                       f"idem:{idempotency_key}") if key], digest)
    if repeat is not None:
        return await _repeat(loom, repeat, digest, name, wait)
    trigger = {"channel": "webhook", "user": user}
    listeners = []
    if run_request.callback_url is not None:
        trigger["callback_url"] = run_request.callback_url
        listeners.append(callback_listener(loom, run_request.callback_url))
    try:
        run_id = await loom.runner.start(saved.workflow, run_request.inputs, trigger=trigger, listeners=listeners)
    except InputError as exc:
        _release(loom, claims)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"inputs: {exc}") from None
    except BaseException:
        _release(loom, claims)
        raise
    for claim in claims:
        loom.deliveries.attach(claim, run_id)
    return await run_reply(loom, run_id, name, wait)


def _saved(loom: Loom, name: str) -> SavedWorkflow | None:
    cache: SavedCache | None = loom.extras.get("webhook_workflows")
    if cache is None:
        cache = loom.extras["webhook_workflows"] = SavedCache(loom.catalog)
    return cache.get(name)


class SavedCache:
    """Saved workflows as the webhook sees them, remembered for `SECONDS`.

    A burst of deliveries then costs one catalog read, not one per request (the read is a
    third of an acceptance's cost). A change in this process (save, enable, disable, delete)
    takes effect at once; one made by another process on the same database within `SECONDS`.
    """

    SECONDS = 1.0

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._entries: dict[str, tuple[SavedWorkflow | None, float]] = {}
        catalog.subscribe(self.forget)

    def get(self, name: str) -> SavedWorkflow | None:
        now = time.monotonic()
        entry = self._entries.get(name)
        if entry is not None and now - entry[1] < self.SECONDS:
            return entry[0]
        try:
            saved = self.catalog.get(name)
        except WorkflowNotFound:
            saved = None
        if len(self._entries) > 10_000:  # names probed by strangers must not grow it without bound
            self._entries.clear()
        self._entries[name] = (saved, now)
        return saved

    def forget(self, name: str) -> None:
        self._entries.pop(name, None)


def _admit(request: Request, loom: Loom, saved: SavedWorkflow | None, name: str) -> tuple[str, str | None]:
    """Who is calling, as (idempotency scope, user): an API key, or what the webhook trigger allows.
    Unknown workflows answer 401 to anyone without a key, so names cannot be probed."""
    if request.headers.get("authorization"):
        key = bearer_key(request)
        if key is None:
            raise unauthorized()
        enforce_rate_limit(loom, f"key:{key.id}")
        return f"key:{key.id}", key.name
    trigger = webhook_trigger(saved)
    if trigger is None or trigger.auth == "api_key":
        raise unauthorized()
    if trigger.auth == "hmac":
        enforce_rate_limit(loom, f"hmac:{name}")
        return "hmac", None
    enforce_rate_limit(loom, f"none:{name}:{request.client.host if request.client else '-'}")
    return "none", None


def webhook_trigger(saved: SavedWorkflow | None) -> WebhookTrigger | None:
    if saved is None:
        return None
    return next((t for t in saved.workflow.triggers if isinstance(t, WebhookTrigger)), None)


def _check_signature(request: Request, loom: Loom, saved: SavedWorkflow, body: bytes) -> str:
    """Verify `X-Loom-Signature` over the raw body; the signature's digest keys replay dedupe."""
    trigger = webhook_trigger(saved)
    secret_name = trigger.secret if trigger is not None else None
    if secret_name:
        secret = loom.services.secret(secret_name)
        missing = f"the signing secret LOOM_SECRET_{secret_name.upper()} is not set on the server"
    else:
        secret = loom.settings.secret_key
        missing = "the trigger names no `secret` and LOOM_SECRET_KEY is not set on the server"
    if not secret:
        raise unauthorized(f"cannot check {signatures.HEADER}: {missing}")
    header = request.headers.get(signatures.HEADER)
    try:
        timestamp = signatures.verify(header, body, secret)
    except signatures.SignatureError as exc:
        raise unauthorized(str(exc)) from None
    return f"sig:{timestamp}:{hashlib.sha256(body).hexdigest()[:32]}"


def _check_preflight(loom: Loom, saved: SavedWorkflow, *, named: bool) -> None:
    """Refuse a run that would fail before its first step for want of a secret or connection.
    Only an authenticated caller learns which: an `auth: none` webhook's caller is anyone."""
    missing = preflight.missing(saved.workflow, loom.services)
    if not missing:
        return
    what = "; ".join(m.message for m in missing) if named else \
        "secrets or connections it needs are not configured on the server"
    raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"workflow '{saved.name}' cannot run: {what}")


def _parse(body: bytes) -> RunRequest:
    if not body.strip():
        return RunRequest()
    try:
        return RunRequest.model_validate_json(body)
    except BodyError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:10])
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f'the body must be JSON like {{"inputs": {{...}}}}: {problems}') from None


async def _check_callback(loom: Loom, url: str) -> None:
    if not loom.settings.secret_key:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "callback_url needs LOOM_SECRET_KEY set on the server, to sign what it sends")
    try:
        await callbacks.check_url(url, loom.services.http_allow)
    except callbacks.CallbackError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None


def _claim(loom: Loom, keys: list[str], digest: str) -> tuple[list[Claim], Claim | None]:
    """Take the delivery under each key: (the claims, None), or ([], the first claim seen before).

    A signed request is taken by its signature (so a replay is caught) and by its Idempotency-Key
    (so the sender's retry, signed anew, is caught); the key alone would let a replay through
    under a fresh key.
    """
    claims: list[Claim] = []
    for key in keys:
        claim = loom.deliveries.claim("webhook", key, body_sha256=digest)
        if not claim.first:
            _release(loom, claims)
            return [], claim
        claims.append(claim)
    return claims, None


async def _repeat(loom: Loom, claim: Claim, digest: str, name: str, wait: float | None) -> JSONResponse:
    """A delivery seen before: the first one's run, unless the body differs."""
    if claim.body_sha256 != digest:
        raise HTTPException(status.HTTP_409_CONFLICT, "this Idempotency-Key was already used with a different "
                                                      "body; use a new key for a new request")
    run_id = await loom.deliveries.run_id(claim)
    if run_id is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the first request with this Idempotency-Key is still "
                                                      "starting its run, or failed to; retry in a moment",
                            headers={"Retry-After": "1"})
    return await run_reply(loom, run_id, name, wait, replayed=True)


def _release(loom: Loom, claims: list[Claim]) -> None:
    for claim in claims:
        loom.deliveries.release(claim)


def callback_listener(loom: Loom, url: str):
    """A run listener that POSTs the run's result to `url` once the run has ended."""
    def listener(event: Event) -> None:
        if isinstance(event, RunFinished) and event.status in ENDED:
            schedule_callback(loom, event.run_id, url)
    return listener


def schedule_callback(loom: Loom, run_id: str, url: str) -> None:
    """Deliver the run's result to `url` in the background (the run or request does not wait)."""
    pending: callbacks.Callbacks = loom.extras.setdefault("callbacks", callbacks.Callbacks())
    pending.spawn(_send_callback(loom, run_id, url))


async def _send_callback(loom: Loom, run_id: str, url: str) -> bool:
    view = await run_view(loom, run_id)
    if view is None or loom.settings.secret_key is None:
        return False
    return await callbacks.deliver(url, view, loom.settings.secret_key, loom.services.http_allow)


__all__ = ["RunRequest", "callback_listener", "router", "schedule_callback", "webhook_trigger"]
