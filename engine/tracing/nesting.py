"""Where a step execution sits in the trace: its parent span, and the group span between them.

Journal keys show iterations (`each[3]/fetch`) and error handlers (`fetch/on_error/undo`),
but not `if`, `switch` or `parallel` nesting: steps in a branch have the key prefix of
the branching step. Step ids are unique in a workflow, so the workflow's structure names
the enclosing step of every id; the key's prefix then says which execution of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..language.workflow import Workflow
    from ..steps.base import Step

ROOT = ""
_ITERATING = ("for_each", "loop")


@dataclass(frozen=True, slots=True)
class Enclosing:
    """The step that holds a step id, and the block of it that does (`("then",)`, `("branches", "a")`)."""

    step_id: str
    type: str
    block: tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Place:
    """Parent span key, and a group span (a loop iteration, a parallel branch) made under it if any."""

    parent: str
    group: str | None = None
    group_name: str | None = None


Structure = dict[str, Enclosing]


def structure(workflow: Workflow) -> Structure:
    """Step id -> the step that encloses it, for every nested step of `workflow`."""
    found: Structure = {}

    def visit(step: Step) -> None:
        for block in step.children():
            for child in block.steps:
                found[child.id] = Enclosing(step.id, step.type, block.path)
                visit(child)

    for block in workflow.blocks():
        for step in block.steps:
            visit(step)
    return found


def place(key: str, step_id: str, known: Structure | None) -> Place:
    """The place of the step execution `key` (of step `step_id`) in the span tree."""
    prefix = key[: len(key) - len(step_id)]
    enclosing = (known or {}).get(step_id)
    if enclosing is None:
        return _place_from_prefix(prefix)
    if enclosing.type in _ITERATING and enclosing.block == ("steps",) and prefix.endswith("]/"):
        iteration = prefix[:-1]
        parent = iteration[: iteration.rindex("[")]
        return Place(parent, iteration, iteration.rsplit("/", 1)[-1])
    if enclosing.block == ("on_error",):
        return Place(prefix[: -len("/on_error/")] if prefix.endswith("/on_error/") else prefix + enclosing.step_id)
    parent = prefix + enclosing.step_id
    if enclosing.type == "parallel" and enclosing.block[0] == "branches":
        branch = str(enclosing.block[1])
        return Place(parent, f"{parent}/{branch}", branch)
    return Place(parent)


def _place_from_prefix(prefix: str) -> Place:
    """Top-level steps, or any step when the workflow's structure is unknown: the key alone."""
    if prefix == "on_error/":
        return Place(ROOT, "on_error", "on_error")
    if prefix.endswith("/on_error/"):
        return Place(prefix[: -len("/on_error/")])
    if prefix.endswith("]/"):
        iteration = prefix[:-1]
        return Place(iteration[: iteration.rindex("[")], iteration, iteration.rsplit("/", 1)[-1])
    return Place(ROOT)
