"""Which provider serves a model string, and which model an llm step asked for."""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

from .sources import workflow_of

UNKNOWN = "(unknown)"
# Bare names LiteLLM routes by family, for models its price map does not list.
_FAMILIES = (("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"), ("chatgpt", "openai"),
             ("claude", "anthropic"), ("gemini", "gemini"), ("command", "cohere"), ("mistral", "mistral"))


def provider_of(model: str) -> str:
    """LiteLLM's provider of `model`: its prefix before "/", else the provider its price map names."""
    if not model or model == UNKNOWN:
        return UNKNOWN
    prefix, slash, _ = model.partition("/")
    if slash:
        return prefix
    known = _price_map_providers().get(model)
    if known:
        return known
    return next((provider for start, provider in _FAMILIES if model.startswith(start)), UNKNOWN)


@functools.cache
def _price_map_providers() -> dict[str, str]:
    # LiteLLM's bundled price map, read as data: importing litellm takes seconds and would
    # try to download a newer map, which a report has no reason to do.
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent / "model_prices_and_context_window_backup.json"
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {name: entry["litellm_provider"] for name, entry in entries.items()
            if isinstance(entry, dict) and entry.get("litellm_provider")}


def model_of_step(source: str, step_id: str) -> str:
    """The model an llm step of `source` calls, for records that carry none (the step failed)."""
    return _models_in(source).get(step_id, UNKNOWN)


@functools.lru_cache(maxsize=128)
def _models_in(source: str) -> dict[str, str]:
    workflow = workflow_of(source)
    if workflow is None:
        return {}
    models = {}
    for _, step, _ in workflow.walk():
        if step.type == "llm":
            model = getattr(step, "model", None) or workflow.defaults.model
            models[step.id] = UNKNOWN if not model or "${{" in model else model
    return models
