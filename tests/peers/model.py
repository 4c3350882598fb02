"""A language model on loopback that speaks the HTTP APIs of OpenAI, Anthropic and Ollama.

    with model_peer() as model:          # OPENAI_API_BASE = model.url + "/v1", ANTHROPIC_API_BASE = model.url,
                                         # an ollama step's api_base = model.url
        model.answer = lambda asked: json.dumps({"summary": asked.prompt[:40]})
        ...
        model.asked[0].system, model.asked[0].messages, model.asked[0].body

The test writes the model as a function of what it was asked, so a workflow's logic runs
on answers that depend on its prompts. Each provider's request is read into one `Asked`
(system prompt, then user and assistant turns as plain text); usage is counted in words,
so it is the same on every run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.peers.local_server import Answer, Received, serve
from tests.peers.openai import completion

_OLLAMA_TURN = re.compile(r"### (System|User|Assistant):\n(.*?)\n\n(?=### |\Z)", re.DOTALL)


@dataclass
class Asked:
    """One request to the model, whatever the provider's wire format."""

    provider: str
    """openai, anthropic or ollama."""
    model: str
    system: str
    messages: list[dict[str, str]]
    """The user and assistant turns, in order, without the system prompt."""
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def prompt(self) -> str:
        """The last user turn."""
        return next(m["content"] for m in reversed(self.messages) if m["role"] == "user")


def _unanswered(asked: Asked) -> str:
    raise AssertionError(f"the model was asked but the test gave it no answer: {asked.prompt[:200]!r}")


@dataclass
class ModelPeer:
    url: str = ""
    answer: Callable[[Asked], str] = _unanswered
    asked: list[Asked] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """What went wrong in `answer` (the step only sees a 500): a test's teardown reports these."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def by_provider(self, provider: str) -> list[Asked]:
        return [a for a in list(self.asked) if a.provider == provider]

    def handle(self, request: Received) -> Answer:
        read = _READERS.get(request.path.split("?")[0])
        if read is None or request.method != "POST":
            return 404, {}, {"error": {"message": f"no such endpoint: {request.method} {request.path}"}}
        asked = read(request)
        with self._lock:
            self.asked.append(asked)
        try:
            text = self.answer(asked)
        except Exception as exc:  # the test's own mistake: report it, do not kill the HTTP thread
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return 500, {}, {"error": {"message": f"the test's model failed: {exc}", "type": "server_error"}}
        words_in = sum(len(m["content"].split()) for m in asked.messages) + len(asked.system.split())
        return _ANSWERS[asked.provider](asked, text, words_in, len(text.split()))


# ---- reading requests ---------------------------------------------------------------------


def _openai(request: Received) -> Asked:
    body = request.json()
    turns = [{"role": m["role"], "content": _text(m["content"])} for m in body["messages"]]
    system = "\n\n".join(m["content"] for m in turns if m["role"] == "system")
    return Asked("openai", body["model"], system, [m for m in turns if m["role"] != "system"], body,
                 request.headers)


def _anthropic(request: Received) -> Asked:
    body = request.json()
    turns = [{"role": m["role"], "content": _text(m["content"])} for m in body["messages"]]
    return Asked("anthropic", body["model"], _text(body.get("system") or ""), turns, body, request.headers)


def _ollama(request: Received) -> Asked:
    body = request.json()
    turns = [{"role": role.lower(), "content": content} for role, content in _OLLAMA_TURN.findall(body["prompt"])]
    system = "\n\n".join(m["content"] for m in turns if m["role"] == "system")
    return Asked("ollama", body["model"], system, [m for m in turns if m["role"] != "system"], body,
                 request.headers)


def _text(content: str | list[dict[str, Any]]) -> str:
    """A message's text: a string, or (Anthropic, newer OpenAI clients) a list of text parts."""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)


_READERS: dict[str, Callable[[Received], Asked]] = {
    "/v1/chat/completions": _openai,
    "/v1/messages": _anthropic,
    "/api/generate": _ollama,
}


# ---- writing answers ----------------------------------------------------------------------


def _anthropic_answer(asked: Asked, text: str, words_in: int, words_out: int) -> Answer:
    return 200, {}, {
        "id": "msg_test", "type": "message", "role": "assistant", "model": asked.model,
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": words_in, "output_tokens": words_out},
    }


def _ollama_answer(asked: Asked, text: str, words_in: int, words_out: int) -> Answer:
    return 200, {}, {"model": asked.model, "created_at": "2026-01-01T00:00:00Z", "response": text, "done": True,
                     "done_reason": "stop", "prompt_eval_count": words_in, "eval_count": words_out}


_ANSWERS: dict[str, Callable[[Asked, str, int, int], Answer]] = {
    "openai": lambda asked, text, words_in, words_out: completion(text, words_in, words_out, asked.model),
    "anthropic": _anthropic_answer,
    "ollama": _ollama_answer,
}


@contextmanager
def model_peer() -> Iterator[ModelPeer]:
    with serve() as server:
        model = ModelPeer(server.url)
        server.handle = model.handle
        yield model
