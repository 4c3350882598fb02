"""Offline refinement: apply a plain-words change to the current version's document.

Handles the common kinds: a model ("use Claude for the summary"), another delivery
("also send it to WhatsApp"), retries ("retry the fetch 5 times"), a schedule, a
Telegram command and a URL. Returns the changed document and what was done, or no
change when nothing in the request was understood.
"""

from __future__ import annotations

import re
from typing import Any

from .compose import SEND_TO
from .intent import URL, parse_command, parse_model, parse_retries, parse_sends
from .schedule import parse_schedule


def refine(doc: dict[str, Any], request: str) -> list[str]:
    """Change `doc` in place as `request` asks; returns one line per change made."""
    done: list[str] = []
    low = request.lower()
    model = parse_model(request)
    if model:
        done += _use_model(doc, model, low)
    retries = parse_retries(request)
    if retries:
        done += _retry(doc, retries, low)
    for channel in parse_sends(request) or _also_channels(low):
        done += _add_send(doc, channel)
    schedule = parse_schedule(URL.sub(" ", request))
    if schedule:
        done += _schedule(doc, schedule.cron, schedule.timezone)
    command = parse_command(request)
    if command and not any(t.get("type") == "telegram" for t in doc.get("triggers") or []):
        doc.setdefault("triggers", []).append({"type": "telegram", "command": command})
        done.append(f"added the Telegram command /{command}")
    urls = URL.findall(request)
    if urls:
        done += _url(doc, urls[0].rstrip(".,;:!?"))
    return done


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found = []

    def visit(steps: Any) -> None:
        for step in steps if isinstance(steps, list) else []:
            if isinstance(step, dict):
                found.append(step)
                for value in step.values():
                    if isinstance(value, list):
                        visit(value)
                    elif isinstance(value, dict):
                        for nested in value.values():
                            visit(nested)

    visit(doc.get("steps"))
    return found


def _named(steps: list[dict[str, Any]], low: str) -> list[dict[str, Any]]:
    """The steps the request names by id (or by its stem: "the summary" names `summarize`)."""
    named = []
    for step in steps:
        stem = str(step.get("id", ""))[:5]
        if stem and re.search(rf"\b{re.escape(stem)}", low):
            named.append(step)
    return named


def _use_model(doc: dict[str, Any], model: str, low: str) -> list[str]:
    llms = [s for s in _steps(doc) if s.get("type") == "llm"]
    targets = _named(llms, low) or llms
    for step in targets:
        step["model"] = model
    if not targets and isinstance(doc.get("defaults"), dict):
        doc["defaults"]["model"] = model
        return [f"set the default model to {model}"]
    return [f"step {s['id']} now uses {model}" for s in targets]


def _retry(doc: dict[str, Any], attempts: int, low: str) -> list[str]:
    external = [s for s in _steps(doc) if s.get("type") in ("http", "llm", "send", "email", "sql")]
    targets = _named(external, low) or [s for s in external if s.get("type") == "http"] or external
    for step in targets:
        retry = step.get("retry") if isinstance(step.get("retry"), dict) else {}
        step["retry"] = {**retry, "max_attempts": attempts}
    return [f"step {s['id']} is now tried up to {attempts} times" for s in targets]


def _also_channels(low: str) -> list[str]:
    if not re.search(r"\b(?:also|too|as well)\b", low):
        return []
    return [c for c in ("telegram", "whatsapp", "email", "webhook") if re.search(rf"\b{c}\b", low)]


def _message(doc: dict[str, Any]) -> str:
    for step in reversed(_steps(doc)):
        if step.get("type") in ("reply", "send") and isinstance(step.get("text"), str):
            return step["text"]
    outputs = doc.get("outputs") or {}
    first = next(iter(outputs.values()), None)
    return first if isinstance(first, str) else "Done: ${{ run.workflow }}"


def _add_send(doc: dict[str, Any], channel: str) -> list[str]:
    steps = _steps(doc)
    if any(s.get("type") == "send" and s.get("channel") == channel for s in steps):
        return []
    ids = {s.get("id") for s in steps}
    step_id, n = f"send_{channel}", 2
    while step_id in ids:
        step_id, n = f"send_{channel}_{n}", n + 1
    doc["steps"].append({"id": step_id, "type": "send", "channel": channel, "to": SEND_TO[channel],
                         "text": _message(doc)})
    for case in doc.get("tests") or []:
        if isinstance(case, dict):
            case.setdefault("mocks", {})[step_id] = {"channel": channel, "delivered": True}
    return [f"added step {step_id}: sends the result on {channel}"]


def _schedule(doc: dict[str, Any], cron: str, timezone: str | None) -> list[str]:
    triggers = doc.setdefault("triggers", [])
    existing = next((t for t in triggers if isinstance(t, dict) and t.get("type") == "cron"), None)
    if existing is None:
        existing = {"type": "cron"}
        triggers.append(existing)
    existing["schedule"] = cron
    if timezone:
        existing["timezone"] = timezone
    for name, spec in (doc.get("inputs") or {}).items():
        if isinstance(spec, dict) and "default" not in spec:  # a cron run has nobody to ask
            existing.setdefault("inputs", {})[name] = "https://example.org" if name == "url" else ""
    return [f"runs on the schedule {cron}" + (f" ({timezone})" if timezone else "")]


def _url(doc: dict[str, Any], url: str) -> list[str]:
    fetches = [s for s in _steps(doc) if s.get("type") == "http"]
    if not fetches:
        return []
    fetches[0]["url"] = url
    return [f"step {fetches[0]['id']} now fetches {url}"]


__all__ = ["refine"]
