"""What a step's `execute` receives: its scope, its identity, and ways back into the run."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import evaluate

if TYPE_CHECKING:
    from ..steps.base import Step
    from .executor import Execution


class StepContext:
    __slots__ = ("attempt", "execution", "key", "scope", "step")

    def __init__(self, execution: Execution, step: Step, scope: Mapping[str, Any], key: str, attempt: int):
        self.execution = execution
        self.step = step
        self.scope = scope
        self.key = key
        self.attempt = attempt

    @property
    def services(self):
        return self.execution.services

    @property
    def run_id(self) -> str:
        return self.execution.run_id

    def render(self, value: Any) -> Any:
        return evaluate.render(value, self.scope)

    def expression(self, text: Any) -> Any:
        return evaluate.expression(text, self.scope)

    def expression_in(self, text: Any, scope: Mapping[str, Any]) -> Any:
        return evaluate.expression(text, scope)

    def child_scope(self, **names: Any) -> dict[str, Any]:
        """A scope for a nested iteration: its own step results over the enclosing ones."""
        return {**self.scope, **names, "steps": ChainMap({}, self.scope["steps"])}

    async def run_block(self, steps: list[Step], scope: Mapping[str, Any] | None = None,
                        prefix: str | None = None) -> Any:
        return await self.execution.run_block(steps, scope if scope is not None else self.scope,
                                              self.key_prefix() if prefix is None else prefix)

    def key_prefix(self) -> str:
        """Journal keys of steps nested in this one share the enclosing iteration's prefix."""
        return self.key[: len(self.key) - len(self.step.id)]

    def reply(self, text: str) -> None:
        self.execution.reply(text, self.step.id)

    def add_usage(self, input_tokens: int, output_tokens: int, cost_usd: float) -> None:
        self.execution.add_usage(input_tokens, output_tokens, cost_usd)

    def idempotency_key(self) -> str:
        """Identical for every attempt and every resume of this step execution."""
        import hashlib

        return hashlib.sha256(f"{self.run_id}:{self.key}".encode()).hexdigest()[:32]
