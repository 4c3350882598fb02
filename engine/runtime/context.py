"""What a step's `execute` receives: one typed object, and nothing else of the run.

A step sees its own scope and identity, the workflow's defaults, the services it may use
(store, secrets, connections, files, sandbox, senders) and a few ways back into the run:
evaluate, reply, count usage, emit an event, run a nested block, suspend for a person.
It never sees the executor: `RunHandle` is the narrow part of the run a context talks to.
"""

from __future__ import annotations

import hashlib
from collections import ChainMap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from ..errors import StepStatus, Suspended
from . import evaluate
from .events import Event, Listener
from .result import StepRecord
from .services import Services

if TYPE_CHECKING:
    from ..language.common import Defaults
    from ..steps.base import Step


class RunHandle(Protocol):
    """The part of a run its steps may call back into (the executor implements it)."""

    run_id: str
    workflow_name: str
    defaults: Defaults
    services: Services
    inherited_listeners: list[Listener]

    def emit(self, event: Event) -> None: ...
    def reply(self, text: str, step_id: str) -> None: ...
    def add_usage(self, input_tokens: int, output_tokens: int, cost_usd: float) -> None: ...
    def journaled(self, key: str) -> StepRecord | None: ...
    async def record_waiting(self, record: StepRecord) -> None: ...
    async def run_block(self, steps: list[Step], scope: Mapping[str, Any], prefix: str) -> Any: ...


class StepContext:
    __slots__ = ("_run", "attempt", "key", "scope", "step")

    def __init__(self, run: RunHandle, step: Step, scope: Mapping[str, Any], key: str, attempt: int):
        self._run = run
        self.step = step
        self.scope = scope
        self.key = key
        """The step execution's journal key: its id, prefixed by enclosing iterations (`each[3]/fetch`)."""
        self.attempt = attempt

    # ---- identity and settings ----------------------------------------------------------

    @property
    def run_id(self) -> str:
        return self._run.run_id

    @property
    def workflow_name(self) -> str:
        return self._run.workflow_name

    @property
    def defaults(self) -> Defaults:
        return self._run.defaults

    @property
    def services(self) -> Services:
        return self._run.services

    @property
    def trigger(self) -> Mapping[str, Any]:
        return self.scope["trigger"]

    @property
    def inherited_listeners(self) -> list[Listener]:
        """Listeners a child run (a `workflow` step) reports to as well."""
        return self._run.inherited_listeners

    def timeout(self, fallback: float) -> float:
        """The step's per-attempt time limit: its own, the workflow's default, else `fallback`."""
        return self.step.timeout or self.defaults.timeout or fallback

    def previous(self) -> StepRecord | None:
        """What an earlier execution of this step journaled (a waiting approval's request)."""
        return self._run.journaled(self.key)

    def idempotency_key(self) -> str:
        """Identical for every attempt and every resume of this step execution."""
        return hashlib.sha256(f"{self.run_id}:{self.key}".encode()).hexdigest()[:32]

    # ---- expressions --------------------------------------------------------------------

    def render(self, value: Any) -> Any:
        return evaluate.render(value, self.scope)

    def expression(self, text: Any) -> Any:
        return evaluate.expression(text, self.scope)

    def expression_in(self, text: Any, scope: Mapping[str, Any]) -> Any:
        return evaluate.expression(text, scope)

    def child_scope(self, **names: Any) -> dict[str, Any]:
        """A scope for a nested iteration: its own step results over the enclosing ones."""
        return {**self.scope, **names, "steps": ChainMap({}, self.scope["steps"])}

    # ---- back into the run --------------------------------------------------------------

    async def run_block(self, steps: list[Step], scope: Mapping[str, Any] | None = None,
                        prefix: str | None = None) -> Any:
        return await self._run.run_block(steps, scope if scope is not None else self.scope,
                                         self.key_prefix() if prefix is None else prefix)

    def key_prefix(self) -> str:
        """Journal keys of steps nested in this one share the enclosing iteration's prefix."""
        return self.key[: len(self.key) - len(self.step.id)]

    def reply(self, text: str) -> None:
        self._run.reply(text, self.step.id)

    def add_usage(self, input_tokens: int, output_tokens: int, cost_usd: float) -> None:
        """Count model usage against the run's limits; raises a fatal StepError past one."""
        self._run.add_usage(input_tokens, output_tokens, cost_usd)

    def emit(self, event: Event) -> None:
        self._run.emit(event)

    async def suspend(self, request: Any, event: Event, reason: str) -> NoReturn:
        """Journal this step as `waiting` with `request`, announce `event`, and end the run for now;
        it resumes from the journal once the answer is recorded."""
        record = StepRecord(self.key, self.step.id, self.step.type, StepStatus.WAITING, request, attempts=0)
        await self._run.record_waiting(record)
        self.emit(event)
        raise Suspended(reason)
