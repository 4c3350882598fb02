"""From chat text to a workflow and its inputs, shared by the Telegram and WhatsApp channels.

    index = TriggerIndex(loom.catalog)             # the saved, enabled workflows' chat triggers
    match = index.telegram_command("digest")       # -> Route(name, workflow, trigger) or None
    inputs = telegram_inputs(route, "https://example.org")
    route, inputs = index.whatsapp_match("digest https://example.org") or (None, None)

Also here: reading a webhook body with a size limit, splitting long texts into the
messages a channel accepts, and the `send` step's clients for `Services.senders`.
"""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request, status

from engine.errors import LoomError
from engine.language.patterns import compile_pattern
from engine.language.triggers import TelegramTrigger, WhatsAppTrigger
from engine.language.workflow import Workflow
from engine.runtime import InputError, coerce_text
from engine.runtime.tls import tls_context

if TYPE_CHECKING:
    from engine.catalog import Catalog
    from engine.runtime.services import Sender

    from .settings import Settings

log = logging.getLogger("loomwork.channels")

REFRESH_SECONDS = 10.0
"""How stale the index may get when another process changes the catalog (this one's changes apply at once)."""


@dataclass(frozen=True)
class Route:
    name: str
    workflow: Workflow
    trigger: TelegramTrigger | WhatsAppTrigger


class TriggerIndex:
    """The chat triggers of every saved, enabled workflow; rebuilt when the catalog changes."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._routes: list[Route] | None = None
        self._built_at = 0.0
        self._parsed: dict[tuple[str, int], Workflow] = {}
        catalog.subscribe(lambda name: self.invalidate())

    def invalidate(self) -> None:
        self._routes = None

    def routes(self) -> list[Route]:
        if self._routes is None or time.monotonic() - self._built_at > REFRESH_SECONDS:
            self._routes, self._built_at = self._build(), time.monotonic()
        return self._routes

    def telegram(self) -> dict[str, Route]:
        """Command -> route; where two workflows claim one command, the first by name wins."""
        commands: dict[str, Route] = {}
        for route in self.routes():
            if isinstance(route.trigger, TelegramTrigger):
                commands.setdefault(route.trigger.command, route)
        return commands

    def telegram_command(self, command: str) -> Route | None:
        return self.telegram().get(command.lower())

    def whatsapp_match(self, text: str) -> tuple[Route, dict[str, Any]] | None:
        """The first WhatsApp trigger (by workflow name, then trigger order) the text matches.
        Raises InputError, naming the workflow, when a matched value does not fit its input."""
        for route in self.routes():
            if isinstance(route.trigger, WhatsAppTrigger):
                try:
                    inputs = whatsapp_inputs(route, text)
                except InputError as exc:
                    raise InputError(f"{route.name}: {exc}") from None
                if inputs is not None:
                    return route, inputs
        return None

    def _build(self) -> list[Route]:
        routes, parsed, offset = [], {}, 0
        while page := self.catalog.list(enabled=True, limit=500, offset=offset):
            offset += len(page)
            for saved in page:
                key = (saved.name, saved.version)
                workflow = self._parsed.get(key)
                if workflow is None:
                    try:
                        workflow = saved.workflow
                    except LoomError as exc:  # saved under an older engine and no longer valid
                        log.warning("workflow %s v%s is skipped by the chat channels: %s", *key, exc)
                        continue
                parsed[key] = workflow
                routes += [Route(saved.name, workflow, t) for t in workflow.triggers
                           if isinstance(t, TelegramTrigger | WhatsAppTrigger)]
        self._parsed = parsed
        return routes


# ---- inputs from text -----------------------------------------------------------------


def telegram_inputs(route: Route, text: str) -> dict[str, Any]:
    """The command's words fill `args` in order; the last arg takes the rest of the line.
    Raises InputError (with the usage) when a required argument is missing or mistyped."""
    trigger = route.trigger
    words = text.split(None, len(trigger.args) - 1) if trigger.args and text.strip() else []
    pairs = zip(trigger.args, words, strict=False)  # fewer words than args: the rest are checked below
    inputs = {name: coerce_text(route.workflow, name, word.strip()) for name, word in pairs}
    missing = [name for name in trigger.args[len(words):] if route.workflow.inputs[name].is_required]
    if missing:
        raise InputError(f"missing {', '.join(missing)}. Usage: {telegram_usage(route)}")
    return inputs


def telegram_usage(route: Route) -> str:
    return " ".join([f"/{route.trigger.command}", *(f"<{name}>" for name in route.trigger.args)])


def key_value_inputs(workflow: Workflow, text: str) -> dict[str, Any]:
    """`key=value key2="two words"` (as `/run NAME ...` takes them), typed by the inputs' declarations."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise InputError(f"cannot read the inputs: {exc}") from None
    inputs = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise InputError(f"'{word}' is not key=value; e.g. /run {workflow.name} url=https://example.org")
        inputs[key] = coerce_text(workflow, key, value)
    return inputs


def whatsapp_inputs(route: Route, text: str) -> dict[str, Any] | None:
    """The inputs a message gives a WhatsApp trigger, or None when it does not match.
    Patterns are RE2, matched in time linear in the message, so no message can stall the server."""
    trigger = route.trigger
    text = text.strip()
    if trigger.pattern is not None:
        found = compile_pattern(trigger.pattern).search(text)
        if found is None:
            return None
        return {k: coerce_text(route.workflow, k, v) for k, v in found.groupdict().items() if v is not None}
    word, _, rest = text.partition(" ")
    if word.lower() != trigger.command.lower():
        return None
    first = next(iter(route.workflow.inputs), None)
    return {first: coerce_text(route.workflow, first, rest.strip())} if first and rest.strip() else {}


def whatsapp_help(index: TriggerIndex) -> str:
    lines = []
    for route in index.routes():
        if isinstance(route.trigger, WhatsAppTrigger):
            what = route.workflow.description or route.name
            if route.trigger.command:
                first = next(iter(route.workflow.inputs), None)
                lines.append(f"• {route.trigger.command}{f' <{first}>' if first else ''}: {what}")
            else:
                lines.append(f"• {what} (messages matching {route.trigger.pattern})")
    if not lines:
        return "This number runs no workflows yet."
    return "You can send:\n" + "\n".join(lines) + "\n• help: this list"


# ---- transport helpers ----------------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 once it passes `limit` bytes (a declared length is checked first)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the body is larger than {limit} bytes")
    return bytes(body)


def chunks(text: str, size: int) -> Iterator[str]:
    """A long text as messages of at most `size` characters, split at line ends where possible."""
    text = text or " "
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        yield text[:cut]
        text = text[cut:].lstrip("\n")
    yield text


def channel_senders(settings: Settings) -> dict[str, Sender]:
    """The `send` step's clients for the channels the settings configure."""
    from .telegram.sender import telegram_sender
    from .whatsapp.twilio_api import whatsapp_sender

    found = {"telegram": telegram_sender(settings), "whatsapp": whatsapp_sender(settings)}
    return {channel: sender for channel, sender in found.items() if sender is not None}


__all__ = ["Route", "TriggerIndex", "channel_senders", "chunks", "key_value_inputs", "read_body",
           "telegram_inputs", "telegram_usage", "tls_context", "whatsapp_help", "whatsapp_inputs"]
