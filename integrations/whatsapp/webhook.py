"""`POST /integrations/whatsapp/webhook`: messages Twilio forwards from the WhatsApp number."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request, Response, status
from twilio.request_validator import RequestValidator

from ..chat_routing import read_body
from .channel import WhatsAppChannel

WEBHOOK_PATH = "/integrations/whatsapp/webhook"
MAX_FORM_BYTES = 64 * 1024
router = APIRouter(tags=["whatsapp"])


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def whatsapp_webhook(request: Request) -> Response:
    """Verifies `X-Twilio-Signature` over LOOM_PUBLIC_URL + the path (403 otherwise, and for every
    request while LOOM_PUBLIC_URL or TWILIO_AUTH_TOKEN is unset), then answers with TwiML at once."""
    loom = request.app.state.loom
    settings = loom.settings
    if not (settings.public_url and settings.twilio_auth_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "WhatsApp is not configured here: set LOOM_PUBLIC_URL "
                                                       "and TWILIO_AUTH_TOKEN")
    body = await read_body(request, MAX_FORM_BYTES)
    try:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body)))
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body is not a form") from None
    # Twilio signs the URL it called, which is the public one, not what this server sees behind a proxy.
    url = settings.public_url + WEBHOOK_PATH + (f"?{request.url.query}" if request.url.query else "")
    signature = request.headers.get("x-twilio-signature", "")
    if not RequestValidator(settings.twilio_auth_token).validate(url, params, signature):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong or missing X-Twilio-Signature")
    if not (params.get("MessageSid") or params.get("SmsMessageSid")):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the form has no MessageSid")
    answer = await WhatsAppChannel.of(loom).receive(params)
    return Response(answer, media_type="application/xml")
