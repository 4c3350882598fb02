"""What a chat sees of one run: a progress message edited as steps finish, the run's replies,
Approve/Reject buttons for approvals, and the outcome, failures stated plainly."""

from __future__ import annotations

import time
import warnings
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from engine.runtime.events import ApprovalRequested, Event, Reply, RunFinished, RunStarted, StepFinished

from ..chat_relay import with_retries
from ..chat_routing import chunks
from .config import MESSAGE_LIMIT

EDIT_INTERVAL = 1.0
"""Seconds between edits of a progress message: Telegram limits a chat to about one message a second."""
SHOWN_STEPS = 20
ICONS = {"succeeded": "✓", "failed": "✗", "skipped": "○"}
OUTCOMES = {"succeeded": "✅", "failed": "❌", "waiting": "⏸", "cancelled": "⏹"}


def transient(error: Exception) -> float | None:
    """Seconds to wait before sending again, or None when trying again cannot help."""
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns that this becomes a timedelta; both are handled
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = error.retry_after
        return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):  # TimedOut is a NetworkError
        return 0.5
    return None


def approval_buttons(run_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("✅ Approve", callback_data=f"ap:{run_id}:1"),
                                  InlineKeyboardButton("❌ Reject", callback_data=f"ap:{run_id}:0")]])


class RunProgress:
    """The relay's presenter for one run started from a Telegram chat."""

    def __init__(self, bot: Any, chat_id: str, run_id: str, edit_interval: float = EDIT_INTERVAL) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.run_id = run_id
        self.edit_interval = edit_interval
        self.workflow = "workflow"
        self.message_id: int | None = None
        self.steps: dict[str, list[str]] = {}  # step id -> statuses of its executions, in order
        self.started = time.monotonic()
        self.edited = 0.0

    async def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.workflow = event.workflow
            verb = "resumed" if event.resumed else "running"
            sent = await self._send(self._text(f"⏳ {self.workflow} · {verb}"))
            self.message_id, self.edited = sent.message_id, time.monotonic()
        elif isinstance(event, StepFinished):
            self.steps.setdefault(event.step_id, []).append(event.status)
            if time.monotonic() - self.edited >= self.edit_interval:
                await self._edit(f"⏳ {self.workflow} · running")
        elif isinstance(event, Reply):
            for part in chunks(event.text, MESSAGE_LIMIT):
                await self._send(part)
        elif isinstance(event, ApprovalRequested):
            await self._send(f"🔔 {event.message}"[:MESSAGE_LIMIT], reply_markup=approval_buttons(self.run_id))
        elif isinstance(event, RunFinished):
            await self._finish(event)

    async def _finish(self, event: RunFinished) -> None:
        headline = f"{OUTCOMES.get(event.status, '•')} {self.workflow} · {event.status}"
        if event.status == "succeeded":
            headline += f" in {time.monotonic() - self.started:.1f} s"
        elif event.status == "waiting":
            headline += " for an approval"
        await self._edit(headline)
        if event.status == "failed":
            error = event.error or {}
            where = f" at step {error['step']}" if error.get("step") else ""
            message = error.get("message", "unknown error")
            await self._send(f"❌ {self.workflow} failed{where}: {message}"[:MESSAGE_LIMIT])

    async def _edit(self, headline: str) -> None:
        text = self._text(headline)
        self.edited = time.monotonic()
        if self.message_id is None:
            self.message_id = (await self._send(text)).message_id
            return
        try:
            await with_retries(lambda: self.bot.edit_message_text(text, chat_id=self.chat_id,
                                                                  message_id=self.message_id), transient)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    async def _send(self, text: str, **options: Any) -> Any:
        return await with_retries(lambda: self.bot.send_message(self.chat_id, text, **options), transient)

    def _text(self, headline: str) -> str:
        lines = [headline]
        for step_id, statuses in list(self.steps.items())[-SHOWN_STEPS:]:
            last = statuses[-1]
            count = f" x{len(statuses)}" if len(statuses) > 1 else ""
            lines.append(f"{ICONS.get(last, '•')} {step_id}{count}" + (" (failed)" if last == "failed" else ""))
        lines.append(f"run {self.run_id}")
        return "\n".join(lines)[:MESSAGE_LIMIT]
