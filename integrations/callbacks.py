"""Posting a finished run's result to the `callback_url` its webhook request named.

The body is the run's JSON (`GET /api/v1/runs/{id}` shape), signed with `X-Loom-Signature`
keyed by `LOOM_SECRET_KEY`, so the receiver knows it came from this server. The URL is
untrusted input: it goes through the same SSRF guard as `http` steps (loopback, private
and metadata addresses are refused unless `LOOM_HTTP_ALLOW` names the host), and is
checked once when the run is requested, so a bad URL is a 422 rather than a lost result.
A delivery is retried on network errors, 429 and 5xx answers, a few times with backoff.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine, Mapping
from typing import Any

import httpx

from engine.errors import StepError
from engine.runtime import netguard

from . import signatures

log = logging.getLogger("loomwork.callbacks")

MAX_URL = 2048
DELAYS = (0.5, 2.0, 8.0)
"""Seconds before each retry; one first attempt plus len(DELAYS) retries."""


class CallbackError(ValueError):
    """A callback_url that cannot be used: not http(s), too long, or not a public address."""


async def check_url(url: str, allow: frozenset[str]) -> None:
    """Refuse a callback URL up front, with the reason, before any run is started."""
    if len(url) > MAX_URL:
        raise CallbackError(f"callback_url is longer than {MAX_URL} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise CallbackError(f"callback_url is not a URL: {exc}") from None
    try:
        await netguard.check(parsed, allow)
    except StepError as exc:
        raise CallbackError(f"callback_url: {exc.message}") from None


async def deliver(url: str, payload: Mapping[str, Any], secret: str, allow: frozenset[str], *,
                  delays: tuple[float, ...] = DELAYS, timeout: float = 10.0) -> bool:
    """POST `payload` to `url`, signed; True once a 2xx answer arrives, False after the last retry."""
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        for attempt in range(len(delays) + 1):
            if attempt:
                await asyncio.sleep(delays[attempt - 1])
            try:
                target = await netguard.check(httpx.URL(url), allow)
                headers = {"Content-Type": "application/json", signatures.HEADER: signatures.sign(secret, body),
                           "User-Agent": "loomwork-callback/1"}
                response = await client.send(target.request(client, "POST", headers, content=body))
            except StepError as exc:  # the host now resolves somewhere private: retrying will not help
                log.warning("callback to %s refused: %s", netguard.display_url(httpx.URL(url)), exc.message)
                return False
            except httpx.HTTPError as exc:
                log.info("callback to %s failed (attempt %d): %s", url, attempt + 1, exc)
                continue
            if response.is_success:
                return True
            if response.status_code != 429 and response.status_code < 500:
                log.warning("callback to %s answered %d; not retrying", url, response.status_code)
                return False
    log.warning("callback to %s gave up after %d attempts", url, len(delays) + 1)
    return False


class Callbacks:
    """Deliveries in flight, held so they are not garbage-collected mid-way and can be awaited."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout: float = 5.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


__all__ = ["CallbackError", "Callbacks", "check_url", "deliver"]
