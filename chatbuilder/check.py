"""Live validation for the editor: the loader's problems as plain dicts."""

from __future__ import annotations

import engine

from .types import CheckResult


def check(yaml: str) -> CheckResult:
    """Load and validate `yaml`; errors are `{path, line, column, message, hint}` dicts."""
    try:
        workflow = engine.loads(yaml, "<draft>")
    except engine.ValidationError as exc:
        return CheckResult(False, [problem.to_dict() for problem in exc.problems])
    return CheckResult(True, [], workflow)


__all__ = ["check"]
