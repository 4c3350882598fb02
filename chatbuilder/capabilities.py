"""What a workflow can do in the world, and what changed between two versions.

A person reviews these before saving: which hosts it contacts (http URLs, webhook sends,
the channels' and model providers' APIs), which channels it sends on, which secrets it
reads, whether it runs code, which models it uses and what starts it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from engine.loader.source import SourceError, parse

from .types import Capabilities, ChangeSummary

SECRET = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)")
TEMPLATE = re.compile(r"\$\{\{.*?\}\}", re.S)
ANY_HOST = "* (a URL computed at run time)"
CHANNEL_HOSTS = {"telegram": "api.telegram.org", "whatsapp": "api.twilio.com"}
PROVIDER_HOSTS = {
    "openai": "api.openai.com", "anthropic": "api.anthropic.com", "gemini": "generativelanguage.googleapis.com",
    "mistral": "api.mistral.ai", "groq": "api.groq.com", "ollama": "localhost:11434",
    "ollama_chat": "localhost:11434", "deepseek": "api.deepseek.com", "openrouter": "openrouter.ai",
}
REPLY_TRIGGERS = ("telegram", "whatsapp", "webhook")


def capabilities(workflow, previous: Capabilities | None = None) -> Capabilities:
    """The capabilities of a loaded `engine.Workflow`; with `previous`, `.new` holds what it adds."""
    found: dict[str, set[str]] = {"domains": set(), "channels": set(), "secrets": set(), "models": set()}
    code = False
    trigger_types = [trigger.type for trigger in workflow.triggers]
    default_model = workflow.defaults.model
    for _, step, _ in workflow.walk():
        code |= step.type == "code"
        _step_capabilities(step, found, trigger_types, default_model)
    found["secrets"] |= set(SECRET.findall(workflow.source_text or ""))
    caps = Capabilities(sorted(found["domains"]), sorted(found["channels"]), sorted(found["secrets"]), code,
                        sorted(found["models"]), sorted(set(trigger_types)))
    if previous is None:
        return caps
    return Capabilities(**_fields(caps), new=_added(caps, previous))


def _step_capabilities(step, found: dict[str, set[str]], trigger_types: list[str], default_model) -> None:
    kind = step.type
    if kind == "http":
        found["domains"].add(_host(step.url))
    elif kind == "send":
        found["channels"].add(step.channel)
        if step.channel == "webhook":
            found["domains"].add(_host(step.to))
        elif step.channel in CHANNEL_HOSTS:
            found["domains"].add(CHANNEL_HOSTS[step.channel])
    elif kind == "email":
        found["channels"].add("email")
    elif kind == "reply":
        for trigger in trigger_types:
            if trigger in REPLY_TRIGGERS:
                found["channels"].add(trigger)
                if trigger in CHANNEL_HOSTS:
                    found["domains"].add(CHANNEL_HOSTS[trigger])
    elif kind == "llm":
        model = step.model or default_model
        if model:
            found["models"].add(model)
            host = _host(step.api_base) if step.api_base else PROVIDER_HOSTS.get(model.partition("/")[0])
            if host:
                found["domains"].add(host)


def _host(url: str | None) -> str:
    """The literal host of a URL, or ANY_HOST when the host itself comes from an expression."""
    if not url:
        return ANY_HOST
    head = TEMPLATE.split(url, maxsplit=1)[0]
    if "${{" in url and "/" not in head.partition("://")[2]:
        return ANY_HOST  # the template starts before the host ends
    return urlsplit(head).netloc.lower() or ANY_HOST


def _fields(caps: Capabilities) -> dict[str, Any]:
    return {"domains": caps.domains, "channels": caps.channels, "secrets": caps.secrets,
            "code_execution": caps.code_execution, "models": caps.models, "triggers": caps.triggers}


def _added(caps: Capabilities, previous: Capabilities) -> Capabilities:
    new = lambda name: [x for x in getattr(caps, name) if x not in getattr(previous, name)]  # noqa: E731
    return Capabilities(new("domains"), new("channels"), new("secrets"),
                        caps.code_execution and not previous.code_execution, new("models"), new("triggers"))


def describe(caps: Capabilities) -> str:
    """One plain line, e.g. 'contacts example.org; sends on telegram; reads secret TOKEN'."""
    parts = []
    if caps.domains:
        parts.append("contacts " + ", ".join(caps.domains))
    if caps.channels:
        parts.append("sends on " + ", ".join(caps.channels))
    if caps.secrets:
        parts.append("reads secret " + ", ".join(caps.secrets))
    if caps.code_execution:
        parts.append("runs code")
    if caps.models:
        parts.append("uses model " + ", ".join(caps.models))
    if caps.triggers:
        parts.append("starts from " + ", ".join(caps.triggers))
    return "; ".join(parts)


# ---- change summary ---------------------------------------------------------------------


def summarize_changes(old_yaml: str | None, new_yaml: str) -> ChangeSummary:
    """Steps, triggers and models added, removed or changed from `old_yaml` to `new_yaml`."""
    old, new = _document(old_yaml), _document(new_yaml)
    old_steps, new_steps = _steps(old), _steps(new)
    old_triggers, new_triggers = _triggers(old), _triggers(new)
    old_models, new_models = _models(old), _models(new)
    summary = dict(
        steps_added=[s for s in new_steps if s not in old_steps],
        steps_removed=[s for s in old_steps if s not in new_steps],
        steps_changed=[s for s in new_steps if s in old_steps and new_steps[s] != old_steps[s]],
        triggers_added=[t for t in new_triggers if t not in old_triggers],
        triggers_removed=[t for t in old_triggers if t not in new_triggers],
        models_added=[m for m in new_models if m not in old_models],
        models_removed=[m for m in old_models if m not in new_models],
    )
    return ChangeSummary(**summary, text=_text(summary, old_yaml is None, old, new))


@lru_cache(maxsize=32)  # each version is compared twice: as the new text, then as the old one next turn
def _document(text: str | None) -> dict:
    """The document's data, to be read and never changed (it is shared through the cache)."""
    if not text:
        return {}
    try:
        data = parse(text).data
    except SourceError:
        return {}
    return data if isinstance(data, dict) else {}


def _steps(doc: dict) -> dict[str, Any]:
    """Step id -> its own fields (nested step lists left out, so a parent changes only by itself)."""
    found: dict[str, Any] = {}

    def visit(steps: Any) -> None:
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, dict):
                continue
            own = {}
            for key, value in step.items():
                if _is_step_list(value):
                    visit(value)
                elif key in ("cases",) and isinstance(value, list):
                    for case in value:
                        visit(case.get("steps") if isinstance(case, dict) else None)
                elif key == "branches" and isinstance(value, dict):
                    for branch in value.values():
                        visit(branch)
                else:
                    own[key] = value
            found.setdefault(str(step.get("id")), own)

    visit(doc.get("steps"))
    visit(doc.get("on_error"))
    return found


def _is_step_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "type" in v and "id" in v
                                                           for v in value)


def _triggers(doc: dict) -> list[str]:
    out = []
    for trigger in doc.get("triggers") or []:
        if isinstance(trigger, dict):
            detail = trigger.get("command") or trigger.get("schedule") or trigger.get("pattern") or ""
            out.append(f"{trigger.get('type')} {detail}".strip())
    return out


def _models(doc: dict) -> list[str]:
    models = []
    default = (doc.get("defaults") or {}).get("model") if isinstance(doc.get("defaults"), dict) else None
    for step in _steps(doc).values():
        model = step.get("model") or (default if step.get("type") == "llm" else None)
        if isinstance(model, str) and model not in models:
            models.append(model)
    return models


def _text(summary: dict[str, list[str]], first: bool, old: dict, new: dict) -> str:
    if first:
        steps = len(_steps(new))
        return f"First version: {steps} step{'s' if steps != 1 else ''}" + (
            f", started by {', '.join(summary['triggers_added'])}." if summary["triggers_added"] else ".")
    labels = [("steps_added", "Added step"), ("steps_removed", "Removed step"), ("steps_changed", "Changed step"),
              ("triggers_added", "Added trigger"), ("triggers_removed", "Removed trigger"),
              ("models_added", "Now uses model"), ("models_removed", "No longer uses model")]
    sentences = [f"{label}{'s' if len(summary[key]) > 1 else ''} {', '.join(summary[key])}."
                 for key, label in labels if summary[key]]
    if not sentences:
        other = [key for key in set(old) | set(new)
                 if key not in ("steps", "triggers") and old.get(key) != new.get(key)]
        return f"Changed {', '.join(sorted(other))}." if other else "No change to steps, triggers or models."
    return " ".join(sentences)


__all__ = ["capabilities", "describe", "summarize_changes"]
