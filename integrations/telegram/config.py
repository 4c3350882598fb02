"""Where the bot's API is and how its webhook is secured, from the settings."""

from __future__ import annotations

import hashlib
import hmac

from ..settings import Settings

WEBHOOK_PATH = "/integrations/telegram/webhook"
DEFAULT_API = "https://api.telegram.org"
MESSAGE_LIMIT = 4096  # characters per Telegram message


def api_root(settings: Settings) -> str:
    """The Bot API server's root (TELEGRAM_API_BASE_URL), without the `/bot<token>` part."""
    root = (settings.telegram_api_base_url or DEFAULT_API).rstrip("/")
    return root.removesuffix("/bot")


def webhook_url(settings: Settings) -> str | None:
    return f"{settings.public_url}{WEBHOOK_PATH}" if settings.public_url else None


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, else one derived from LOOM_SECRET_KEY (or the bot token), so it
    stays the same across restarts without being configured. Hex fits Telegram's `[A-Za-z0-9_-]{1,256}`."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    key = (settings.secret_key or settings.telegram_bot_token or "").encode()
    return hmac.new(key, b"loomwork telegram webhook", hashlib.sha256).hexdigest()
