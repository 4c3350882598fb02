"""Model calls made outside runs (the chat builder's), traced per session and turn.

    @traced_model_call                 # on the one function that asks the model
    async def complete(model, messages, **params): ...   # returns an answer with .text and .usage

    async with traced_turn("builder turn", session=session_id, inputs={"request": text}) as turn:
        ...                            # each call inside is a child span: call 1, call 2 (a repair), ...
        turn.outputs = {"valid": True}

Nothing is recorded until `enable_call_tracing(tracking)` (the server's tracing component
and `loom eval` do it); until then both are free. Each turn, or each call made outside a
turn, becomes one trace in the builder experiment, written in the background.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ..runtime.scrub import Scrubber
from .export import export
from .nesting import ROOT
from .plan import CHAT_USAGE, LLM_COST, MAX_TEXT, MODEL, PROVIDER, SpanPlan, TracePlan
from .tracking import BUILDER, Tracking
from .writer import Writer


@dataclass(slots=True)
class _Call:
    model: str
    messages: list[dict[str, Any]]
    start_ns: int
    end_ns: int = 0
    text: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    error: dict[str, str] | None = None


@dataclass(slots=True)
class Turn:
    """One request and the model calls that answered it; set `outputs` to what came of it."""

    name: str
    session: str | None
    inputs: Any
    start_ns: int
    end_ns: int = 0
    calls: list[_Call] = field(default_factory=list)
    outputs: Any = None
    error: dict[str, str] | None = None


class _CallTracer:
    def __init__(self, tracking: Tracking, experiment: str) -> None:
        self.tracking, self.experiment = tracking, experiment
        self.writer = Writer("loomwork-call-tracer")

    def submit(self, turn: Turn) -> None:
        self.writer.submit(functools.partial(self._write, turn))

    def _write(self, turn: Turn) -> bool:
        from ..runtime.services import env_secrets

        self.tracking.connect()
        scrub = Scrubber(env_secrets().values(), MAX_TEXT)
        metadata = {"mlflow.trace.session": scrub.text(turn.session)} if turn.session else None
        export(_plan(turn, scrub), self.tracking.experiment(self.experiment), self.tracking.uri,
               metadata=metadata)
        return True


_tracer: _CallTracer | None = None
_turn: ContextVar[Turn | None] = ContextVar("loomwork_turn", default=None)


def enable_call_tracing(tracking: Tracking, experiment: str = BUILDER) -> Writer:
    """Trace model calls from now on; returns the writer, to `flush()` or `close()`."""
    global _tracer
    _tracer = _CallTracer(tracking, experiment)
    return _tracer.writer


def disable_call_tracing() -> None:
    """Stop tracing model calls, after writing what is pending."""
    global _tracer
    tracer, _tracer = _tracer, None
    if tracer is not None:
        tracer.writer.close()


def traced_model_call(complete: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap `async complete(model, messages, ...)`; its answer's `.text` and `.usage` are recorded."""

    @functools.wraps(complete)
    async def traced(model: str, messages: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        tracer = _tracer
        if tracer is None:
            return await complete(model, messages, *args, **kwargs)
        call = _Call(model, [dict(m) for m in messages], time.time_ns())
        try:
            answer = await complete(model, messages, *args, **kwargs)
            call.text = getattr(answer, "text", None)
            call.usage = dict(getattr(answer, "usage", None) or {})
            return answer
        except Exception as exc:
            call.error = {"type": type(exc).__name__, "message": str(exc)}
            raise
        finally:
            call.end_ns = time.time_ns()
            _record(tracer, call)

    return traced


def _record(tracer: _CallTracer, call: _Call) -> None:
    turn = _turn.get()
    if turn is not None:
        turn.calls.append(call)
    else:  # a call outside any turn is a trace of its own
        tracer.submit(Turn(f"{call.model} call", None, None, call.start_ns, call.end_ns, [call]))


@contextlib.asynccontextmanager
async def traced_turn(name: str, *, session: str | None = None, inputs: Any = None) -> AsyncIterator[Turn]:
    """Group the model calls made inside into one trace (for the builder: one per turn, per session)."""
    turn = Turn(name, session, inputs, time.time_ns())
    tracer = _tracer
    outer = _turn.get()
    if outer is not None:  # already inside a turn (an evaluation around the builder): that trace holds it
        yield outer
        return
    if tracer is None:
        yield turn
        return
    token = _turn.set(turn)
    try:
        yield turn
    except Exception as exc:
        turn.error = {"type": type(exc).__name__, "message": str(exc)}
        raise
    finally:
        _turn.reset(token)
        turn.end_ns = time.time_ns()
        tracer.submit(turn)


def _plan(turn: Turn, scrub: Scrubber) -> TracePlan:
    single = turn.inputs is None and len(turn.calls) == 1
    spans: dict[str, SpanPlan] = {}
    if not single:
        spans[ROOT] = SpanPlan(ROOT, turn.name, "CHAIN", turn.start_ns, None, turn.end_ns, scrub(turn.inputs),
                               scrub(turn.outputs), {"loom.model_calls": len(turn.calls)}, turn.error)
    for number, call in enumerate(turn.calls, start=1):
        key = ROOT if single else f"call{number}"
        name = f"{call.model} call" if single else f"call {number}" + (" (repair)" if number > 1 else "")
        spans[key] = SpanPlan(key, name, "CHAT_MODEL", call.start_ns, None if single else ROOT, call.end_ns,
                              {"messages": scrub(call.messages)}, scrub(call.text),
                              {**_usage(call), "loom.attempt": number}, scrub(call.error) if call.error else None)
        if not single:
            spans[ROOT].children.append(key)
    tags = {"kind": "builder_turn" if turn.session else "model_call"}
    if turn.session:
        tags["session"] = turn.session
    return TracePlan("", turn.name, "failed" if turn.error else "succeeded", spans, tags)


def _usage(call: _Call) -> dict[str, Any]:
    tokens_in, tokens_out = int(call.usage.get("input_tokens", 0)), int(call.usage.get("output_tokens", 0))
    cost_in = cost_out = 0.0
    litellm = sys.modules.get("litellm")  # the call went through LiteLLM, so it is imported already
    if litellm is not None and (tokens_in or tokens_out):
        with contextlib.suppress(Exception):  # a model missing from LiteLLM's price map costs nothing known
            cost_in, cost_out = litellm.cost_per_token(model=call.model, prompt_tokens=tokens_in,
                                                       completion_tokens=tokens_out)
    attributes: dict[str, Any] = {
        MODEL: call.model,
        CHAT_USAGE: {"input_tokens": tokens_in, "output_tokens": tokens_out, "total_tokens": tokens_in + tokens_out},
        LLM_COST: {"input_cost": cost_in, "output_cost": cost_out, "total_cost": cost_in + cost_out},
    }
    if "/" in call.model:
        attributes[PROVIDER] = call.model.split("/", 1)[0]
    return attributes
