"""The Telegram channel: a bot for every saved workflow, its webhook route, and the `send` step's client."""

from .bot import TelegramBot, component
from .sender import telegram_sender
from .webhook import router

__all__ = ["TelegramBot", "component", "router", "telegram_sender"]
