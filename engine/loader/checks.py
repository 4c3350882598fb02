"""Checks the schema cannot express, run on every load: a run never discovers a typo.

Ids are unique; every `steps.X` names a step that has run by then; every expression
compiles and uses only names in scope; triggers fill the inputs they need; tests mock
steps that exist; no step stands after an unconditional `fail`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import Problem
from ..language.workflow import Workflow
from ..steps.base import Block, Step
from ..steps.fail import FailStep
from ..steps.llm import LlmStep
from ..steps.loop import LoopStep
from ..steps.parallel import ParallelStep
from .expressions import ExpressionChecker, Scope
from .hints import did_you_mean, explained_by_typos
from .paths import format_path
from .source import Path, Source
from .triggers import check_inputs, check_triggers


@dataclass(frozen=True, slots=True)
class StepInfo:
    """Where a step stands: its path, document order, enclosing loops and parallel branches."""

    step: Step
    path: Path
    order: int
    ancestors: tuple[str, ...]
    loops: tuple[str, ...]
    branches: tuple[tuple[str, str], ...]


def check(workflow: Workflow, source: Source) -> list[Problem]:
    problems: list[Problem] = []

    def report(path: Path, message: str, hint: str | None = None, position=None) -> None:
        line, column = position or source.position(path)
        problems.append(Problem(format_path(path), message, line, column, hint, source.file))

    infos = {info.path: info for info in _walk(workflow)}
    steps = _index_steps(infos.values(), report)
    checker = ExpressionChecker(workflow, source, steps, report)
    check_inputs(workflow, report)
    check_triggers(workflow, report)
    _check_blocks(workflow, checker, infos, report)
    _check_outputs(workflow, checker)
    _check_tests(workflow, steps, report)
    return problems


def _index_steps(infos: Iterable[StepInfo], report) -> dict[str, StepInfo]:
    steps: dict[str, StepInfo] = {}
    for info in infos:
        first = steps.get(info.step.id)
        if first is not None:
            report((*info.path, "id"), f"duplicate step id '{info.step.id}'",
                   f"first used at {format_path(first.path)}; ids must be unique in the whole workflow")
            continue
        steps[info.step.id] = info
    return steps


def _walk(workflow: Workflow) -> Iterator[StepInfo]:
    counter = iter(range(1_000_000))

    def visit(block: Block, ancestors, loops, branches) -> Iterator[StepInfo]:
        for index, step in enumerate(block.steps):
            path = (*block.path, index)
            yield StepInfo(step, path, next(counter), ancestors, loops, branches)
            # a loop's later passes read the previous pass; for_each items never see each other
            inner_loops = (*loops, step.id) if isinstance(step, LoopStep) else loops
            for child in step.children():
                inner_branches = branches
                if isinstance(step, ParallelStep) and child.path[0] == "branches":
                    inner_branches = (*branches, (step.id, str(child.path[1])))
                nested = Block((*path, *child.path), child.steps, child.binds)
                yield from visit(nested, (*ancestors, step.id), inner_loops, inner_branches)

    for block in workflow.blocks():
        yield from visit(block, (), (), ())


def _check_blocks(workflow: Workflow, checker: ExpressionChecker, infos: dict[Path, StepInfo],
                  report) -> None:
    def visit(block: Block, binds: frozenset[str]) -> None:
        scope_names = binds | block.binds
        after_fail: Step | None = None
        for index, step in enumerate(block.steps):
            path = (*block.path, index)
            if after_fail is not None:
                report(path, f"step '{step.id}' can never run",
                       f"the fail step '{after_fail.id}' before it always ends the run; "
                       "add a `when` to it or move this step")
            checker.check_step(step, path, Scope(scope_names, infos[path]))
            _check_model(step, workflow, path, report)
            for child in step.children():
                visit(Block((*path, *child.path), child.steps, child.binds), scope_names)
            if isinstance(step, FailStep) and step.when is None:
                after_fail = after_fail or step

    for block in workflow.blocks():
        visit(block, frozenset())


def _check_model(step: Step, workflow: Workflow, path: Path, report) -> None:
    if isinstance(step, LlmStep) and not step.model and not workflow.defaults.model:
        report((*path, "model"), "the llm step has no model",
               "set `model` on the step or `defaults.model` for the workflow, e.g. openai/gpt-4o-mini")


def _check_outputs(workflow: Workflow, checker: ExpressionChecker) -> None:
    for name, value in workflow.outputs.items():
        checker.check_value(value, ("outputs", name), Scope(frozenset(), None), secrets_allowed=False)


def _check_tests(workflow: Workflow, steps: dict[str, StepInfo], report) -> None:
    for index, test in enumerate(workflow.tests):
        path = ("tests", index)
        for step_id in test.mocks:
            if step_id not in steps:
                report((*path, "mocks", step_id), f"mock for unknown step '{step_id}'",
                       did_you_mean(step_id, steps))
        for step_id in test.expect.steps or {}:
            if step_id not in steps:
                report((*path, "expect", "steps", step_id), f"expectation for unknown step '{step_id}'",
                       did_you_mean(step_id, steps))
        for name in test.inputs:
            if name not in workflow.inputs:
                report((*path, "inputs", name), f"unknown input '{name}'",
                       did_you_mean(name, workflow.inputs) or "declare it under `inputs:`")
        given = set(test.inputs) | explained_by_typos(test.inputs, workflow.inputs)
        missing = [n for n, spec in workflow.inputs.items() if spec.is_required and n not in given]
        if missing:
            report((*path, "inputs"), f"test '{test.name}' does not give required input(s) "
                   + ", ".join(f"'{n}'" for n in missing), "add them to the test's `inputs`")


def mocked_value_is_error(value: Any) -> bool:
    """A mock `{error: message}` makes the step fail instead of returning."""
    return isinstance(value, dict) and set(value) == {"error"}
