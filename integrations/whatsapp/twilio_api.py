"""Twilio's Messages API through the twilio library, async, and pointable at another server.

The library's own async client (aiohttp) keeps a session bound to the loop that created it
and has no base-URL setting; `_HttpxClient` is its interface over httpx (which the project
already uses) and sends what the library addresses to https://api.twilio.com to
TWILIO_API_BASE_URL instead, when that is set (a self-hosted endpoint, or a test double).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from engine.errors import StepError
from engine.runtime.services import Sender

from ..chat_routing import chunks, tls_context
from ..settings import Settings

TWILIO_API = "https://api.twilio.com"
MESSAGE_LIMIT = 1600  # characters per WhatsApp message through Twilio
TIMEOUT = 30.0
log = logging.getLogger("loomwork.whatsapp")


class _HttpxClient(AsyncHttpClient):
    def __init__(self, base_url: str | None) -> None:
        super().__init__(log, is_async=True, timeout=TIMEOUT)
        self.base_url = (base_url or TWILIO_API).rstrip("/")

    async def request(self, method: str, uri: str, params: dict | None = None, data: dict | None = None,
                      headers: dict | None = None, auth: tuple[str, str] | None = None,
                      timeout: float | None = None, allow_redirects: bool = False) -> Response:
        if uri.startswith(TWILIO_API):
            uri = self.base_url + uri[len(TWILIO_API):]
        async with httpx.AsyncClient(timeout=timeout or self.timeout, trust_env=False, verify=tls_context(),
                                     follow_redirects=allow_redirects) as client:
            response = await client.request(method, uri, params=params, data=data, headers=headers, auth=auth)
        return Response(response.status_code, response.text, response.headers)


def whatsapp_address(number: str) -> str:
    """`+4915...` or `whatsapp:+4915...` -> `whatsapp:+4915...` (Twilio's form for WhatsApp)."""
    number = number.strip().replace(" ", "")
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"


def whatsapp_sender(settings: Settings) -> Sender | None:
    """Sends through Twilio when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM are set."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_whatsapp_from):
        return None
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token, environment={},
                    http_client=_HttpxClient(settings.twilio_api_base_url))
    sender = whatsapp_address(settings.twilio_whatsapp_from)

    async def send(to: str, text: str) -> dict[str, Any]:
        to = whatsapp_address(to)
        messages = [await _create(client, sender, to, part) for part in chunks(text, MESSAGE_LIMIT)]
        return {"to": to, "message_id": messages[-1].sid, "status": messages[-1].status or "queued",
                "parts": len(messages)}

    return send


async def _create(client: Client, sender: str, to: str, body: str) -> Any:
    try:
        return await client.messages.create_async(to=to, from_=sender, body=body)
    except TwilioRestException as exc:
        message = f"Twilio refused the WhatsApp message to {to}: HTTP {exc.status}: {exc.msg}"
        message += f" (Twilio error {exc.code})" if exc.code else ""
        kind = "http_429" if exc.status == 429 else "http_5xx" if exc.status >= 500 else "http_error"
        raise StepError(message, kind) from None
    except httpx.TimeoutException:
        raise StepError(f"the WhatsApp message to {to} timed out at Twilio", "timeout") from None
    except httpx.TransportError as exc:
        raise StepError(f"could not reach Twilio to send to {to}: {type(exc).__name__}", "http_5xx") from None
