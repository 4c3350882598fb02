"""The drafting loop: ask the model, validate its draft, send the errors back until it is valid."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import model as models
from .answer import read_answer
from .check import check
from .prompt import messages_for, repair_message
from .types import Attempt, CheckResult, Message

NO_YAML = {"path": "", "line": None, "column": None, "message": "the answer holds no workflow document",
           "hint": "answer with the whole workflow in YAML"}


@dataclass
class Draft:
    reply: str
    yaml: str
    result: CheckResult
    attempts: list[Attempt] = field(default_factory=list)
    model_calls: int = 0


async def draft(request: str, history: list[Message], current_yaml: str | None, *, model: str,
                api_base: str | None, max_attempts: int) -> Draft:
    """Up to `max_attempts` answers; the first valid one wins, else the last one with its errors.

    Raises `model.ModelUnavailable` when the model cannot be reached at all.
    """
    structured = models.supports_structured_output(model)
    messages = messages_for(request, history, current_yaml, structured=structured)
    outcome = Draft("", "", CheckResult(False, [NO_YAML]))
    for number in range(1, max_attempts + 1):
        answer = await models.complete(model, messages, api_base=api_base,
                                       response_format=models.ANSWER_SCHEMA if structured else None)
        reply, text = read_answer(answer.text)
        result = check(text) if text else CheckResult(False, [NO_YAML])
        outcome.attempts.append(Attempt(number, reply, text, result.errors))
        outcome.reply, outcome.yaml, outcome.result, outcome.model_calls = reply, text, result, number
        if result.valid:
            break
        messages = [*messages, {"role": "assistant", "content": _echo(reply, text, structured)},
                    {"role": "user", "content": repair_message(result.errors)}]
    return outcome


def _echo(reply: str, text: str, structured: bool) -> str:
    """The model's own answer as it gave it, so the repair request reads as a conversation."""
    if structured:
        return json.dumps({"reply": reply, "yaml": text})
    return f"{reply}\n\n```yaml\n{text}```" if text else reply


__all__ = ["Draft", "draft"]
