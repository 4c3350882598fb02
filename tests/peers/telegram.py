"""A fake Telegram Bot API server on loopback: what python-telegram-bot and the send step talk to.

    with fake_bot_api(TOKEN) as bot_api:          # TELEGRAM_API_BASE_URL = bot_api.url
        bot_api.push(bot_api.message("/digest https://example.org"))   # served to getUpdates
        bot_api.wait_for("sendMessage", lambda c: "done" in c.params["text"])
        bot_api.fail("sendMessage", 429, "Too Many Requests", retry_after=1)

Every call is recorded with its parameters as the strings the Bot API received (form
fields as sent; JSON bodies turned into the same strings). getUpdates long-polls: it
serves queued updates from `offset` on, or waits up to its `timeout` for one.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.peers.local_server import Received, serve

BOT = {"id": 777000, "is_bot": True, "first_name": "Loom", "username": "loom_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
USER = {"id": 4242, "is_bot": False, "first_name": "Ada", "username": "ada"}


@dataclass
class Call:
    method: str
    params: dict[str, str]

    def obj(self, name: str) -> Any:
        """A parameter that carries JSON (reply_markup, commands, allowed_updates)."""
        return json.loads(self.params[name])


@dataclass
class FakeBotApi:
    token: str
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    failures: dict[str, list[tuple[int, str, int | None]]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    _update_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _changed: threading.Condition = field(default_factory=threading.Condition)
    closed: bool = False

    # ---- scripting ------------------------------------------------------------------------

    def message(self, text: str, *, chat_id: int = 4242, user: dict | None = None, update_id: int | None = None,
                chat_type: str = "private") -> dict:
        """An update carrying a message (a command when it starts with a slash)."""
        update_id = next(self._update_ids) if update_id is None else update_id
        message: dict[str, Any] = {"message_id": next(self._ids), "date": int(time.time()), "text": text,
                                   "chat": {"id": chat_id, "type": chat_type}, "from": user or USER}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": update_id, "message": message}

    def callback(self, data: str, *, message_id: int, chat_id: int = 4242, user: dict | None = None,
                 update_id: int | None = None) -> dict:
        """An update for a tap on an inline button of the bot's message `message_id`."""
        update_id = next(self._update_ids) if update_id is None else update_id
        message = {"message_id": message_id, "date": int(time.time()), "text": "…", "from": BOT,
                   "chat": {"id": chat_id, "type": "private"}}
        return {"update_id": update_id, "callback_query": {"id": f"cb{update_id}", "from": user or USER,
                                                           "chat_instance": "ci", "data": data,
                                                           "message": message}}

    def push(self, update: dict) -> None:
        """Queue an update for getUpdates (polling mode)."""
        with self._changed:
            self.updates.append(update)
            self._changed.notify_all()

    def fail(self, method: str, status: int, description: str, *, retry_after: int | None = None,
             times: int = 1) -> None:
        """Answer the next `times` calls of `method` with this error."""
        self.failures.setdefault(method, []).extend([(status, description, retry_after)] * times)

    # ---- reading --------------------------------------------------------------------------

    def called(self, method: str) -> list[Call]:
        return [c for c in list(self.calls) if c.method == method]

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts of sendMessage calls (to one chat, if given)."""
        return [c.params["text"] for c in self.called("sendMessage")
                if chat_id is None or c.params["chat_id"] == str(chat_id)]

    def wait_for(self, method: str, match: Callable[[Call], bool] = lambda call: True, *, count: int = 1,
                 timeout: float = 10.0) -> list[Call]:
        """The calls of `method` that `match`, once there are `count` of them; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if c.method == method and match(c)]
                if len(found) >= count or time.monotonic() > deadline:
                    break
                self._changed.wait(0.05)
        assert len(found) >= count, f"expected {count} {method} call(s), got {len(found)}: {self.calls}"
        return found

    # ---- serving --------------------------------------------------------------------------

    def handle(self, request: Received) -> tuple[int, dict, dict]:
        prefix, _, method = request.path.lstrip("/").partition("/")
        if prefix != f"bot{self.token}":
            return 401, {}, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        params = _params(request)
        with self._changed:
            self.calls.append(Call(method, params))
            self._changed.notify_all()
        failures = self.failures.get(method)
        if failures:
            status, description, retry_after = failures.pop(0)
            extra = {"parameters": {"retry_after": retry_after}} if retry_after is not None else {}
            return status, {}, {"ok": False, "error_code": status, "description": description, **extra}
        answer = self._answer(method, params)
        if answer is None:
            return 404, {}, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        return 200, {}, {"ok": True, "result": answer}

    def _answer(self, method: str, params: dict[str, str]) -> Any:
        if method == "getMe":
            return BOT
        if method in ("setWebhook", "deleteWebhook", "setMyCommands", "answerCallbackQuery", "deleteMyCommands"):
            return True
        if method == "getUpdates":
            return self._get_updates(int(params.get("offset") or 0), float(params.get("timeout") or 0))
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            message_id = int(params["message_id"]) if "message_id" in params else next(self._ids)
            chat_id = params["chat_id"]
            chat = {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else -1, "type": "private"}
            return {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": BOT,
                    "text": params.get("text", "")}
        return None

    def _get_updates(self, offset: int, timeout: float) -> list[dict]:
        deadline = time.monotonic() + min(timeout, 2.0)
        with self._changed:
            while True:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                if self.updates or self.closed or time.monotonic() >= deadline:
                    return list(self.updates)
                self._changed.wait(0.05)


def _params(request: Received) -> dict[str, str]:
    if request.headers.get("content-type", "").startswith("application/json"):
        body = json.loads(request.body or b"{}")
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
    return dict(parse_qsl(request.body.decode(), keep_blank_values=True))


@contextmanager
def fake_bot_api(token: str) -> Iterator[FakeBotApi]:
    with serve() as server:
        api = FakeBotApi(token, server.url)
        server.handle = api.handle
        try:
            yield api
        finally:
            with api._changed:
                api.closed = True
                api._changed.notify_all()
