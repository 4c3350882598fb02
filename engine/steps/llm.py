"""`llm`: ask a model through LiteLLM, optionally for a schema-checked object."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import field_validator, model_validator

from ..errors import StepError
from ..language.base import LoomModel, described
from ..runtime import models, netguard
from .base import Step
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


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

    async def execute(self, ctx: StepContext) -> dict[str, Any]:
        model = ctx.render(self.model) or ctx.defaults.model
        if not model:
            raise StepError("no model: set `model` on the step or `defaults.model` in the workflow", "error")
        params = self._params(ctx, model)
        if params["api_base"]:
            # The workflow chose where the prompt and the key go: the same guard as an http step's URL.
            # Without `api_base` the provider's default is the operator's (OPENAI_API_BASE, ...): not checked.
            await netguard.check_api_base(str(params["api_base"]), ctx.services.http_allow)
        memory_key = self._memory_key(ctx)
        history = await ctx.services.store.memory(memory_key, self.memory.window) if memory_key and self.memory else []
        head, turn = self._messages(ctx)
        messages = [*head, *history, *turn]
        call = _Call(ctx, model, params)
        text = await call(messages)
        data = None
        if self.output_schema is not None:
            data, text = await _structured(call, messages, text, self.output_schema)
        if memory_key:
            said = [m for m in turn if m["role"] == "user"][-1:]
            await ctx.services.store.append_memory(memory_key, [*said, {"role": "assistant", "content": text}])
        return {"text": text, "data": data, "model": model, "usage": call.usage, "cost_usd": call.cost_usd}

    def _params(self, ctx: StepContext, model: str) -> dict[str, Any]:
        temperature = self.temperature if self.temperature is not None else ctx.defaults.temperature
        params = {"temperature": temperature, "max_tokens": self.max_tokens,
                  "api_base": ctx.render(self.api_base), "api_key": ctx.render(self.api_key)}
        if self.output_schema is not None and models.supports_json_mode(model):
            params["response_format"] = {"type": "json_object"}
        return params

    def _messages(self, ctx: StepContext) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """The system message, and this run's turn; the memory's history goes between them."""
        system = ctx.render(self.system) if self.system is not None else None
        if self.output_schema is not None:
            system = f"{system}\n\n{_schema_instruction(self.output_schema)}" if system else \
                _schema_instruction(self.output_schema)
        head = [{"role": "system", "content": str(system)}] if system else []
        if self.prompt is not None:
            return head, [{"role": "user", "content": str(ctx.render(self.prompt))}]
        return head, [{"role": m.role, "content": str(ctx.render(m.content))} for m in self.messages or []]

    def _memory_key(self, ctx: StepContext) -> str | None:
        if self.memory is None:
            return None
        if self.memory.key is not None:
            return str(ctx.render(self.memory.key))
        name = ctx.workflow_name
        if self.memory.scope == "workflow":
            return name
        trigger = ctx.trigger
        return f"{name}:{trigger.get('chat_id') or trigger.get('user') or 'default'}"


class _Call:
    """One model with its parameters; adds up usage and cost over the calls of one attempt."""

    def __init__(self, ctx: StepContext, model: str, params: dict[str, Any]):
        self.ctx, self.model, self.params = ctx, model, params
        self.usage = {"input_tokens": 0, "output_tokens": 0}
        self.cost_usd = 0.0

    async def __call__(self, messages: list[dict[str, str]]) -> str:
        text, usage, cost = await models.complete(self.model, messages, **self.params)
        self.usage = {name: self.usage[name] + usage[name] for name in self.usage}
        self.cost_usd += cost
        self.ctx.add_usage(usage["input_tokens"], usage["output_tokens"], cost)
        return text


async def _structured(call: _Call, messages: list[dict[str, str]], text: str,
                      schema: dict[str, Any]) -> tuple[Any, str]:
    """The answer parsed and checked against `schema`, after at most one repair request."""
    data, errors = _parse(text, schema)
    if not errors:
        return data, text
    repair = [*messages, {"role": "assistant", "content": text}, {"role": "user", "content": (
        "Your answer does not satisfy the JSON Schema:\n" + "\n".join(f"- {e}" for e in errors)
        + "\nReply again with only the corrected JSON, nothing else.")}]
    text = await call(repair)
    data, errors = _parse(text, schema)
    if errors:
        raise StepError(f"the model's answer does not match output_schema after one repair: {'; '.join(errors)}",
                        "llm_error")
    return data, text


_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def _parse(text: str, schema: dict[str, Any]) -> tuple[Any, list[str]]:
    from jsonschema import Draft202012Validator

    fenced = _FENCE.match(text)
    try:
        data = json.loads(fenced.group(1) if fenced else text)
    except ValueError as exc:
        return None, [f"the answer is not valid JSON: {exc}"]
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    return data, [f"at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:10]]


def _schema_instruction(schema: dict[str, Any]) -> str:
    return ("Answer with only a JSON value that satisfies this JSON Schema, without prose or code fences:\n"
            + json.dumps(schema, ensure_ascii=False))

