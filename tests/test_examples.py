"""The examples: each one loads, together they use the whole language, and their tests
never reach the outside world."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import engine
from engine.language import TRIGGER_TYPES, Workflow
from engine.steps.registry import registry
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
FILES = sorted(EXAMPLES.glob("*.yaml"))
MODELINE = "# yaml-language-server: $schema=../schemas/workflow.schema.json"


@pytest.fixture(scope="module")
def workflows() -> dict[str, Workflow]:
    return {path.stem: engine.load(path) for path in FILES}


def _steps(workflow: Workflow):
    return [step for _, step, _ in workflow.walk()]


def test_there_are_at_least_fifteen_examples():
    assert len(FILES) >= 15, f"only {len(FILES)} examples in {EXAMPLES}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_loads_and_is_named_after_its_file(path: Path):
    workflow = engine.load(path)
    assert workflow.name == path.stem
    assert workflow.description, "every example says what it does"
    assert path.read_text().splitlines()[0] == MODELINE


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_has_a_test_case(path: Path):
    assert engine.load(path).tests, f"{path.name} has no `tests:`"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_external_step_is_mocked_in_some_test(path: Path):
    workflow = engine.load(path)
    mocked = {step_id for case in workflow.tests for step_id in case.mocks}
    unmocked = [step.id for step in _steps(workflow) if type(step).external and step.id not in mocked]
    assert unmocked == [], f"{path.name}: no test mocks {unmocked}"


def test_examples_use_every_step_type(workflows: dict[str, Workflow]):
    used = {step.type for workflow in workflows.values() for step in _steps(workflow)}
    assert sorted(set(registry.names()) - used) == []


def test_examples_use_every_trigger_type(workflows: dict[str, Workflow]):
    used = {trigger.type for workflow in workflows.values() for trigger in workflow.triggers}
    assert sorted(set(TRIGGER_TYPES) - used) == []


def test_workflow_steps_call_other_examples(workflows: dict[str, Workflow]):
    calls = [(name, step.workflow) for name, workflow in workflows.items()
             for step in _steps(workflow) if step.type == "workflow"]
    assert calls, "no example shows a `workflow` step"
    for caller, callee in calls:
        assert callee != caller, f"{caller} calls itself"
        assert callee in workflows, f"{caller} calls '{callee}', which is not an example"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_tests_pass(path: Path):
    testing = pytest.importorskip("engine.testing")
    library = pytest.importorskip("engine.library")
    cases = asyncio.run(testing.run_tests(engine.load(path), library.FileLibrary(EXAMPLES)))
    failures = [f"{case.name}: {failure}" for case in cases for failure in case.failures]
    assert failures == []
