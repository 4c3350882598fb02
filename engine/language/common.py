"""Models used in several places: inputs, retry policies, defaults and limits."""

from __future__ import annotations

from typing import Any, Literal

from .base import Duration, LoomModel, described

InputType = Literal["string", "number", "integer", "boolean", "object", "array"]
RetryOn = Literal["timeout", "http_5xx", "http_429", "rate_limit", "llm_error", "transient", "any"]


class InputSpec(LoomModel):
    """One input of a workflow."""

    type: InputType = described("The input's JSON type.", default="string")
    description: str | None = described("What the input means; shown in bot help and forms.", default=None)
    default: Any = described("Value used when the input is not given; an input without one is required.", default=None)
    enum: list[Any] | None = described("The only values the input may take.", default=None)
    required: bool | None = described(
        "Whether a value must be given. Defaults to true when there is no `default`.", default=None
    )

    @property
    def is_required(self) -> bool:
        if self.required is not None:
            return self.required
        return "default" not in self.model_fields_set


class RetryPolicy(LoomModel):
    """How a failed step is tried again. There is no cap of five: long outages deserve patience."""

    max_attempts: int = described(
        "Total attempts including the first; 1 means no retry.", default=1, ge=1, le=1000
    )
    backoff: Literal["constant", "exponential"] = described(
        "How the delay grows between attempts.", default="exponential"
    )
    delay: Duration = described("Delay before the second attempt.", default=1.0)
    max_delay: Duration = described("Upper bound of any single delay.", default=60.0)
    jitter: bool = described("Randomize each delay by up to 50% to avoid thundering herds.", default=True)
    on: list[RetryOn] = described(
        "Error classes that are retried; `any` retries every error.",
        default_factory=lambda: ["any"],
        examples=[["timeout", "http_5xx", "http_429"]],
    )


class Defaults(LoomModel):
    """Settings every step inherits unless it sets its own."""

    model: str | None = described(
        "A LiteLLM model string for llm steps.",
        default=None,
        examples=["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest", "ollama/llama3.2"],
    )
    timeout: Duration | None = described("Per-attempt time limit of each step.", default=None)
    retry: RetryPolicy | None = described("Retry policy of each step.", default=None)
    temperature: float | None = described("Sampling temperature of llm steps.", default=None, ge=0, le=2)


class Limits(LoomModel):
    """Hard limits of one run; a run that would exceed one stops with a clear error."""

    timeout: Duration | None = described("Wall-clock limit of the whole run.", default=None)
    max_steps: int | None = described(
        "Most step executions in one run, loop passes counted.", default=None, ge=1
    )
    max_cost_usd: float | None = described("Most money one run may spend on models.", default=None, gt=0)
    max_tokens: int | None = described("Most model tokens (input and output) one run may use.", default=None, ge=1)


class TriggerContext(LoomModel):
    """What a test pretends the run was triggered by."""

    channel: str = described("telegram, whatsapp, webhook, cron, chat or cli.", default="cli")
    user: str | None = described("Who sent the message.", default=None)
    chat_id: str | None = described("Chat or sender to reply to.", default=None)
    text: str | None = described("The message text.", default=None)


class StepExpectation(LoomModel):
    status: Literal["succeeded", "failed", "skipped"] = described("Expected step status.")


class TestExpectation(LoomModel):
    """What a test case expects of the run."""

    status: Literal["succeeded", "failed", "waiting"] | None = described(
        "Expected run status.", default=None
    )
    outputs: dict[str, Any] | None = described("Outputs that must match (a subset).", default=None)
    steps: dict[str, StepExpectation] | None = described("Expected status per step id.", default=None)
    replies: list[str] | None = described("Texts the run must reply, in order.", default=None)
    error: str | None = described("Text the run's error message must contain.", default=None)


class TestCase(LoomModel):
    """One offline test of the workflow, run by `loom test`."""

    __test__ = False  # not a pytest class

    name: str = described("What the test shows.", min_length=1)
    inputs: dict[str, Any] = described("Inputs of the run.", default_factory=dict)
    trigger: TriggerContext | None = described("The trigger the run pretends to come from.", default=None)
    mocks: dict[str, Any] = described(
        "Step id -> the output that step returns instead of running, or {error: message} to make it fail.",
        default_factory=dict,
    )
    expect: TestExpectation = described("What must hold when the run ends.", default_factory=TestExpectation)
