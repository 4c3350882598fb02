"""The Telegram bot: one python-telegram-bot Application serving every saved, enabled workflow.

Long polling when LOOM_PUBLIC_URL is unset; otherwise Telegram posts updates to
`/integrations/telegram/webhook` (registered at start with a secret token that the route
checks). Either way each update passes one guard first (chat allow-list, `update_id`
taken once through `loom.deliveries`), then the handlers in `handlers.py`. Runs it starts
are followed back to their chat by a `Relay` with a `RunProgress` per run, and the
command menu follows the catalog (`setMyCommands` at start and after every change).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from engine.language.workflow import Workflow

from ..chat_relay import Relay
from ..chat_routing import TriggerIndex, chunks
from ..settings import Settings
from .config import MESSAGE_LIMIT, api_root, webhook_secret, webhook_url
from .handlers import BUILTIN_COMMANDS, add_handlers
from .progress import RunProgress

if TYPE_CHECKING:
    from ..context import Loom

log = logging.getLogger("loomwork.telegram")
ALLOWED_UPDATES = ["message", "callback_query"]
MENU_DEBOUNCE = 0.3  # seconds: a burst of catalog changes becomes one setMyCommands
MENU_LIMIT = 100  # commands Telegram shows in a menu


class TelegramBot:
    """The component (`start(loom)`/`stop()`); `loom.extras["telegram"]` while it runs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.webhook_mode = bool(settings.public_url)
        self.secret = webhook_secret(settings)
        self.loom: Loom | None = None
        self.app: Application | None = None
        self.index: TriggerIndex | None = None
        self.relay: Relay | None = None
        self.approving = asyncio.Lock()
        self._menu: list[tuple[str, str]] | None = None
        self._menu_wanted = asyncio.Event()
        self._menu_task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self, loom: Loom) -> None:
        self.loom, self._loop = loom, asyncio.get_running_loop()
        self.index = TriggerIndex(loom.catalog)
        root = api_root(self.settings)
        builder = (Application.builder().token(self.settings.telegram_bot_token)
                   .base_url(f"{root}/bot").base_file_url(f"{root}/file/bot"))
        if self.webhook_mode:
            builder = builder.updater(None)
        self.app = builder.build()
        self.app.add_handler(TypeHandler(Update, self._guard), group=-1)
        add_handlers(self.app, self)
        self.app.add_error_handler(self._on_error)
        self.relay = Relay("telegram", loom.store, lambda run_id, trigger: RunProgress(
            self.app.bot, str(trigger.get("chat_id")), run_id))
        loom.runner.listeners.append(self.relay)
        await self.app.initialize()
        await self.app.start()
        await self.sync_menu()
        loom.catalog.subscribe(self._catalog_changed)
        self._menu_task = asyncio.create_task(self._menu_loop(), name="telegram-menu")
        if self.webhook_mode:
            await self.app.bot.set_webhook(webhook_url(self.settings), secret_token=self.secret,
                                           allowed_updates=ALLOWED_UPDATES)
        else:
            await self.app.updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=10)
        loom.extras["telegram"] = self
        log.info("telegram bot @%s started (%s)", self.app.bot.username,
                 "webhook" if self.webhook_mode else "long polling")

    async def stop(self) -> None:
        if self.app is None or self.loom is None:
            return
        self.loom.extras.pop("telegram", None)
        if self._menu_task is not None:
            self._menu_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._menu_task
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        await self.relay.drain()
        with contextlib.suppress(ValueError):
            self.loom.runner.listeners.remove(self.relay)
        await self.app.stop()
        await self.app.shutdown()
        self.app = None

    # ---- inbound --------------------------------------------------------------------------

    def parse(self, data: Mapping[str, Any]) -> Update:
        """A webhook body as an Update; KeyError, TypeError or ValueError when it is not one."""
        return Update.de_json(dict(data), self.app.bot)

    async def process(self, update: Update) -> None:
        """One webhook update, handled up to the durable start of its run (messages go out after)."""
        await self.app.process_update(update)

    async def _guard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update: taken once (Telegram redelivers webhooks), then only from allowed chats."""
        if not self.loom.deliveries.claim("telegram", str(update.update_id)).first:
            raise ApplicationHandlerStop
        chat = update.effective_chat
        allowed = self.settings.telegram_allowed_chats
        if chat is None or (allowed and str(chat.id) not in allowed
                            and (not chat.username or f"@{chat.username}" not in allowed)):
            if chat is not None and update.message is not None:
                self.say(chat.id, f"This chat (id {chat.id}) is not on this bot's allow-list "
                                  "(TELEGRAM_ALLOWED_CHATS).")
            raise ApplicationHandlerStop

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed", exc_info=context.error)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None:
            self.say(chat.id, "Sorry, something went wrong handling that; it has been logged.")

    # ---- runs and messages ----------------------------------------------------------------

    async def start_run(self, update: Update, name: str, workflow: Workflow, inputs: Mapping[str, Any]) -> str:
        """Start a run for a chat; the relay shows its progress there. Raises InputError for bad inputs."""
        message = update.effective_message
        user = update.effective_user
        trigger = {"channel": "telegram", "user": (user.username or str(user.id)) if user else None,
                   "chat_id": str(update.effective_chat.id), "text": message.text if message else None}
        return await self.relay.start(self.loom.runner, workflow, inputs, trigger)

    def say(self, chat_id: int | str, text: str, **options: Any) -> None:
        """Send a message in the background, so an update is acknowledged without waiting for Telegram."""
        self.later(self._say(chat_id, text, **options))

    def later(self, action: Awaitable[Any]) -> None:
        self.app.create_task(self._quietly(action))

    async def _say(self, chat_id: int | str, text: str, **options: Any) -> None:
        for part in chunks(text, MESSAGE_LIMIT):
            await self.app.bot.send_message(chat_id, part, **options)

    @staticmethod
    async def _quietly(action: Awaitable[Any]) -> None:
        try:
            await action
        except TelegramError as exc:  # the chat is gone or Telegram is down: nothing to tell anyone
            log.warning("telegram call failed: %s", exc)

    # ---- the command menu -----------------------------------------------------------------

    def menu(self) -> list[tuple[str, str]]:
        commands = list(BUILTIN_COMMANDS.items())
        for command, route in sorted(self.index.telegram().items()):
            described = route.trigger.description or route.workflow.description or f"Run {route.name}"
            commands.append((command, described.strip()[:256] or f"Run {route.name}"))
        return commands[:MENU_LIMIT]

    async def sync_menu(self) -> None:
        commands = self.menu()
        if commands != self._menu:
            await self.app.bot.set_my_commands([BotCommand(c, d) for c, d in commands])
            self._menu = commands

    def _catalog_changed(self, name: str) -> None:
        # Called in whichever thread saved the workflow (API routes run in a thread pool).
        if self.app is not None and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._menu_wanted.set)

    async def _menu_loop(self) -> None:
        while True:
            await self._menu_wanted.wait()
            await asyncio.sleep(MENU_DEBOUNCE)
            self._menu_wanted.clear()
            try:
                await self.sync_menu()
            except TelegramError as exc:
                log.warning("updating the bot's command menu failed: %s", exc)


def component(settings: Settings) -> TelegramBot | None:
    """The bot, when TELEGRAM_BOT_TOKEN is set."""
    return TelegramBot(settings) if settings.telegram_bot_token else None
