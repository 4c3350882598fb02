"""A run's events, turned into the spans of its trace (plain data; `export` writes them to MLflow).

Built after the run has finished, from events stamped with the time they arrived, so the
run itself only appended to a list. Every value is scrubbed of secrets here, before any
of it can reach a span.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..runtime.events import ApprovalRequested, Event, Reply, RunFinished, RunStarted, StepFinished, StepStarted
from ..runtime.scrub import Scrubber
from .nesting import ROOT, Structure, place

MAX_TEXT = 20_000
"""Longest string kept in a span; a page body or a long answer is cut, not dropped."""

CHAT_USAGE = "mlflow.chat.tokenUsage"
LLM_COST = "mlflow.llm.cost"
MODEL = "mlflow.llm.model"
PROVIDER = "mlflow.llm.provider"

_SPAN_TYPES = {
    "llm": "CHAT_MODEL", "http": "TOOL", "send": "TOOL", "email": "TOOL", "sql": "TOOL", "code": "TOOL",
    "file": "TOOL", "workflow": "WORKFLOW", "if": "CHAIN", "switch": "CHAIN", "for_each": "CHAIN",
    "parallel": "CHAIN", "loop": "CHAIN",
}


@dataclass(slots=True)
class SpanPlan:
    key: str
    name: str
    span_type: str
    start_ns: int
    parent: str | None = ROOT
    end_ns: int | None = None
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    events: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TracePlan:
    run_id: str
    workflow: str
    status: str
    spans: dict[str, SpanPlan]
    tags: dict[str, str]

    @property
    def root(self) -> SpanPlan:
        return self.spans[ROOT]


def plan(events: Iterable[tuple[int, Event]], structure: Structure | None, scrub: Scrubber) -> TracePlan | None:
    """The trace of one run (or one resumed stretch of it); None if the events never saw it start."""
    builder = _Builder(structure, scrub)
    for stamp, event in events:
        builder.add(stamp, event)
    return builder.finish()


class _Builder:
    def __init__(self, structure: Structure | None, scrub: Scrubber) -> None:
        self.structure, self.scrub = structure, scrub
        self.spans: dict[str, SpanPlan] = {}
        self.started: RunStarted | None = None
        self.finished: RunFinished | None = None

    def add(self, stamp: int, event: Event) -> None:
        if isinstance(event, StepStarted):
            self._step_started(stamp, event)
        elif isinstance(event, StepFinished):
            self._step_finished(stamp, event)
        elif isinstance(event, RunStarted):
            self.started = event
            self.spans[ROOT] = SpanPlan(ROOT, event.workflow, "WORKFLOW", stamp, None,
                                        inputs=self.scrub(event.inputs),
                                        attributes={"loom.run_id": event.run_id, "loom.resumed": event.resumed})
        elif isinstance(event, RunFinished):
            self._run_finished(stamp, event)
        elif isinstance(event, Reply) and ROOT in self.spans:
            self.spans[ROOT].events.append(("reply", stamp, {"step": event.step_id, "text": self.scrub(event.text)}))
        elif isinstance(event, ApprovalRequested) and event.key in self.spans:
            self.spans[event.key].events.append(("approval_requested", stamp, {
                "message": self.scrub(event.message), "approvers": ", ".join(event.approvers)}))

    def _step_started(self, stamp: int, event: StepStarted) -> None:
        span = self.spans.get(event.key)
        if span is None:
            self._open(event.key, event.step_id, event.type, stamp)
        else:
            span.events.append(("retry", stamp, {"attempt": event.attempt}))

    def _step_finished(self, stamp: int, event: StepFinished) -> None:
        span = self.spans.get(event.key) or self._open(event.key, event.step_id, event.type, stamp)
        span.end_ns = stamp
        span.outputs = self.scrub(event.output)
        span.attributes.update({"loom.status": event.status, "loom.attempts": event.attempts,
                                "loom.duration_ms": round(event.duration_ms, 3)})
        if event.status == "failed":
            span.error = self.scrub(event.error or {"message": "failed", "type": "error"})
        if event.type == "llm":
            span.attributes.update(_llm_attributes(event))
        elif event.type == "http" and isinstance(event.output, dict):
            span.attributes.update({"http.status_code": event.output.get("status"),
                                    "http.elapsed_ms": event.output.get("elapsed_ms")})

    def _open(self, key: str, step_id: str, step_type: str, stamp: int) -> SpanPlan:
        where = place(key, step_id, self.structure)
        parent = where.parent if where.parent in self.spans else ROOT
        if where.group is not None:
            group = self.spans.get(where.group)
            if group is None:
                group = self.spans[where.group] = SpanPlan(where.group, where.group_name or where.group, "CHAIN",
                                                           stamp, parent)
                self.spans[parent].children.append(where.group)
            parent = where.group
        span = self.spans[key] = SpanPlan(key, step_id, _SPAN_TYPES.get(step_type, "TASK"), stamp, parent,
                                          attributes={"loom.key": key, "loom.step_type": step_type})
        self.spans[parent].children.append(key)
        return span

    def _run_finished(self, stamp: int, event: RunFinished) -> None:
        self.finished = event
        root = self.spans.get(ROOT)
        if root is None:
            return
        root.end_ns = stamp
        root.outputs = self.scrub(event.outputs)
        root.attributes["loom.status"] = event.status
        if event.status in ("failed", "cancelled"):
            root.error = self.scrub(event.error or {"message": event.status, "type": event.status})
        for span in self.spans.values():
            if span.end_ns is None and "loom.step_type" in span.attributes:
                self._cut_short(span, stamp, event)

    def _cut_short(self, span: SpanPlan, stamp: int, event: RunFinished) -> None:
        """A step the run left without finishing: the failure of a step inside it, a wait, a cancel."""
        span.end_ns = stamp
        span.attributes["loom.status"] = "waiting" if event.status == "waiting" else "stopped"
        if event.status in ("failed", "cancelled"):
            span.error = self.scrub(event.error or {"message": event.status, "type": event.status})

    def finish(self) -> TracePlan | None:
        if self.started is None or ROOT not in self.spans:
            return None
        root = self.spans[ROOT]
        if root.end_ns is None:  # the events stopped before the run ended (the process is stopping)
            root.end_ns = max((s.end_ns or s.start_ns for s in self.spans.values()), default=root.start_ns)
            root.attributes["loom.status"] = "interrupted"
        _close_groups(self.spans, ROOT)
        status = root.attributes["loom.status"]
        tags = {"run_id": self.started.run_id, "workflow": self.started.workflow, "status": status}
        return TracePlan(self.started.run_id, self.started.workflow, status, self.spans, tags)


def _close_groups(spans: dict[str, SpanPlan], key: str) -> tuple[int, int]:
    """Groups (iterations, branches) span their children; a span never ends before its children."""
    span = spans[key]
    for child in span.children:
        start, end = _close_groups(spans, child)
        span.start_ns = min(span.start_ns, start)
        span.end_ns = max(span.end_ns or end, end)
    if span.end_ns is None:
        span.end_ns = span.start_ns
    return span.start_ns, span.end_ns


def _llm_attributes(event: StepFinished) -> dict[str, Any]:
    output = event.output if isinstance(event.output, dict) else {}
    model = output.get("model")
    usage = event.usage or output.get("usage") or {}
    tokens_in, tokens_out = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    attributes: dict[str, Any] = {
        CHAT_USAGE: {"input_tokens": tokens_in, "output_tokens": tokens_out, "total_tokens": tokens_in + tokens_out},
        LLM_COST: _cost(model, tokens_in, tokens_out, event.cost_usd),
    }
    if model:
        attributes[MODEL] = model
        if "/" in model:
            attributes[PROVIDER] = model.split("/", 1)[0]
    return attributes


def _cost(model: str | None, tokens_in: int, tokens_out: int, total: float) -> dict[str, float]:
    """The run's own cost of the step, split into input and output as LiteLLM's price map does.

    The total is what the run accounted (so MLflow's roll-up equals the run's); LiteLLM is asked
    only for the split, and only if the run already imported it (the import takes seconds).
    """
    split_in, split_out = float(tokens_in), float(tokens_out)
    litellm = sys.modules.get("litellm")
    if total and model and litellm is not None:
        # A model missing from the price map raises a plain Exception: split by tokens instead.
        with contextlib.suppress(Exception):
            split_in, split_out = litellm.cost_per_token(model=model, prompt_tokens=tokens_in,
                                                         completion_tokens=tokens_out)
    whole = split_in + split_out
    input_cost = total * split_in / whole if whole else total
    return {"input_cost": input_cost, "output_cost": total - input_cost, "total_cost": total}
