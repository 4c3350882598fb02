"""Tokens and cost from the runs' own accounting, grouped by run, workflow, model, provider or day.

The engine prices every model call with LiteLLM's offline price map when it happens and
keeps the figures with the run (`runs.usage`) and with each llm step (`steps.usage`,
`steps.cost_usd`); a report only adds them up. Per run, workflow and day the run totals
are summed; per model and provider the llm steps are, since only they know their model.
Days are UTC days of the run's start.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Engine, func, select

from ..runtime.store.migrations import upgrade
from ..runtime.store.tables import runs, steps
from .providers import UNKNOWN, model_of_step, provider_of
from .window import ALL_TIME, Window

GroupBy = Literal["workflow", "model", "provider", "day", "run"]
GROUPS: tuple[str, ...] = ("workflow", "model", "provider", "day", "run")
_CHUNK = 500  # ids per IN (...) list: far below every database's parameter limit


@dataclass
class UsageRow:
    key: str
    runs: int = 0
    calls: int = 0
    """Executions of llm steps."""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)
    """For a run: its workflow, status and start."""

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, **self.detail, "runs": self.runs, "calls": self.calls,
                "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cost_usd": round(self.cost_usd, 10)}


@dataclass
class UsageReport:
    group_by: str
    window: Window
    workflow: str | None
    rows: list[UsageRow]
    total: UsageRow

    def to_dict(self) -> dict[str, Any]:
        return {"group_by": self.group_by, **self.window.to_dict(), "workflow": self.workflow,
                "rows": [row.to_dict() for row in self.rows], "total": self.total.to_dict()}


def usage(engine: Engine, group_by: GroupBy = "workflow", *, window: Window = ALL_TIME,
          workflow: str | None = None, limit: int = 100) -> UsageReport:
    """Usage in `window` (optionally of one workflow); `limit` caps the rows of `group_by="run"`."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}, not '{group_by}'")
    upgrade(engine)
    where = _where(window, workflow)
    with engine.connect() as conn:
        total = _total(conn, where)
        if group_by == "run":
            rows = _per_run(conn, where, limit)
        elif group_by in ("workflow", "day"):
            rows = _per_run_column(conn, where, group_by)
        else:
            rows = _per_model(conn, where, group_by)
    return UsageReport(group_by, window, workflow, rows, total)


# ---- the queries ------------------------------------------------------------------------

_INPUT = runs.c.usage["input_tokens"].as_integer()
_OUTPUT = runs.c.usage["output_tokens"].as_integer()
_COST = runs.c.usage["cost_usd"].as_float()
_STEP_MODEL = steps.c.output["model"].as_string()
_IS_LLM = steps.c.type == "llm"


def _sums(input_tokens: Any, output_tokens: Any, cost: Any) -> list[Any]:
    return [func.coalesce(func.sum(input_tokens), 0), func.coalesce(func.sum(output_tokens), 0),
            func.coalesce(func.sum(cost), 0.0)]


def _where(window: Window, workflow: str | None) -> list[Any]:
    where = window.clauses(runs.c.started_at)
    if workflow:
        where.append(runs.c.workflow == workflow)
    return where


def _steps_of_runs():
    return steps.join(runs, steps.c.run_id == runs.c.run_id)


def _total(conn, where: list[Any]) -> UsageRow:
    count, tokens_in, tokens_out, cost = conn.execute(
        select(func.count(), *_sums(_INPUT, _OUTPUT, _COST)).where(*where)).one()
    calls = conn.execute(select(func.count()).select_from(_steps_of_runs()).where(_IS_LLM, *where)).scalar()
    return UsageRow("total", count, calls, int(tokens_in), int(tokens_out), float(cost))


def _per_run_column(conn, where: list[Any], group_by: str) -> list[UsageRow]:
    key = runs.c.workflow if group_by == "workflow" else func.substr(runs.c.started_at, 1, 10)
    query = select(key, func.count(), *_sums(_INPUT, _OUTPUT, _COST)).where(*where).group_by(key)
    rows = {k: UsageRow(k, n, 0, int(i), int(o), float(c)) for k, n, i, o, c in conn.execute(query)}
    calls = select(key, func.count()).select_from(_steps_of_runs()).where(_IS_LLM, *where).group_by(key)
    for k, n in conn.execute(calls):
        rows[k].calls = n
    if group_by == "day":
        return sorted(rows.values(), key=lambda row: row.key)
    return sorted(rows.values(), key=lambda row: (-row.cost_usd, -row.runs, row.key))


def _per_run(conn, where: list[Any], limit: int) -> list[UsageRow]:
    query = (select(runs.c.run_id, runs.c.workflow, runs.c.status, runs.c.started_at, _INPUT, _OUTPUT, _COST)
             .where(*where).order_by(runs.c.started_at.desc()).limit(max(1, limit)))
    rows = {run_id: UsageRow(run_id, 1, 0, int(i or 0), int(o or 0), float(c or 0.0),
                             {"workflow": name, "status": status, "started_at": started})
            for run_id, name, status, started, i, o, c in conn.execute(query)}
    for chunk in _chunks(rows):
        calls = (select(steps.c.run_id, func.count()).where(_IS_LLM, steps.c.run_id.in_(chunk))
                 .group_by(steps.c.run_id))
        for run_id, n in conn.execute(calls):
            rows[run_id].calls = n
    return list(rows.values())


def _per_model(conn, where: list[Any], group_by: str) -> list[UsageRow]:
    """llm steps per (model, run), so that a run using two models of one provider counts once."""
    per_pair: list[tuple[str, str, int, int, int, float]] = []
    sums = _sums(steps.c.usage["input_tokens"].as_integer(), steps.c.usage["output_tokens"].as_integer(),
                 steps.c.cost_usd)
    known = (select(_STEP_MODEL, steps.c.run_id, func.count(), *sums).select_from(_steps_of_runs())
             .where(_IS_LLM, _STEP_MODEL.is_not(None), *where).group_by(_STEP_MODEL, steps.c.run_id))
    per_pair.extend(conn.execute(known).all())
    per_pair.extend(_failed_calls(conn, where, sums))
    groups: dict[str, UsageRow] = {}
    run_sets: dict[str, set[str]] = defaultdict(set)
    for model, run_id, n, i, o, c in per_pair:
        key = model if group_by == "model" else provider_of(model)
        row = groups.setdefault(key, UsageRow(key))
        row.calls, row.input_tokens, row.output_tokens = row.calls + n, row.input_tokens + int(i), \
            row.output_tokens + int(o)
        row.cost_usd += float(c)
        run_sets[key].add(run_id)
    for key, row in groups.items():
        row.runs = len(run_sets[key])
    return sorted(groups.values(), key=lambda row: (-row.cost_usd, -row.calls, row.key))


def _failed_calls(conn, where: list[Any], sums: list[Any]) -> Iterator[tuple[str, str, int, int, int, float]]:
    """Failed llm steps keep no output, yet may have spent tokens: their model comes from the run's source."""
    query = (select(steps.c.run_id, steps.c.step_id, func.count(), *sums).select_from(_steps_of_runs())
             .where(_IS_LLM, _STEP_MODEL.is_(None), *where).group_by(steps.c.run_id, steps.c.step_id))
    failed = conn.execute(query).all()
    sources: dict[str, str] = {}
    for chunk in _chunks({run_id for run_id, *_ in failed}):
        sources.update(conn.execute(select(runs.c.run_id, runs.c.source).where(runs.c.run_id.in_(chunk))).all())
    for run_id, step_id, n, i, o, c in failed:
        model = model_of_step(sources[run_id], step_id) if run_id in sources else UNKNOWN
        yield model, run_id, n, i, o, c


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    ids = list(ids)
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]
