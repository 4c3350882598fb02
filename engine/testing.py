"""Running a workflow's `tests:` cases: mocked steps, no network, no tokens spent.

Steps that stay inside the machine run for real: `file` steps read and write a fresh, empty
files directory made for each case and removed after it, so a case sees only what it wrote
and never the workspace's own files.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LoomError
from .language.common import TestCase
from .language.workflow import Workflow
from .runtime import MemoryStore, Services, run


@dataclass
class CaseResult:
    name: str
    failures: list[str] = field(default_factory=list)
    status: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "status": self.status, "failures": self.failures}


async def run_tests(workflow: Workflow, resolve_workflow=None) -> list[CaseResult]:
    return [await run_case(workflow, case, resolve_workflow) for case in workflow.tests]


async def run_case(workflow: Workflow, case: TestCase, resolve_workflow=None) -> CaseResult:
    trigger = case.trigger.model_dump() if case.trigger else None
    outcome = CaseResult(case.name)
    with tempfile.TemporaryDirectory(prefix="loom-test-files-") as files_dir:
        services = Services(store=MemoryStore(), secrets={}, mocks=case.mocks, testing=True,
                            resolve_workflow=resolve_workflow, files_dir=Path(files_dir))
        try:
            result = await run(workflow, case.inputs, services=services, trigger=trigger)
        except LoomError as exc:
            outcome.failures.append(f"the run could not start: {exc}")
            return outcome
    outcome.status = result.status
    outcome.failures = _compare(case, result)
    return outcome


def _compare(case: TestCase, result) -> list[str]:
    expect = case.expect
    failures = []
    wanted_status = expect.status or "succeeded"
    if result.status != wanted_status:
        why = f" ({result.error.get('message')})" if result.error else ""
        failures.append(f"status: expected {wanted_status}, got {result.status}{why}")
    for name, value in (expect.outputs or {}).items():
        if name not in result.outputs:
            failures.append(f"outputs.{name}: missing")
        elif not _matches(value, result.outputs[name]):
            failures.append(f"outputs.{name}: expected {value!r}, got {result.outputs[name]!r}")
    statuses = {record.step_id: record.status for record in result.steps}
    for step_id, wanted in (expect.steps or {}).items():
        got = statuses.get(step_id, "skipped")  # a step in a branch not taken reads as skipped, as in expressions
        if got != wanted.status:
            failures.append(f"steps.{step_id}: expected {wanted.status}, got {got}")
    if expect.replies is not None and expect.replies != result.replies:
        failures.append(f"replies: expected {expect.replies!r}, got {result.replies!r}")
    if expect.error is not None:
        message = (result.error or {}).get("message", "")
        if expect.error not in message:
            failures.append(f"error: expected a message containing {expect.error!r}, got {message!r}")
    return failures


def _matches(expected: Any, actual: Any) -> bool:
    """Subset match: mappings may carry more keys than expected; everything else is equal."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and _matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_matches(e, a) for e, a in zip(expected, actual, strict=True))
    return expected == actual
