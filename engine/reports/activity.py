"""What the runs did lately, across workflows: runs per day by status, slowest steps, recent failures."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, func, select

from ..runtime.store.migrations import upgrade
from ..runtime.store.tables import runs, steps
from .stats import percentile
from .window import ALL_TIME, Window

_CONTROL_FLOW = ("if", "switch", "for_each", "parallel", "loop", "workflow")


def runs_by_day(engine: Engine, window: Window = ALL_TIME) -> list[dict[str, Any]]:
    """`[{day, status, runs}]` by UTC day of the run's start, oldest day first."""
    upgrade(engine)
    day = func.substr(runs.c.started_at, 1, 10)
    query = (select(day, runs.c.status, func.count()).where(*window.clauses(runs.c.started_at))
             .group_by(day, runs.c.status).order_by(day, runs.c.status))
    with engine.connect() as conn:
        return [{"day": d, "status": status, "runs": n} for d, status, n in conn.execute(query)]


def recent_failures(engine: Engine, window: Window = ALL_TIME, limit: int = 10) -> list[dict[str, Any]]:
    """The newest failed runs with the step that failed and why, newest first."""
    upgrade(engine)
    query = (select(runs.c.run_id, runs.c.workflow, runs.c.started_at, runs.c.finished_at, runs.c.error)
             .where(runs.c.status == "failed", *window.clauses(runs.c.started_at))
             .order_by(runs.c.started_at.desc()).limit(limit))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [{"run_id": run_id, "workflow": workflow, "started_at": started, "finished_at": finished,
             "step": (error or {}).get("step"), "error": (error or {}).get("message") or "(no message)"}
            for run_id, workflow, started, finished, error in rows]


def slowest_steps(engine: Engine, window: Window = ALL_TIME, limit: int = 10,
                  sample: int = 20_000) -> list[dict[str, Any]]:
    """Action steps by p95 duration over their newest `sample` executions; control flow is left out
    (its time is its children's)."""
    upgrade(engine)
    query = (select(runs.c.workflow, steps.c.step_id, steps.c.type, steps.c.duration_ms)
             .select_from(steps.join(runs, steps.c.run_id == runs.c.run_id))
             .where(steps.c.status.in_(("succeeded", "failed")), steps.c.type.not_in(_CONTROL_FLOW),
                    *window.clauses(runs.c.started_at))
             .order_by(runs.c.started_at.desc()).limit(sample))
    durations: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    with engine.connect() as conn:
        for workflow, step_id, step_type, duration in conn.execute(query):
            durations[(workflow, step_id, step_type)].append(duration)
    found: list[dict[str, Any]] = [{"workflow": workflow, "step": step_id, "type": step_type, "executions": len(values),
              "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95)}
             for (workflow, step_id, step_type), values in durations.items()]
    return sorted(found, key=lambda row: -row["p95_ms"])[:limit]
