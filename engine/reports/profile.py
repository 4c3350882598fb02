"""A workflow's performance profile from its finished runs: where the time goes, and what fails.

Per step: p50 and p95 duration over its executions, retry rate (executions that needed
more than one attempt) and failure rate. Per run: its time along the critical path
(`critical_path.py`). The bottleneck is the step with the largest part of the slow runs'
time, the runs at or above the p95 run time, so a step that is slow only sometimes but
then dominates is found too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from ..runtime.store.migrations import upgrade
from ..runtime.store.tables import runs, steps
from .critical_path import critical_path
from .sources import workflow_of
from .stats import format_ms, percentile
from .window import ALL_TIME, Window

FINISHED = ("succeeded", "failed")


@dataclass
class StepProfile:
    step_id: str
    type: str
    executions: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    retry_rate: float = 0.0
    failure_rate: float = 0.0
    share_of_p95: float = 0.0
    """Part of the slow runs' critical-path time spent in this step, 0..1."""
    model: str | None = None
    model_p95_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step_id, "type": self.type, "executions": self.executions,
                "p50_ms": round(self.p50_ms, 3), "p95_ms": round(self.p95_ms, 3),
                "retry_rate": round(self.retry_rate, 4), "failure_rate": round(self.failure_rate, 4),
                "share_of_p95": round(self.share_of_p95, 4), "model": self.model,
                "model_p95_ms": None if self.model_p95_ms is None else round(self.model_p95_ms, 3)}


@dataclass
class Profile:
    workflow: str
    window: Window
    runs: int = 0
    succeeded: int = 0
    failed: int = 0
    run_p50_ms: float = 0.0
    run_p95_ms: float = 0.0
    steps: list[StepProfile] = field(default_factory=list)
    """Largest share of p95 run time first."""
    bottleneck: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"workflow": self.workflow, **self.window.to_dict(), "runs": self.runs, "succeeded": self.succeeded,
                "failed": self.failed, "success_rate": round(self.succeeded / self.runs, 4) if self.runs else None,
                "run_p50_ms": round(self.run_p50_ms, 3), "run_p95_ms": round(self.run_p95_ms, 3),
                "bottleneck": self.bottleneck, "note": self.note, "steps": [s.to_dict() for s in self.steps]}


@dataclass(slots=True)
class _Execution:
    status: str
    duration_ms: float


def profile(engine: Engine, workflow: str, *, window: Window = ALL_TIME, limit: int = 200) -> Profile:
    """The profile of `workflow` over its newest `limit` finished runs in `window`."""
    upgrade(engine)
    chosen = (select(runs.c.run_id, runs.c.status, runs.c.source)
              .where(runs.c.workflow == workflow, runs.c.status.in_(FINISHED), *window.clauses(runs.c.started_at))
              .order_by(runs.c.started_at.desc()).limit(max(1, limit)).subquery())
    query = (select(chosen.c.run_id, chosen.c.status, chosen.c.source, steps.c.key, steps.c.step_id,
                    steps.c.type, steps.c.status, steps.c.attempts, steps.c.duration_ms,
                    steps.c.output["model"].as_string())
             .select_from(chosen.outerjoin(steps, steps.c.run_id == chosen.c.run_id)))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return _build(workflow, window, rows)


def _build(name: str, window: Window, rows: Sequence[Any]) -> Profile:
    journals: dict[str, dict[str, _Execution]] = defaultdict(dict)
    run_info: dict[str, tuple[str, str]] = {}
    executions: dict[str, list[tuple]] = defaultdict(list)
    for run_id, run_status, source, key, step_id, step_type, status, attempts, duration, model in rows:
        run_info[run_id] = (run_status, source)
        if key is None:  # a run that finished before any step ran
            continue
        journals[run_id][key] = _Execution(status, duration)
        if status in FINISHED:
            executions[step_id].append((step_type, status, attempts, duration, model))
    result = Profile(name, window, runs=len(run_info),
                     succeeded=sum(status == "succeeded" for status, _ in run_info.values()),
                     failed=sum(status == "failed" for status, _ in run_info.values()))
    if not run_info:
        result.note = f"No finished runs of `{name}` yet: run it to see where its time goes."
        return result
    paths = {run_id: critical_path(workflow_of(source), journals[run_id])
             for run_id, (_, source) in run_info.items()}
    totals = [total for total, _ in paths.values()]
    result.run_p50_ms, result.run_p95_ms = percentile(totals, 50), percentile(totals, 95)
    shares = _tail_shares(paths.values(), result.run_p95_ms)
    result.steps = sorted((_step_profile(step_id, found, shares.get(step_id, 0.0))
                           for step_id, found in executions.items()),
                          key=lambda s: (-s.share_of_p95, -s.p95_ms, s.step_id))
    if result.steps and result.steps[0].share_of_p95 > 0:
        result.bottleneck = result.steps[0].step_id
    result.note = _note(result)
    return result


def _tail_shares(paths: Any, threshold_ms: float) -> dict[str, float]:
    """Each step's part of the time of the runs at or above the p95 run time."""
    tail = [(total, parts) for total, parts in paths if total >= threshold_ms and total > 0]
    spent = sum(total for total, _ in tail)
    if not spent:
        return {}
    summed: Counter[str] = Counter()
    for _, parts in tail:
        summed.update(parts)
    return {step_id: ms / spent for step_id, ms in summed.items()}


def _step_profile(step_id: str, found: list[tuple], share: float) -> StepProfile:
    durations = [duration for _, _, _, duration, _ in found]
    models = Counter(model for *_, model in found if model)
    model = models.most_common(1)[0][0] if models else None
    model_durations = [duration for *_, duration, m in found if m == model] if model else []
    return StepProfile(
        step_id, found[0][0], len(found), percentile(durations, 50), percentile(durations, 95),
        retry_rate=sum(attempts > 1 for _, _, attempts, _, _ in found) / len(found),
        failure_rate=sum(status == "failed" for _, status, _, _, _ in found) / len(found),
        share_of_p95=share, model=model,
        model_p95_ms=percentile(model_durations, 95) if model_durations else None)


def _note(result: Profile) -> str:
    """One or two sentences a person can act on."""
    runs = f"{result.runs} finished run{'s' if result.runs != 1 else ''}"
    if result.bottleneck is None:
        return f"From {runs}: no step took measurable time."
    step = result.steps[0]
    sentence = (f"`{step.step_id}` accounts for {step.share_of_p95:.0%} of p95 run time "
                f"({format_ms(result.run_p95_ms)})")
    if step.model and step.model_p95_ms is not None:
        sentence += f"; its model's ({step.model}) p95 latency is {format_ms(step.model_p95_ms)}"
    elif step.type == "wait":
        sentence += f"; it is a `wait` step (p95 {format_ms(step.p95_ms)}): shorten the wait if nothing needs it"
    elif step.type == "http":
        sentence += f"; its p95 response time is {format_ms(step.p95_ms)}"
    else:
        sentence += f"; its p95 duration is {format_ms(step.p95_ms)}"
    extras = []
    if step.retry_rate:
        extras.append(f"needed a retry in {step.retry_rate:.0%} of executions")
    if step.failure_rate:
        extras.append(f"failed in {step.failure_rate:.0%} of executions")
    if extras:
        sentence += "; it " + " and ".join(extras)
    flaky = [s for s in result.steps[1:] if s.failure_rate >= 0.1]
    tail = f" `{flaky[0].step_id}` fails in {flaky[0].failure_rate:.0%} of executions." if flaky else ""
    return f"{sentence} (from {runs}).{tail}"
