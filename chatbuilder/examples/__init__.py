"""Example workflows shipped with the builder, and choosing the few that fit a request.

The `.yaml` files beside this module are copies of the repository's `examples/`, kept in
the package so an installed builder has them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from engine.loader.source import parse

HERE = Path(__file__).resolve().parent
WORD = re.compile(r"[a-z][a-z0-9]+")
STOP = frozenset({
    "the", "and", "for", "with", "that", "this", "from", "into", "when", "then", "each", "every", "send", "it", "its",
    "a", "an", "of", "to", "on", "in", "at", "by", "me", "my", "our", "us", "is", "are", "be", "or",
})
KEYWORDS = {  # request words that point at a step or trigger type
    "telegram": "telegram", "whatsapp": "whatsapp", "webhook": "webhook", "email": "email", "mail": "email",
    "schedule": "cron", "daily": "cron", "weekly": "cron", "hourly": "cron", "every": "cron", "cron": "cron",
    "approve": "approval", "approval": "approval", "summarize": "llm", "summary": "llm", "classify": "llm",
    "translate": "llm", "fetch": "http", "url": "http", "http": "http", "api": "http", "sql": "sql",
    "database": "sql", "code": "code", "python": "code", "parallel": "parallel", "poll": "loop", "file": "file",
    "log": "file",
}


@dataclass(frozen=True)
class Example:
    name: str
    text: str
    words: frozenset[str]


@cache
def examples() -> tuple[Example, ...]:
    found = []
    for path in sorted(HERE.glob("*.yaml")):
        text = path.read_text()
        doc = parse(text).data
        kinds = {t.get("type") for t in doc.get("triggers") or []} | set(re.findall(r"type: (\w+)", text))
        words = _words(f"{doc.get('name', '')} {doc.get('description', '')}") | {k for k in kinds if k}
        found.append(Example(doc["name"], text, frozenset(words)))
    return tuple(found)


def choose(request: str, count: int = 2) -> list[Example]:
    """The `count` examples sharing most words and step/trigger kinds with `request`."""
    wanted = _words(request)
    wanted |= {KEYWORDS[word] for word in wanted if word in KEYWORDS}
    ranked = sorted(examples(), key=lambda example: (-len(example.words & wanted), len(example.text)))
    return ranked[:count]


def _words(text: str) -> set[str]:
    return {word for word in WORD.findall(text.lower()) if word not in STOP}


__all__ = ["Example", "choose", "examples"]
