"""MLflow's UI under the app's own origin: a `mlflow server` sidecar, reverse-proxied at `/mlflow/`.

With `LOOM_MLFLOW_UI=on` the app starts `python -m mlflow server` on a free loopback port,
over the tracking store the tracer writes (`sqlite:///$LOOM_HOME/mlflow.db` or
`MLFLOW_TRACKING_URI`), with `--static-prefix /mlflow` so its pages and assets resolve
under the prefix; it stops with the app. MLflow refuses to be framed by another origin
(`X-Frame-Options: SAMEORIGIN`), so serving it from ours lets the Dashboard show it.

Authentication: none at `/mlflow`, like the UI at `/`. A browser cannot send the API's
bearer key from an iframe, and the page is the same local console as the rest of the UI.
It is off unless enabled, MLflow listens on loopback only and is reachable only through
this proxy, and MLflow's own host and CORS checks stay on (the public URL's origin is
allowed when set). Expose the app beyond loopback with this on only behind an
authenticating proxy. The proxy forwards to the sidecar alone; with the UI off, 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from starlette.background import BackgroundTask

from .settings import Settings

if TYPE_CHECKING:
    from .context import Loom

log = logging.getLogger("loomwork.mlflow_ui")

PREFIX = "/mlflow"
EXTRA = "mlflow_ui"
MAX_BODY = 32 * 1024 * 1024
START_TIMEOUT = 180.0
# RFC 9110 7.6.1: meaningful for one connection only, never forwarded by a proxy.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "transfer-encoding", "upgrade", "host"})
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class MlflowSidecar:
    """The `mlflow server` process; `state` is starting, ready, failed or stopped."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = "stopped"
        self.port = 0
        self.process: asyncio.subprocess.Process | None = None
        self.client: httpx.AsyncClient | None = None
        self.log_path = settings.home / "mlflow-ui.log"
        self._ready: asyncio.Task | None = None

    @property
    def tracking_uri(self) -> str:
        from engine.tracing import Tracking

        return Tracking(self.settings.home, self.settings.mlflow_tracking_uri).uri

    def command(self) -> list[str]:
        home = self.settings.home.resolve()
        origins = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
        if self.settings.public_url:
            parts = urlsplit(self.settings.public_url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
        return [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", "1", "--static-prefix", PREFIX, "--backend-store-uri", self.tracking_uri,
                "--artifacts-destination", str(home / "mlflow-artifacts"),
                "--cors-allowed-origins", ",".join(origins)]

    async def start(self, loom: Loom) -> None:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        env = {**os.environ,
               # MLflow's server imports LiteLLM, which would otherwise try to download its price list.
               "LITELLM_LOCAL_MODEL_COST_MAP": "True",
               # No background job runner: the UI does not need one, and it is another process.
               "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
               # A local-first app phones nobody home on the user's behalf.
               "MLFLOW_DISABLE_TELEMETRY": "true"}
        with open(self.log_path, "ab") as log_file:
            self.process = await asyncio.create_subprocess_exec(
                *self.command(), stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                env=env, start_new_session=True)  # its own process group: stop() ends its workers too
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=httpx.Timeout(
            120.0, connect=5.0), follow_redirects=False, trust_env=False)
        self.state = "starting"
        loom.extras[EXTRA] = self
        self._ready = asyncio.create_task(self._wait_until_ready())
        log.info("MLflow UI starting on 127.0.0.1:%s (log: %s)", self.port, self.log_path)
        if self.settings.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("MLflow's UI at %s/ has no authentication and the app listens on %s: put an "
                        "authenticating proxy in front, or set LOOM_MLFLOW_UI=off", PREFIX, self.settings.host)

    async def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        if self._ready is not None:
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        return self.state == "ready"

    async def _wait_until_ready(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while loop.time() < deadline and self.process and self.process.returncode is None:
            with contextlib.suppress(httpx.HTTPError):
                if (await self.client.get(f"{PREFIX}/health")).status_code == 200:
                    self.state = "ready"
                    log.info("MLflow UI ready at %s/", PREFIX)
                    return
            await asyncio.sleep(0.25)
        self.state = "failed"
        log.error("MLflow UI did not start; see %s", self.log_path)

    async def stop(self) -> None:
        if self._ready is not None:
            self._ready.cancel()
        if self.client is not None:
            await self.client.aclose()
        process, self.process, self.state = self.process, None, "stopped"
        if process is None or process.returncode is not None:
            return
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                await asyncio.wait_for(process.wait(), grace)
                return
            except TimeoutError:
                continue


def component(settings: Settings) -> MlflowSidecar | None:
    """The sidecar when `LOOM_MLFLOW_UI=on` and the tracking store is local (a database or files)."""
    if not settings.mlflow_ui:
        return None
    uri = settings.mlflow_tracking_uri or ""
    if uri.startswith(("http://", "https://", "databricks")):
        log.warning("LOOM_MLFLOW_UI is on, but traces go to the MLflow server at %s: open its UI there", uri)
        return None
    return MlflowSidecar(settings)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- the reverse proxy -------------------------------------------------------------------

_STARTING = """<!doctype html><html><head><meta http-equiv="refresh" content="2"><title>MLflow</title></head>
<body style="font-family: sans-serif; color: #555; padding: 2em">MLflow is starting&hellip;</body></html>"""


@router.api_route("", methods=["GET", "HEAD"])
async def root() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/", status.HTTP_307_TEMPORARY_REDIRECT)


@router.api_route("/{path:path}", methods=METHODS)
async def proxy(request: Request, path: str) -> Response:
    sidecar: MlflowSidecar | None = request.app.state.loom.extras.get(EXTRA)
    if sidecar is None or sidecar.state == "stopped":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "MLflow's UI is off: start the app with LOOM_MLFLOW_UI=on")
    if sidecar.state == "starting":
        return HTMLResponse(_STARTING, status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "2"})
    if sidecar.state == "failed":
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"MLflow's UI did not start; see {sidecar.log_path}")
    length = request.headers.get("content-length")
    if length and (not length.isdigit() or int(length) > MAX_BODY):
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"request bodies are limited to {MAX_BODY} bytes")
    upstream = sidecar.client.build_request(
        request.method, _target(request), headers=_forwarded(request.headers.items()),
        content=_limited(request) if length or "transfer-encoding" in request.headers else None)
    try:
        answer = await sidecar.client.send(upstream, stream=True)
    except httpx.HTTPError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"MLflow did not answer: {type(exc).__name__}") from None
    response = StreamingResponse(answer.aiter_raw(), answer.status_code,
                                 background=BackgroundTask(answer.aclose))
    response.raw_headers = _returned(answer.headers)  # a list: repeated headers (Set-Cookie) stay apart
    return response


def _target(request: Request) -> httpx.URL:
    """Always the sidecar (the client's base URL), at the path as the browser sent it."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    return httpx.URL(raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else ""))


def _connection_tokens(headers) -> set[str]:
    return {token.strip().lower() for name, value in headers if name.lower() == "connection"
            for token in value.split(",")}


def _forwarded(headers) -> list[tuple[str, str]]:
    headers = list(headers)
    dropped = HOP_BY_HOP | _connection_tokens(headers) | {"authorization"}  # API keys are not MLflow's business
    return [(name, value) for name, value in headers if name.lower() not in dropped]


def _returned(headers: httpx.Headers) -> list[tuple[bytes, bytes]]:
    dropped = HOP_BY_HOP | _connection_tokens(headers.multi_items())
    return [(name.lower(), value) for name, value in headers.raw if name.decode("latin-1").lower() not in dropped]


async def _limited(request: Request):
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_BODY:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"request bodies are limited to {MAX_BODY} bytes")
        yield chunk
