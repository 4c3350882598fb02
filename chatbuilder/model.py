"""The one door through which the builder talks to a model (tracing wraps `complete`).

LiteLLM is imported on first use: the import takes seconds and would otherwise try to
download a price list, so the bundled one is used (`LITELLM_LOCAL_MODEL_COST_MAP`).
Every provider failure becomes `ModelUnavailable` with a one-line reason; the builder
then answers with the offline drafter instead of leaving the person without a draft.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from engine.tracing import traced_model_call

DEFAULT_TIMEOUT = 60.0
ANSWER_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "workflow_draft",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "reply": {"type": "string", "description": "A short explanation for the person, 1-4 sentences."},
                "yaml": {"type": "string", "description": "The whole workflow document in YAML."},
            },
            "required": ["reply", "yaml"],
            "additionalProperties": False,
        },
    },
}


class ModelUnavailable(Exception):
    """The model could not be asked: not configured, unreachable, refused the key, or timed out."""


@dataclass(frozen=True)
class ModelAnswer:
    text: str
    usage: dict[str, int] = field(default_factory=dict)


def _litellm():
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


@traced_model_call  # a span per call, grouped per builder turn and session when tracing is on
async def complete(model: str, messages: list[dict[str, str]], *, api_base: str | None = None,
                   response_format: dict[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT,
                   max_tokens: int | None = None) -> ModelAnswer:
    """Ask `model` once; raise ModelUnavailable with a plain reason when that fails."""
    litellm = _litellm()
    params = {"api_base": api_base, "response_format": response_format, "max_tokens": max_tokens}
    try:
        # max_retries=0: a dead provider should turn into the offline drafter now, not in a minute.
        response = await litellm.acompletion(model=model, messages=messages, timeout=timeout, max_retries=0,
                                             **{key: value for key, value in params.items() if value is not None})
    except Exception as exc:  # LiteLLM raises many unrelated types (httpx, openai, its own); all mean "no answer"
        raise ModelUnavailable(_reason(exc, model)) from exc
    usage = getattr(response, "usage", None)
    return ModelAnswer(response.choices[0].message.content or "",
                       {"input_tokens": getattr(usage, "prompt_tokens", 0) or 0,
                        "output_tokens": getattr(usage, "completion_tokens", 0) or 0})


def supports_structured_output(model: str) -> bool:
    """Whether LiteLLM says the provider accepts a JSON-schema `response_format` for `model`."""
    try:
        return bool(_litellm().supports_response_schema(model=model))
    except Exception:  # LiteLLM raises plain exceptions for models it cannot map; then we ask for plain text
        return False


def _reason(exc: Exception, model: str) -> str:
    kind = type(exc).__name__
    text = " ".join(str(exc).split())
    for noise in ("litellm.", "OpenAIException - ", "AnthropicException - ", f"{kind}: "):
        text = text.replace(noise, "")
    if "timeout" in kind.lower() or "timed out" in text.lower():
        what = "did not answer in time"
    elif "missing credentials" in text.lower() or "api_key" in text.lower():
        what = "has no API key (set the provider's key, e.g. OPENAI_API_KEY)"
    elif "auth" in kind.lower() or "api key" in text.lower() or "401" in text:
        what = "refused the API key"
    elif "connect" in kind.lower() or "connection" in text.lower():
        what = "is unreachable"
    else:
        what = "failed"
    return f"the builder model {model} {what} ({kind}: {text[:200]})"


__all__ = ["ANSWER_SCHEMA", "ModelAnswer", "ModelUnavailable", "complete", "supports_structured_output"]
