"""The offline drafter: a valid workflow from plain rules when no model can be asked.

It reads the request (URLs, schedule in words, channels, model, retries), adapts the
closest template, or changes the current version for a refinement, and validates the
result; anything that fails validation falls back to a minimal template that always loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import engine
from engine.loader.source import SourceError, parse

from .compose import compose, dump
from .intent import read_intent
from .refine import refine

MINIMAL = """\
loom: 1
name: draft
description: A starting point; describe what it should do and I will fill it in.
triggers:
  - {type: webhook}
steps:
  - {id: respond, type: reply, text: "Hello from Loomwork"}
outputs:
  message: Hello from Loomwork
tests:
  - name: replies
    expect: {status: succeeded, outputs: {message: Hello from Loomwork}, replies: [Hello from Loomwork]}
"""
NEW_REQUEST = re.compile(r"\b(?:new|another|instead|start over|from scratch)\b", re.I)


@dataclass(frozen=True)
class OfflineDraft:
    reply: str
    yaml: str
    workflow: Any
    changed: bool = True


def draft_offline(request: str, current_yaml: str | None, reason: str) -> OfflineDraft:
    """Always a valid workflow: a refinement of `current_yaml`, a new draft, or the minimal one."""
    prefix = f"I'm offline ({reason}), so I drafted this with simple rules instead of a model."
    if current_yaml and not NEW_REQUEST.search(request):
        refined = _refined(request, current_yaml)
        if refined is not None:
            text, changes = refined
            return OfflineDraft(f"{prefix} Changes: {'; '.join(changes)}.", text, engine.loads(text))
        if not _asks_for_new(request):
            return OfflineDraft(f"{prefix} I could not tell what to change from that, so the current version "
                                "stays as it is. Try e.g. \"use claude for the summary\", \"also send it to "
                                "whatsapp\" or \"retry the fetch 5 times\".", current_yaml,
                                engine.loads(current_yaml), changed=False)
    intent = read_intent(request)
    text = dump(compose(intent))
    try:
        workflow = engine.loads(text)
    except engine.ValidationError:  # a rule produced something the loader refuses: never hand that out
        return OfflineDraft(f"{prefix} I could not build that from your words, so here is a minimal workflow "
                            "to start from.", MINIMAL, engine.loads(MINIMAL))
    return OfflineDraft(f"{prefix} {_explain(intent)}", text, workflow)


def _refined(request: str, current_yaml: str) -> tuple[str, list[str]] | None:
    try:
        doc = parse(current_yaml).data
    except SourceError:
        return None
    changes = refine(doc, request)
    if not changes:
        return None
    text = dump(doc)
    try:
        engine.loads(text)
    except engine.ValidationError:
        return None
    return text, changes


def _asks_for_new(request: str) -> bool:
    intent = read_intent(request)
    return bool(intent.urls) and intent.action != "fetch"


def _explain(intent) -> str:
    parts = [f"It {_ACTIONS[intent.action]}"]
    if intent.urls:
        parts.append(f"for {intent.urls[0]}")
    starts = [f"/{intent.command or intent.action} on Telegram" if t == "telegram" else
              "WhatsApp messages" if t == "whatsapp" else "a webhook call" for t in intent.triggers]
    if intent.schedule:
        starts.append(f"the schedule {intent.schedule.cron}"
                      + (f" ({intent.schedule.timezone or intent.timezone})" if intent.schedule.timezone
                         or intent.timezone else ""))
    sentence = " ".join(parts) + (f", started by {' and '.join(starts)}" if starts else "")
    if intent.sends:
        sentence += f", and sends the result on {', '.join(intent.sends)}"
    return sentence + ". Secrets it needs are named secrets.*; its tests mock every outside call."


_ACTIONS = {"summarize": "fetches the page and summarizes it", "translate": "translates the message",
            "classify": "classifies the message", "answer": "answers the message with a model",
            "remind": "sends a fixed message", "fetch": "fetches the URL and passes on the answer",
            "monitor": "checks the URL and alerts when it is down"}

__all__ = ["MINIMAL", "OfflineDraft", "draft_offline"]
