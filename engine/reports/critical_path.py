"""Where one run's time went: each step's part of the run's critical path.

Journal keys do not show the workflow's shape (steps in an `if` or a `parallel` branch
share their parent's prefix), so the walk follows the workflow the run executed and
looks each execution up in the journal. Steps in a block add up; of a `parallel`
step's branches only the slowest counts. A control-flow step's own time beyond its
children's is its own part. Where children add up to more than their parent took
(`for_each` items running concurrently), their parts are scaled down to the parent's
duration: an approximation, since which item was on the critical path is not recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Protocol

from ..steps.base import Block, Step

_ITERATING = frozenset({"for_each", "loop"})


class Execution(Protocol):
    status: str
    duration_ms: float


Journal = Mapping[str, Execution]


def critical_path(workflow: Any, journal: Journal) -> tuple[float, Counter[str]]:
    """The run's time in ms along its critical path, and each step id's part of it."""
    if workflow is None:
        return _flat(journal)
    total, parts = 0.0, Counter[str]()
    for block in workflow.blocks():
        spent, block_parts = _block(block.steps, "" if block.path == ("steps",) else "on_error/", journal)
        total += spent
        parts.update(block_parts)
    return total, parts


def _flat(journal: Journal) -> tuple[float, Counter[str]]:
    """Without the workflow's shape (its source no longer loads): top-level executions in sequence."""
    parts = Counter({key: record.duration_ms for key, record in journal.items()
                     if "/" not in key and "[" not in key and record.status != "skipped"})
    return sum(parts.values()), parts


def _block(steps: list[Step], prefix: str, journal: Journal) -> tuple[float, Counter[str]]:
    total, parts = 0.0, Counter[str]()
    for step in steps:
        spent, step_parts = _step(step, prefix, journal)
        total += spent
        parts.update(step_parts)
    return total, parts


def _step(step: Step, prefix: str, journal: Journal) -> tuple[float, Counter[str]]:
    key = prefix + step.id
    record = journal.get(key)
    if record is None or record.status == "skipped":
        return 0.0, Counter()
    own = record.duration_ms
    blocks = list(step.children())
    if not blocks:
        return own, Counter({step.id: own})
    inner, parts = _children(step, key, prefix, blocks, journal)
    if inner > own > 0:
        parts = Counter({name: ms * own / inner for name, ms in parts.items()})
    elif own > inner:
        parts[step.id] += own - inner  # type: ignore[assignment]  # a Counter of milliseconds, not of counts
    return own, parts


def _children(step: Step, key: str, prefix: str, blocks: list[Block], journal: Journal
              ) -> tuple[float, Counter[str]]:
    total, parts = 0.0, Counter[str]()
    branches: list[tuple[float, Counter[str]]] = []
    for block in blocks:
        if block.path[0] == "on_error":
            spent, block_parts = _block(block.steps, f"{key}/on_error/", journal)
        elif step.type in _ITERATING:
            spent, block_parts = _iterations(block.steps, key, journal)
        elif step.type == "parallel":
            branches.append(_block(block.steps, prefix, journal))
            continue
        else:  # if / switch: only the branch that ran has executions
            spent, block_parts = _block(block.steps, prefix, journal)
        total += spent
        parts.update(block_parts)
    if branches:
        spent, block_parts = max(branches, key=lambda branch: branch[0])
        total += spent
        parts.update(block_parts)
    return total, parts


def _iterations(steps: list[Step], key: str, journal: Journal) -> tuple[float, Counter[str]]:
    start = key + "["
    indexes = {k[len(start):k.index("]", len(start))] for k in journal if k.startswith(start) and "]" in k}
    total, parts = 0.0, Counter[str]()
    for index in indexes:
        spent, block_parts = _block(steps, f"{key}[{index}]/", journal)
        total += spent
        parts.update(block_parts)
    return total, parts
