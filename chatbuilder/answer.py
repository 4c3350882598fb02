"""Reading the model's answer: JSON `{reply, yaml}` or an explanation with a ```yaml block."""

from __future__ import annotations

import json
import re

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\n(.*?)(?:\n```|\Z)", re.S)
WORKFLOW_START = re.compile(r"^(?:loom|name)\s*:", re.M)


def read_answer(text: str) -> tuple[str, str]:
    """(explanation, yaml) from a model answer; yaml is "" when the answer holds none."""
    text = text.strip()
    parsed = _json(text)
    if parsed is not None:
        return parsed
    fences = FENCE.findall(text)
    for language, body in fences:
        if language.lower() in ("yaml", "yml", "") and WORKFLOW_START.search(body):
            reply = re.sub(r"\n{3,}", "\n\n", FENCE.sub("", text)).strip()
            return reply, body.strip() + "\n"
    for language, body in fences:
        if language.lower() == "json":
            parsed = _json(body.strip())
            if parsed is not None:
                return parsed
    start = WORKFLOW_START.search(text)
    if start is not None:  # a bare document, perhaps after a sentence or two
        return text[:start.start()].strip(), text[start.start():].strip() + "\n"
    return text, ""


def _json(text: str) -> tuple[str, str] | None:
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text, strict=False)  # models often put raw newlines inside the strings
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("yaml"), str):
        return None
    reply = data.get("reply")
    body = data["yaml"].strip()
    fenced = FENCE.fullmatch(body)  # some models fence the YAML inside the JSON too
    if fenced:
        body = fenced.group(2).strip()
    return (reply if isinstance(reply, str) else ""), (body + "\n" if body else "")


__all__ = ["read_answer"]
