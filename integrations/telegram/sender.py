"""The `send` step's Telegram client: one Bot API `sendMessage` per message part.

Made with httpx rather than python-telegram-bot's `Bot`: a send step is one POST, and a
`Bot` wants an `initialize()` (a getMe round trip) and owns a connection pool tied to the
event loop that made it, which a step running in any loop should not depend on.
"""

from __future__ import annotations

from typing import Any

import httpx

from engine.errors import StepError
from engine.runtime.services import Sender

from ..chat_routing import chunks, tls_context
from ..settings import Settings
from .config import MESSAGE_LIMIT, api_root

TIMEOUT = 30.0


def telegram_sender(settings: Settings) -> Sender | None:
    if not settings.telegram_bot_token:
        return None
    url = f"{api_root(settings)}/bot{settings.telegram_bot_token}/sendMessage"

    async def send(to: str, text: str) -> dict[str, Any]:
        message_ids = []
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False, verify=tls_context()) as client:
            for part in chunks(text, MESSAGE_LIMIT):
                message_ids.append(await _send_message(client, url, to, part))
        return {"to": to, "message_id": message_ids[-1], "status": "sent", "parts": len(message_ids)}

    return send


async def _send_message(client: httpx.AsyncClient, url: str, chat_id: str, text: str) -> int:
    # The URL holds the bot token: no message below may include it.
    try:
        response = await client.post(url, json={"chat_id": chat_id, "text": text})
    except httpx.TimeoutException:
        raise StepError("Telegram sendMessage timed out", "timeout") from None
    except httpx.TransportError as exc:
        raise StepError(f"Telegram sendMessage failed: {type(exc).__name__}", "http_5xx") from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code == 200 and answer.get("ok"):
        return answer["result"]["message_id"]
    description = answer.get("description") or response.reason_phrase
    message = f"Telegram sendMessage to chat {chat_id} failed: HTTP {response.status_code}: {description}"
    retry_after = (answer.get("parameters") or {}).get("retry_after")
    if response.status_code == 429:
        raise StepError(message, "http_429", retry_after=float(retry_after or 1))
    raise StepError(message, "http_5xx" if response.status_code >= 500 else "http_error")
