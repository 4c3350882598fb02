"""`POST /integrations/telegram/webhook`: updates Telegram pushes when LOOM_PUBLIC_URL is set."""

from __future__ import annotations

import hmac
import json

from fastapi import APIRouter, HTTPException, Request, Response, status

from ..chat_routing import read_body
from .config import WEBHOOK_PATH

MAX_UPDATE_BYTES = 1 << 20
router = APIRouter(tags=["telegram"])


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def telegram_webhook(request: Request) -> Response:
    """Checks the secret token Telegram was given at `setWebhook` (403 otherwise), then handles
    the update up to its run's durable start; a repeated `update_id` is acknowledged and ignored."""
    bot = request.app.state.loom.extras.get("telegram")
    if bot is None or not bot.webhook_mode:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the Telegram bot is not running in webhook mode here "
                                                       "(it needs TELEGRAM_BOT_TOKEN and LOOM_PUBLIC_URL)")
    token = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not hmac.compare_digest(token.encode(), bot.secret.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong or missing X-Telegram-Bot-Api-Secret-Token")
    try:
        update = json.loads(await read_body(request, MAX_UPDATE_BYTES))
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body is not JSON") from None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int) \
            or isinstance(update.get("update_id"), bool):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body is not a Telegram update (no integer update_id)")
    try:
        parsed = bot.parse(update)
    except (KeyError, TypeError, ValueError):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body is not a valid Telegram update") from None
    await bot.process(parsed)
    return Response(status_code=status.HTTP_200_OK)
