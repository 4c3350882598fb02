"""The WhatsApp channel: a message in, the matching workflow's run, its replies back through Twilio.

One `WhatsAppChannel` per server (`loom.extras["whatsapp"]`): the webhook hands it each
verified message; it takes the `MessageSid` once (Twilio retries when it waits more than
15 s), matches the text against the saved, enabled workflows' `whatsapp` triggers and
starts the run. A `Relay` sends the run's replies to the sender with the Messages API.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from twilio.twiml.messaging_response import MessagingResponse

from engine.errors import StepError
from engine.runtime import InputError
from engine.runtime.events import ApprovalRequested, Event, Reply, RunFinished, RunStarted

from ..chat_relay import Relay, with_retries
from ..chat_routing import TriggerIndex, whatsapp_help
from .twilio_api import whatsapp_address, whatsapp_sender

if TYPE_CHECKING:
    from engine.runtime.services import Sender

    from ..context import Loom

log = logging.getLogger("loomwork.whatsapp")


def twiml(text: str | None = None) -> str:
    """The webhook's answer: empty (replies follow through the Messages API), or one message."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


class WhatsAppChannel:
    def __init__(self, loom: Loom) -> None:
        self.loom = loom
        self.sender: Sender | None = whatsapp_sender(loom.settings)
        self.index = TriggerIndex(loom.catalog)
        self.allowed = frozenset(whatsapp_address(n) for n in loom.settings.whatsapp_allowed_senders)
        self.relay = Relay("whatsapp", loom.store, self._presenter)

    @classmethod
    def of(cls, loom: Loom) -> WhatsAppChannel:
        """The server's channel, made and attached to its runner on first use."""
        channel = loom.extras.get("whatsapp")
        if channel is None:
            channel = loom.extras["whatsapp"] = cls(loom)
            loom.runner.listeners.append(channel.relay)
        return channel

    async def receive(self, params: Mapping[str, str]) -> str:
        """A verified inbound message -> the TwiML to answer Twilio with."""
        sid = params.get("MessageSid") or params.get("SmsMessageSid") or ""
        sender = whatsapp_address(params.get("From", ""))
        text = params.get("Body", "").strip()
        if self.allowed and sender not in self.allowed:
            log.info("whatsapp message from %s refused: not in WHATSAPP_ALLOWED_SENDERS", sender)
            return twiml()
        claim = self.loom.deliveries.claim("whatsapp", sid)
        if not claim.first:
            return twiml()
        if text.lower() == "help":
            return twiml(whatsapp_help(self.index))
        try:
            match = self.index.whatsapp_match(text)
        except InputError as exc:
            return twiml(f"Cannot run {exc}")
        if match is None:
            return twiml("Sorry, I did not understand that. Send 'help' to see what I can do.")
        route, inputs = match
        try:
            await self._start(route.name, route.workflow, inputs, sender, text, params)
        except InputError as exc:
            return twiml(f"Cannot run {route.name}: {exc}")
        except BaseException:
            self.loom.deliveries.release(claim)  # not started: Twilio's retry should be taken again
            raise
        return twiml()

    async def _start(self, name: str, workflow: Any, inputs: dict, sender: str, text: str,
                     params: Mapping[str, str]) -> str:
        trigger = {"channel": "whatsapp", "user": params.get("ProfileName") or sender, "chat_id": sender,
                   "text": text}
        return await self.relay.start(self.loom.runner, workflow, inputs, trigger)

    async def close(self) -> None:
        await self.relay.drain()
        if self.loom.extras.get("whatsapp") is self:
            del self.loom.extras["whatsapp"]
        if self.relay in self.loom.runner.listeners:
            self.loom.runner.listeners.remove(self.relay)

    def _presenter(self, run_id: str, trigger: Mapping[str, Any]) -> RunMessages:
        return RunMessages(self.sender, str(trigger.get("chat_id")), run_id)


class RunMessages:
    """What a WhatsApp sender hears of a run: its replies, a word on approvals, and the outcome
    when the run itself said nothing (a failure, or success without a reply)."""

    def __init__(self, sender: Sender | None, to: str, run_id: str) -> None:
        self.sender, self.to, self.run_id = sender, to, run_id
        self.workflow = "workflow"
        self.replied = False

    async def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.workflow = event.workflow
        elif isinstance(event, Reply):
            self.replied = True
            await self._send(event.text)
        elif isinstance(event, ApprovalRequested):
            await self._send(f"⏸ {event.message}\n(waiting for an approver; run {self.run_id})")
        elif isinstance(event, RunFinished) and not self.replied:
            if event.status == "failed":
                error = (event.error or {}).get("message", "unknown error")
                await self._send(f"Sorry, {self.workflow} failed: {error}")
            elif event.status == "succeeded":
                await self._send(f"✅ {self.workflow} is done.")

    async def _send(self, text: str) -> None:
        if self.sender is None:
            log.warning("run %s has a WhatsApp reply, but TWILIO_ACCOUNT_SID/TWILIO_WHATSAPP_FROM are not set",
                        self.run_id)
            return
        await with_retries(lambda: self.sender(self.to, text), transient)


def transient(error: Exception) -> float | None:
    """Seconds to wait before sending again (Twilio busy, slow or down), or None."""
    if isinstance(error, StepError) and error.kind in ("http_5xx", "http_429", "timeout"):
        return error.retry_after if error.retry_after is not None else 1.0
    return None


class WhatsAppComponent:
    """Attaches the channel at start-up, so runs resumed after a restart still reply."""

    def __init__(self) -> None:
        self.channel: WhatsAppChannel | None = None

    async def start(self, loom: Loom) -> None:
        self.channel = WhatsAppChannel.of(loom)

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.close()
