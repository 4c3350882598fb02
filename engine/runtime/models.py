"""Calling a language model through LiteLLM, the one seam between the engine and providers.

LiteLLM is imported on first use: the import takes seconds and would otherwise try to
download a price list, so the bundled one is used (`LITELLM_LOCAL_MODEL_COST_MAP`).
Provider errors become StepErrors of the retry classes `rate_limit`, `timeout` and `llm_error`.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import StepError


def _litellm():
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


async def complete(model: str, messages: list[dict[str, str]], **params: Any) -> tuple[str, dict[str, int], float]:
    """Ask `model` once; return the answer's text, its token usage and its cost in USD (0.0 if unpriced)."""
    litellm = _litellm()
    params = {key: value for key, value in params.items() if value is not None}
    try:
        # max_retries=0: the step's `retry` policy decides, not the provider SDK behind our back.
        response = await litellm.acompletion(model=model, messages=messages, max_retries=0, **params)
    except Exception as exc:
        raise _classify(exc, model) from None
    text = response.choices[0].message.content or ""
    usage = getattr(response, "usage", None)
    tokens = {"input_tokens": getattr(usage, "prompt_tokens", 0) or 0,
              "output_tokens": getattr(usage, "completion_tokens", 0) or 0}
    return text, tokens, _cost(litellm, response, model)


def supports_json_mode(model: str) -> bool:
    """Whether LiteLLM knows the model accepts `response_format={"type": "json_object"}`."""
    litellm = _litellm()
    try:
        return "response_format" in (litellm.get_supported_openai_params(model=model) or ())
    except Exception:  # LiteLLM raises plain exceptions for models it cannot map; then we don't ask
        return False


def _cost(litellm, response: Any, model: str) -> float:
    try:
        return float(litellm.completion_cost(completion_response=response, model=model) or 0.0)
    except Exception:  # LiteLLM raises a plain Exception for a model missing from its price map
        return 0.0


def _classify(exc: Exception, model: str) -> StepError:
    import openai

    litellm = _litellm()
    message = f"model {model}: {type(exc).__name__}: {exc}"
    if isinstance(exc, litellm.RateLimitError | openai.RateLimitError):
        return StepError(message, "rate_limit", retry_after=_retry_after(exc))
    if isinstance(exc, litellm.Timeout | openai.APITimeoutError):
        return StepError(message, "timeout")
    if isinstance(exc, openai.APIError):
        return StepError(message, "llm_error")
    return StepError(message, "error")  # a bad model string or parameter: retrying will not help


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = getattr(response, "headers", {}).get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
