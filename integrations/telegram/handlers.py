"""The bot's handlers: built-in /help, /list, /run, /status; each workflow's own command;
the Approve/Reject buttons. Each answers in the background (`bot.say`), so an update is
done as soon as its run is durably queued."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from telegram import MessageEntity, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from engine.errors import LoomError, WorkflowNotFound
from engine.runtime import InputError

from ..chat_routing import key_value_inputs, telegram_inputs, telegram_usage

if TYPE_CHECKING:
    from .bot import TelegramBot

BUILTIN_COMMANDS = {
    "help": "What this bot can do",
    "list": "The workflows you can run",
    "run": "Run a workflow: /run NAME key=value ...",
    "status": "A run's status: /status RUN_ID",
}
RUN_ID = re.compile(r"^[0-9a-f]{8,64}$")
APPROVAL = re.compile(r"^ap:([0-9a-f]{8,64}):([01])$")
MESSAGES = filters.UpdateType.MESSAGE


def add_handlers(app: Application, bot: TelegramBot) -> None:
    handlers = Handlers(bot)
    app.add_handler(CallbackQueryHandler(handlers.approval, pattern=APPROVAL))
    app.add_handler(CommandHandler(["help", "start"], handlers.help, filters=MESSAGES))
    app.add_handler(CommandHandler("list", handlers.list, filters=MESSAGES))
    app.add_handler(CommandHandler("run", handlers.run, filters=MESSAGES))
    app.add_handler(CommandHandler("status", handlers.status, filters=MESSAGES))
    app.add_handler(MessageHandler(filters.COMMAND & MESSAGES, handlers.workflow_command))
    app.add_handler(MessageHandler(filters.TEXT & MESSAGES, handlers.plain_text))


def command_and_rest(update: Update) -> tuple[str, str | None, str]:
    """`/digest@my_bot https://x` -> ("digest", "my_bot", "https://x")."""
    message = update.effective_message
    entity = next(e for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0)
    name, _, addressee = message.text[1:entity.length].partition("@")
    return name.lower(), addressee or None, message.text[entity.length:].strip()


class Handlers:
    def __init__(self, bot: TelegramBot) -> None:
        self.bot = bot

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lines = [f"/{command} — {text}" for command, text in BUILTIN_COMMANDS.items()]
        routes = self.bot.index.telegram()
        if routes:
            lines.append("")
            lines += [f"{telegram_usage(r)} — {r.trigger.description or r.workflow.description or r.name}"
                      for _, r in sorted(routes.items())]
        self.bot.say(update.effective_chat.id, "\n".join(lines))

    async def list(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        saved = self.bot.loom.catalog.list(enabled=True, limit=50)
        commands = {r.name: telegram_usage(r) for r in self.bot.index.telegram().values()}
        lines = [f"• {s.name}" + (f" ({commands[s.name]})" if s.name in commands else "")
                 + (f": {s.workflow.description}" if s.workflow.description else "") for s in saved]
        text = "Workflows:\n" + "\n".join(lines) if lines else "No workflows are saved yet."
        self.bot.say(update.effective_chat.id, text + "\n\nRun any of them with /run NAME key=value ...")

    async def run(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        _, _, rest = command_and_rest(update)
        name, _, assignments = rest.partition(" ")
        chat_id = update.effective_chat.id
        if not name:
            self.bot.say(chat_id, "Usage: /run NAME key=value ... (/list shows the workflows)")
            return
        try:
            saved = self.bot.loom.catalog.get(name)
        except WorkflowNotFound:
            self.bot.say(chat_id, f"There is no workflow named '{name}'; /list shows them.")
            return
        if not saved.enabled:
            self.bot.say(chat_id, f"The workflow '{name}' is disabled.")
            return
        await self._start(update, name, saved.workflow, lambda: key_value_inputs(saved.workflow, assignments))

    async def workflow_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        command, addressee, rest = command_and_rest(update)
        if addressee and addressee.lower() != (self.bot.app.bot.username or "").lower():
            return  # a command for another bot in the same group
        route = self.bot.index.telegram_command(command)
        if route is None:
            self.bot.say(update.effective_chat.id, f"Unknown command /{command}; /help lists what I can do.")
            return
        await self._start(update, route.name, route.workflow, lambda: telegram_inputs(route, rest))

    async def _start(self, update: Update, name: str, workflow, inputs) -> None:
        try:
            await self.bot.start_run(update, name, workflow, inputs())
        except InputError as exc:
            self.bot.say(update.effective_chat.id, f"Cannot run {name}: {exc}")

    async def plain_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat.type == "private":
            self.bot.say(update.effective_chat.id, "Send a command; /help lists what I can do.")

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        _, _, run_id = command_and_rest(update)
        chat_id = update.effective_chat.id
        record = await self.bot.loom.store.get_run(run_id) if RUN_ID.match(run_id) else None
        # Only runs started from this chat: a run id seen elsewhere must not reveal another chat's data.
        if record is None or str(record.trigger.get("chat_id")) != str(chat_id):
            self.bot.say(chat_id, "Usage: /status RUN_ID, for a run started from this chat." if not run_id
                         else f"No run {run_id} was started from this chat.")
            return
        journal = await self.bot.loom.store.journal(run_id)
        lines = [f"{record.workflow} · {record.status}", f"started {record.started_at}"]
        lines += [f"{'✓' if s.status == 'succeeded' else '•'} {s.key} {s.status} ({s.duration_ms:.0f} ms)"
                  for s in list(journal.values())[-20:]]
        if record.error:
            lines.append(f"error: {record.error.get('message')}")
        if record.outputs:
            lines.append("outputs: " + json.dumps(record.outputs, ensure_ascii=False, default=str)[:1500])
        self.bot.say(chat_id, "\n".join(lines))

    async def approval(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        run_id, approved = APPROVAL.match(query.data).group(1), query.data.endswith(":1")
        refusal = await self._approval_refusal(update, run_id)
        if refusal:
            self.bot.later(query.answer(refusal, show_alert=True))
            return
        user = query.from_user
        by = user.username or str(user.id)
        async with self.bot.approving:  # two taps at once must not both answer
            try:
                await self.bot.loom.runner.approve(run_id, approved=approved, by=by)
            except LoomError as exc:
                self.bot.later(query.answer(str(exc), show_alert=True))
                return
        verdict = "approved" if approved else "rejected"
        self.bot.later(query.answer(f"You {verdict} it."))
        original = query.message.text if query.message else ""
        self.bot.later(query.edit_message_text(f"{original}\n— {verdict} by {by}"))

    async def _approval_refusal(self, update: Update, run_id: str) -> str | None:
        """Why this user may not answer this approval, or None. Buttons' data can be forged by a
        client, so the run must come from this chat and the user must be one of its approvers."""
        store = self.bot.loom.store
        record = await store.get_run(run_id)
        if record is None or str(record.trigger.get("chat_id")) != str(update.effective_chat.id):
            return "This approval does not belong to this chat."
        waiting = [r for r in (await store.journal(run_id)).values() if r.status == "waiting"]
        if not waiting:
            return "This approval has already been answered."
        approvers = set((waiting[0].output or {}).get("approvers") or [])
        user = update.callback_query.from_user
        names = {str(user.id)} | ({user.username, f"@{user.username}"} if user.username else set())
        if approvers and not approvers & names:
            return "You are not one of the approvers of this step."
        return None
