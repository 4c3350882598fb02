"""`llm`: ask a model through LiteLLM, optionally for a schema-checked object."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import field_validator, model_validator

from ..language.base import LoomModel, described
from .base import Step
from .registry import register_step_type


class Message(LoomModel):
    """One chat message."""

    role: Literal["system", "user", "assistant"] = described("Who speaks.")
    content: str = described("What is said; may be a template.")


class Memory(LoomModel):
    """Conversation history kept between runs and sent with each request."""

    scope: Literal["conversation", "workflow"] = described(
        "conversation: one history per chat (the trigger's chat id); workflow: one for the workflow.",
        default="conversation",
    )
    key: str | None = described(
        "Template naming the history; overrides the scope's key.", default=None,
        examples=["${{ trigger.chat_id }}"],
    )
    window: int = described("Most past messages sent to the model.", default=20, ge=1, le=1000)


@register_step_type
class LlmStep(Step):
    external: ClassVar = True
    template_fields: ClassVar = frozenset({"model", "system", "prompt", "messages", "memory", "api_base", "api_key"})
    secret_fields: ClassVar = frozenset({"api_base", "api_key"})

    type: Literal["llm"] = described("Step type.")
    model: str | None = described(
        "A LiteLLM model string; defaults to `defaults.model`.",
        default=None,
        examples=["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest", "ollama/llama3.2"],
    )
    system: str | None = described("System prompt.", default=None)
    prompt: str | None = described("The user message; a template.", default=None)
    messages: list[Message] | None = described("A whole conversation instead of `prompt`.", default=None)
    output_schema: dict[str, Any] | None = described(
        "A JSON Schema the answer must satisfy; the parsed object is `output.data`.", default=None,
        examples=[{"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}],
    )
    temperature: float | None = described("Sampling temperature.", default=None, ge=0, le=2)
    max_tokens: int | None = described("Most tokens in the answer.", default=None, ge=1)
    api_base: str | None = described("Base URL of the provider's API, e.g. a local Ollama.", default=None)
    api_key: str | None = described("API key, usually `${{ secrets.NAME }}`.", default=None)
    memory: Memory | None = described("Keep a conversation history between runs.", default=None)

    @model_validator(mode="after")
    def _prompt_or_messages(self):
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("an llm step needs exactly one of `prompt` or `messages`")
        return self

    @field_validator("output_schema")
    @classmethod
    def _valid_json_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            from jsonschema import Draft202012Validator
            from jsonschema.exceptions import SchemaError

            try:
                Draft202012Validator.check_schema(value)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
                raise ValueError(f"not a valid JSON Schema at {where}: {exc.message}") from None
        return value
