"""Building a workflow document from an `Intent`: the offline drafter's templates.

A template per action (summarize, translate, classify, answer, remind, fetch, monitor),
adapted with the request's URLs, schedule, channels, model and retries, plus a `tests:`
block that mocks every external step so `loom test` passes without network.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import yaml as pyyaml

from .intent import Intent

DEFAULT_MODEL = "openai/gpt-4o-mini"
SEND_TO = {"telegram": "${{ secrets.TELEGRAM_CHAT_ID }}", "whatsapp": "${{ secrets.WHATSAPP_TO }}",
           "email": "${{ secrets.EMAIL_TO }}", "webhook": "${{ secrets.WEBHOOK_URL }}"}
LLM_TEXT = {"summarize": "A short summary of the page.", "translate": "Hallo, wie geht es dir?",
            "answer": "Here is a helpful answer.", "classify": ""}
SENT = {"delivered": True}
FETCHED = {"status": 200, "headers": {}, "text": "Example page text.", "json": None, "elapsed_ms": 120}


def compose(intent: Intent) -> dict[str, Any]:
    """The workflow document (plain data) the intent describes."""
    uses_url = intent.action in ("summarize", "fetch", "monitor") or bool(intent.urls)
    url = intent.urls[0] if intent.urls else None
    doc: dict[str, Any] = {"loom": 1, "name": _name(intent, url), "description": _description(intent)}
    inputs = _inputs(intent, uses_url and url is None)
    if inputs:
        doc["inputs"] = inputs
    doc["triggers"] = _triggers(intent, next(iter(inputs), None))
    model = intent.model or DEFAULT_MODEL
    steps, message = _work(intent, url if uses_url else None, model)
    steps += _deliveries(intent, message, url)
    doc["steps"] = steps
    doc["outputs"] = {"message": message}
    doc["tests"] = _tests(intent, doc, message)
    return doc


def dump(doc: dict[str, Any]) -> str:
    return pyyaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


# ---- parts -------------------------------------------------------------------------------


def _name(intent: Intent, url: str | None) -> str:
    subject = intent.command or (urlsplit(url).hostname or "").removeprefix("www.").split(".")[0] if url else None
    subject = subject or {"translate": "text", "classify": "messages", "answer": "questions"}.get(intent.action, "")
    slug = re.sub(r"[^a-z0-9]+", "-", f"{intent.action} {subject}".lower()).strip("-")
    return slug[:60].strip("-") or "workflow"


def _description(intent: Intent) -> str:
    text = " ".join(intent.text.split())
    return text[:157] + "..." if len(text) > 160 else text


def _inputs(intent: Intent, wants_url: bool) -> dict[str, Any]:
    if wants_url:
        spec: dict[str, Any] = {"type": "string", "description": "The page to " + (
            "watch" if intent.action == "monitor" else "read")}
        if intent.schedule:  # a cron run has nobody to ask, so the input needs a value
            spec["default"] = "https://example.org"
        return {"url": spec}
    if intent.action in ("translate", "classify", "answer"):
        return {"text": {"type": "string", "description": "The message to " + (
            "answer" if intent.action == "answer" else intent.action)}}
    return {}


def _triggers(intent: Intent, first_input: str | None) -> list[dict[str, Any]]:
    triggers: list[dict[str, Any]] = []
    command = intent.command or intent.action
    for kind in intent.triggers:
        if kind == "telegram":
            trigger = {"type": "telegram", "command": command, "description": _description(intent)[:100]}
            if first_input:
                trigger["args"] = [first_input]
            triggers.append(trigger)
        elif kind == "whatsapp":
            triggers.append({"type": "whatsapp", "pattern": rf"^(?P<{first_input}>.+)$"} if first_input == "text"
                            else {"type": "whatsapp", "command": command})
        elif kind == "webhook":
            triggers.append({"type": "webhook"})
    if intent.schedule:
        cron: dict[str, Any] = {"type": "cron", "schedule": intent.schedule.cron}
        if intent.schedule.timezone or intent.timezone:
            cron["timezone"] = intent.schedule.timezone or intent.timezone
        triggers.append(cron)
    return triggers


def _work(intent: Intent, url: str | None, model: str) -> tuple[list[dict[str, Any]], str]:
    """The steps that do the job, and the expression of the message they produce."""
    steps: list[dict[str, Any]] = []
    if intent.action in ("summarize", "fetch", "monitor"):
        steps.append(_fetch(intent, url))
    action = intent.action
    if action == "summarize":
        steps.append({"id": "summarize", "type": "llm", "model": model,
                      "system": "You summarize web pages faithfully in plain language.",
                      "prompt": "Summarize this page in one short paragraph:\n${{ steps.fetch.output.text }}\n"})
        return steps, "${{ steps.summarize.output.text }}"
    if action == "translate":
        language = intent.language or "English"
        steps.append({"id": "translate", "type": "llm", "model": model,
                      "system": f"You translate text into {language}, keeping its tone and formatting. "
                                "Answer with the translation only.",
                      "prompt": "${{ inputs.text }}"})
        return steps, "${{ steps.translate.output.text }}"
    if action == "classify":
        steps.append({"id": "classify", "type": "llm", "model": model,
                      "system": "You classify messages. Pick exactly one category.",
                      "prompt": "Classify this message:\n${{ inputs.text }}\n",
                      "output_schema": {"type": "object", "required": ["category"], "properties": {
                          "category": {"type": "string", "enum": ["question", "bug", "request", "other"]}}}})
        return steps, "Category: ${{ steps.classify.output.data.category }}"
    if action == "answer":
        steps.append({"id": "answer", "type": "llm", "model": model,
                      "system": "You are a concise, friendly assistant.", "prompt": "${{ inputs.text }}"})
        return steps, "${{ steps.answer.output.text }}"
    if action == "monitor":
        steps.append({"id": "verdict", "type": "set", "values": {
            "up": "${{ steps.fetch.status == 'succeeded' }}",
            "detail": "${{ steps.fetch.status == 'succeeded' ? 'HTTP ' + string(steps.fetch.output.status) "
                      ": steps.fetch.error.message }}"}})
        target = url or "${{ inputs.url }}"
        return steps, f"{target} is ${{{{ steps.verdict.output.up ? 'up' : 'DOWN' }}}} " \
                      "(${{ steps.verdict.output.detail }})"
    if action == "fetch":
        return steps, "HTTP ${{ steps.fetch.output.status }}: ${{ steps.fetch.output.text }}"
    return steps, intent.message or "Reminder: " + _description(intent)


def _fetch(intent: Intent, url: str | None) -> dict[str, Any]:
    step: dict[str, Any] = {"id": "fetch", "type": "http", "method": intent.method, "url": url or "${{ inputs.url }}",
                            "timeout": "30s",
                            "retry": {"max_attempts": intent.retries or 3, "backoff": "exponential", "delay": "2s",
                                      "on": ["timeout", "http_5xx", "http_429"]}}
    if intent.action == "monitor":
        step["on_error"] = "continue"  # a failed probe is the news, not a crash
    return step


def _deliveries(intent: Intent, message: str, url: str | None) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for channel in intent.sends:
        to = SEND_TO[channel]
        if channel == "webhook" and len(intent.urls) > 1:
            to = intent.urls[-1]
        step = {"id": f"send_{channel}", "type": "send", "channel": channel, "to": to, "text": message}
        if intent.action == "monitor":
            step = {"id": step["id"], "type": "send", "when": "${{ !steps.verdict.output.up }}",
                    **{k: v for k, v in step.items() if k not in ("id", "type")}}
        steps.append(step)
    if any(kind in ("telegram", "whatsapp", "webhook") for kind in intent.triggers):
        steps.append({"id": "respond", "type": "reply", "text": message})
    if not steps:
        steps.append({"id": "done", "type": "set", "values": {"message": message}})
    return steps


def _tests(intent: Intent, doc: dict[str, Any], message: str) -> list[dict[str, Any]]:
    inputs = {name: ("https://example.org" if name == "url" else "Hello, how are you?")
              for name in doc.get("inputs", {})}
    channel = intent.triggers[0] if intent.triggers else "cron"
    trigger = {"channel": channel} if channel == "cron" else {"channel": channel, "user": "tester", "chat_id": "123"}
    mocks = _mocks(doc["steps"], intent)
    case: dict[str, Any] = {"name": "does the job", "inputs": inputs, "trigger": trigger, "mocks": mocks,
                            "expect": {"status": "succeeded"}}
    expected = _expected_message(intent, message)
    if expected is not None:
        case["expect"]["outputs"] = {"message": expected}
        if any(step["type"] == "reply" for step in doc["steps"]):
            case["expect"]["replies"] = [expected]
    if intent.action != "monitor":
        return [case]
    case["name"] = "a healthy page raises no alert"
    down = {**mocks, "fetch": {"error": "connection timed out"}}
    alert = {"name": "an unreachable page raises the alarm", "inputs": inputs, "trigger": trigger, "mocks": down,
             "expect": {"status": "succeeded", "steps": {s: {"status": "succeeded"} for s in mocks if s != "fetch"}}}
    case["expect"]["steps"] = {s: {"status": "skipped"} for s in mocks if s.startswith("send_")}
    return [case, alert]


def _mocks(steps: list[dict[str, Any]], intent: Intent) -> dict[str, Any]:
    mocks: dict[str, Any] = {}
    for step in steps:
        if step["type"] == "http":
            mocks[step["id"]] = dict(FETCHED)
        elif step["type"] == "llm":
            data = {"category": "question"} if step.get("output_schema") else None
            mocks[step["id"]] = {"text": LLM_TEXT.get(step["id"], "Done."), "data": data, "model": step["model"],
                                 "usage": {"input_tokens": 100, "output_tokens": 20}, "cost_usd": 0.0001}
        elif step["type"] == "send":
            mocks[step["id"]] = {"channel": step["channel"], **SENT}
    return mocks


def _expected_message(intent: Intent, message: str) -> str | None:
    if intent.action in LLM_TEXT and intent.action != "classify":
        return LLM_TEXT[intent.action]
    if intent.action == "classify":
        return "Category: question"
    if "${{" not in message:
        return message
    return None


class _Dumper(pyyaml.SafeDumper):
    """Block style for multi-line strings, so prompts read like text."""


def _str(dumper: pyyaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _dict(dumper: pyyaml.SafeDumper, value: dict):
    flat = all(not isinstance(v, dict | list) or not v for v in value.values()) and len(str(value)) < 90
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=(flat and bool(value)) or None)


def _list(dumper: pyyaml.SafeDumper, value: list):
    flat = all(not isinstance(v, dict | list) for v in value) and len(str(value)) < 90
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=(flat and bool(value)) or None)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _dict)

__all__ = ["compose", "dump"]
