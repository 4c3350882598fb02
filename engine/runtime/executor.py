"""Running a workflow: steps in order, each journaled before the next one starts.

A run is replayed from its journal on resume: control flow is evaluated again, and
every step execution whose result is in the journal is not executed again, its
result is used instead. Journal keys name an execution uniquely: the step id,
prefixed by the iterations that enclose it (`each[3]/fetch`).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..errors import NOT_RETRIED, ErrorKind, LoomError, RunFailed, RunStatus, StepError, StepStatus, Suspended
from ..language.base import format_duration
from ..language.common import RetryPolicy
from ..language.workflow import Workflow
from ..steps.base import Step
from . import evaluate, preflight
from .context import StepContext
from .events import Event, Listener, Reply, RunFinished, RunStarted, StepFinished, StepStarted
from .result import RunResult, StepRecord, Usage
from .scrub import Scrubber
from .services import Services

_NO_RETRY = RetryPolicy()
YIELD_EVERY_S = 0.02
_FATAL_KINDS = frozenset({ErrorKind.LIMIT, ErrorKind.FAIL, ErrorKind.MISSING})


class Execution:
    """One run of one workflow. Implements `context.RunHandle`, all that its steps see of it.

    Everything the run writes or says (journal records, events, errors, replies, outputs) has
    every known secret value masked first: a step's output that echoes a token never reaches
    the store, the UI or a trace."""

    def __init__(self, workflow: Workflow, services: Services, *, run_id: str | None = None,
                 inputs: Mapping[str, Any] | None = None, trigger: Mapping[str, Any] | None = None,
                 journal: dict[str, StepRecord] | None = None, listeners: list[Listener] | None = None,
                 started_at: str | None = None, recorded_running: bool = False):
        self.workflow = workflow
        self.workflow_name = workflow.name
        self.defaults = workflow.defaults
        self.services = services
        self.run_id = run_id or uuid.uuid4().hex
        self.inputs = dict(inputs or {})
        self.trigger = {"channel": "cli", "user": None, "chat_id": None, "text": None, **(trigger or {})}
        self.journal = journal or {}
        self.listeners = listeners or []
        self.started_at = started_at or datetime.now(UTC).isoformat()
        self.result = RunResult(self.run_id, workflow.name, RunStatus.RUNNING)
        self.usage: Usage = self.result.usage
        self.executed = 0
        self.store = services.store
        self.cancel_reason: str | None = None
        self.recorded_running = recorded_running
        """The caller stored the run as `running` already: no separate write is needed to say so."""
        self.inherited_listeners: list[Listener] = []
        """Listeners that child runs (`workflow` steps) report to as well: the server's tracer, say."""
        self._yielded_at = time.monotonic()
        self.scrub = Scrubber(())
        """Masks every secret value; built when the run starts (the vault may have changed since)."""

    # ---- events -------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def reply(self, text: str, step_id: str) -> None:
        text = self.scrub.text(text)
        self.result.replies.append(text)
        self.emit(Reply(self.run_id, text, step_id))

    # ---- the journal --------------------------------------------------------------------

    def journaled(self, key: str) -> StepRecord | None:
        return self.journal.get(key)

    async def record_waiting(self, record: StepRecord) -> None:
        await self.store.save_step(self.run_id, self._scrubbed(record))

    def _scrubbed(self, record: StepRecord) -> StepRecord:
        if self.scrub:
            record.output = self.scrub(record.output)
            record.error = self.scrub(record.error) if record.error is not None else None
        return record

    # ---- the run ------------------------------------------------------------------------

    def root_scope(self) -> dict[str, Any]:
        steps = {record.key: record.state() for record in self.journal.values() if "/" not in record.key}
        # Only the secrets this workflow names are read: a vault decrypts on access.
        found = {name: self.services.secret(name) for name in preflight.requirements(self.workflow).secrets}
        named = {name: value for name, value in found.items() if value is not None}
        return {
            "inputs": self.inputs,
            "trigger": self.trigger,
            "run": {"id": self.run_id, "workflow": self.workflow.name, "started_at": self.started_at},
            "steps": steps,
            "secrets": named,
        }

    async def run(self) -> RunResult:
        self.emit(RunStarted(self.run_id, self.workflow.name, self.inputs, resumed=bool(self.journal)))
        if not self.recorded_running:
            await self.store.mark_running(self.run_id)
        scope: dict[str, Any] = {}
        try:
            scope = self._prepare()
            timeout = self.workflow.limits.timeout
            async with asyncio.timeout(timeout):
                await self.run_block(self.workflow.steps, scope, "")
            self.result.outputs = self.scrub(self._outputs(scope)) if self.scrub else self._outputs(scope)
            self.result.status = RunStatus.SUCCEEDED
        except Suspended:
            self.result.status = RunStatus.WAITING
        except RunFailed as exc:
            await self._fail(exc.error, scope)
        except TimeoutError:
            limit = format_duration(self.workflow.limits.timeout or 0)
            await self._fail(StepError(f"the run exceeded its time limit of {limit}", ErrorKind.LIMIT), scope)
        except asyncio.CancelledError:
            if self.cancel_reason is None:
                raise  # the process is stopping: the run stays `running`, to be resumed at the next start
            self.result.status = RunStatus.CANCELLED
            self.result.error = StepError(self.cancel_reason, ErrorKind.CANCELLED).to_dict()
        await self.store.finish_run(self.run_id, self.result)
        self.emit(RunFinished(self.run_id, self.result.status, self.result.outputs, self.result.error))
        return self.result

    def _prepare(self) -> dict[str, Any]:
        """The run's scope and scrubber, once its secrets and connections are known to be there."""
        try:
            self.scrub = Scrubber(self.services.secret_values())
            scope = self.root_scope()
        except LoomError as exc:  # the vault cannot be read (a wrong key): no step can run
            raise RunFailed(StepError(f"the run cannot start: {exc}", ErrorKind.MISSING)) from None
        self._preflight()
        return scope

    def _preflight(self) -> None:
        if self.services.testing or self.journal:
            return  # tests mock their steps; a resumed run was checked when it started
        missing = preflight.missing(self.workflow, self.services)
        if missing:
            message = "; ".join(m.message for m in missing)
            raise RunFailed(StepError(f"the run cannot start: {message}", ErrorKind.MISSING, step=missing[0].step))

    async def _fail(self, error: StepError, scope: dict[str, Any]) -> None:
        self.result.status = RunStatus.FAILED
        self.result.error = self.scrub(error.to_dict())
        if self.workflow.on_error and error.kind != ErrorKind.MISSING:
            handler_scope = {**scope, "error": dict(self.result.error)}
            try:
                await self.run_block(self.workflow.on_error, handler_scope, "on_error/")
            except (RunFailed, Suspended) as exc:
                if isinstance(exc, RunFailed):
                    self.result.error["handler_error"] = exc.error.message

    def _outputs(self, scope: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return {name: evaluate.render(value, scope) for name, value in self.workflow.outputs.items()}
        except StepError as exc:
            raise RunFailed(StepError(f"outputs: {exc.message}", exc.kind)) from None

    # ---- blocks and steps ---------------------------------------------------------------

    async def run_block(self, steps: list[Step], scope: Mapping[str, Any], prefix: str) -> Any:
        last = None
        for step in steps:
            record = await self.run_step(step, scope, prefix)
            if record.status != StepStatus.SKIPPED:
                last = record.output
        return last

    async def run_step(self, step: Step, scope: Mapping[str, Any], prefix: str) -> StepRecord:
        key = prefix + step.id
        record = self.journal.get(key)
        if record is None or record.status == StepStatus.WAITING:
            record = await self._execute(step, scope, key)
        scope["steps"][step.id] = record.state()
        self.result.steps.append(record)
        if record.status == StepStatus.FAILED and record.error and record.error.get("fatal"):
            raise RunFailed(StepError(record.error["message"], record.error["type"], step=step.id))
        await self._share_the_loop()
        return record

    async def _share_the_loop(self) -> None:
        """Give other runs, requests and the run's own time limit a turn once a run has computed
        for a while without awaiting anything (steps that only evaluate expressions never do)."""
        now = time.monotonic()
        if now - self._yielded_at >= YIELD_EVERY_S:
            self._yielded_at = now
            await asyncio.sleep(0)

    async def _execute(self, step: Step, scope: Mapping[str, Any], key: str) -> StepRecord:
        if step.when is not None and not evaluate.truthy(self._guard(step, scope)):
            return await self._finish(StepRecord(key, step.id, step.type, StepStatus.SKIPPED, attempts=0))
        self._count_step(step)
        started = time.perf_counter()
        usage_before = (self.usage.input_tokens, self.usage.output_tokens, self.usage.cost_usd)
        try:
            output, attempts = await self._attempts(step, scope, key)
            record = StepRecord(key, step.id, step.type, StepStatus.SUCCEEDED, output, attempts=attempts)
        except StepError as error:
            error.step = error.step or step.id
            record = await self._on_error(step, scope, key, error)
        record.duration_ms = (time.perf_counter() - started) * 1000
        record.usage = {"input_tokens": self.usage.input_tokens - usage_before[0],
                        "output_tokens": self.usage.output_tokens - usage_before[1]}
        record.cost_usd = self.usage.cost_usd - usage_before[2]
        return await self._finish(record)

    def _guard(self, step: Step, scope: Mapping[str, Any]) -> Any:
        try:
            return evaluate.expression(step.when or "true", scope)
        except StepError as exc:
            raise RunFailed(StepError(f"`when` of step '{step.id}': {exc.message}", exc.kind, step=step.id)) from None

    def _count_step(self, step: Step) -> None:
        self.executed += 1
        limit = self.workflow.limits.max_steps
        if limit is not None and self.executed > limit:
            raise RunFailed(StepError(f"the run exceeded its limit of {limit} step executions", ErrorKind.LIMIT,
                                      step=step.id))

    async def _attempts(self, step: Step, scope: Mapping[str, Any], key: str) -> tuple[Any, int]:
        policy = step.retry or self.workflow.defaults.retry or _NO_RETRY
        timeout = step.timeout if step.timeout is not None else self.workflow.defaults.timeout
        mocks = self.services.mocks
        attempt = 1
        while True:
            self.emit(StepStarted(self.run_id, step.id, key, step.type, attempt))
            try:
                if mocks is not None and step.id in mocks:
                    return _mocked(mocks[step.id]), attempt
                if self.services.testing and step.external:
                    raise _Fatal(f"step '{step.id}' ({step.type}) is not mocked; tests never reach the network: "
                                 f"add `{step.id}` to the test's `mocks`", ErrorKind.UNMOCKED)
                context = StepContext(self, step, scope, key, attempt)
                if timeout is None or step.own_timeout:
                    return await step.execute(context), attempt
                try:
                    async with asyncio.timeout(timeout):
                        return await step.execute(context), attempt
                except TimeoutError:
                    raise StepError(f"step '{step.id}' timed out after {format_duration(timeout)}",
                                    ErrorKind.TIMEOUT) from None
            except StepError as error:
                if attempt >= policy.max_attempts or not _retryable(error, policy):
                    error.attempts = attempt
                    raise
                await asyncio.sleep(_delay(policy, attempt, error.retry_after))
                attempt += 1

    async def _on_error(self, step: Step, scope: Mapping[str, Any], key: str, error: StepError) -> StepRecord:
        failed = self._scrubbed(StepRecord(key, step.id, step.type, StepStatus.FAILED, None, error.to_dict(),
                                           attempts=error.attempts))
        assert failed.error is not None
        if error.kind in _FATAL_KINDS or step.on_error == "fail" or isinstance(error, _Fatal):
            failed.error["fatal"] = True
            return failed
        if isinstance(step.on_error, list):
            handler_scope = {**scope, "error": dict(failed.error)}
            await self.run_block(step.on_error, handler_scope, f"{key}/on_error/")
        return failed

    async def _finish(self, record: StepRecord) -> StepRecord:
        self._scrubbed(record)
        await self.store.save_step(self.run_id, record)
        self.emit(StepFinished(self.run_id, record.step_id, record.key, record.type, record.status,
                               record.attempts, record.duration_ms, record.output, record.error,
                               record.usage, record.cost_usd))
        return record

    # ---- accounting ---------------------------------------------------------------------

    def add_usage(self, input_tokens: int, output_tokens: int, cost_usd: float) -> None:
        self.usage.add(input_tokens, output_tokens, cost_usd)
        limits = self.workflow.limits
        if limits.max_tokens is not None and self.usage.tokens > limits.max_tokens:
            raise _Fatal(f"the run used {self.usage.tokens} tokens; its limit is {limits.max_tokens}", ErrorKind.LIMIT)
        if limits.max_cost_usd is not None and self.usage.cost_usd > limits.max_cost_usd:
            raise _Fatal(f"the run cost ${self.usage.cost_usd:.4f}; its limit is ${limits.max_cost_usd:g}",
                         ErrorKind.LIMIT)


class _Fatal(StepError):
    """A step error that no retry or on_error policy may swallow (a run limit)."""


def _mocked(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"error"}:
        raise StepError(str(value["error"]), ErrorKind.MOCKED)
    return value


def _retryable(error: StepError, policy: RetryPolicy) -> bool:
    if isinstance(error, _Fatal) or error.kind in NOT_RETRIED:
        return False
    classes = set(policy.on)
    if "any" in classes:
        return True
    if error.kind == "http_429":
        return bool(classes & {"http_429", "rate_limit"})
    return error.kind in classes


def _delay(policy: RetryPolicy, attempt: int, retry_after: float | None) -> float:
    delay = policy.delay if policy.backoff == "constant" else policy.delay * 2 ** (attempt - 1)
    delay = min(delay, policy.max_delay)
    if policy.jitter:
        delay *= random.uniform(0.5, 1.0)
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.max_delay))
    return delay
