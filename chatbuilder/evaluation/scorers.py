"""The builder's scorers, as MLflow `@scorer`s over one answered request.

Each row's `outputs` is what `answer()` in `runner` records: valid_first, valid, model_calls,
triggers and steps (the types the answer's workflow uses); `expectations` holds the case's
expected trigger and step types.
"""

from __future__ import annotations

from typing import Any

from mlflow.genai.scorers import scorer


@scorer
def valid_first_answer(outputs: dict[str, Any]) -> bool:
    """The model's first draft was valid, with no repair."""
    return bool(outputs["valid_first"])


@scorer
def valid_after_repair(outputs: dict[str, Any]) -> bool:
    """The turn ended with a valid workflow, repairs included."""
    return bool(outputs["valid"])


@scorer
def model_calls(outputs: dict[str, Any]) -> int:
    """Model calls the turn took (1 when the first draft is valid; 0 offline)."""
    return int(outputs["model_calls"])


@scorer
def expected_triggers(outputs: dict[str, Any], expectations: dict[str, Any]) -> bool:
    """Every expected trigger type is in the workflow."""
    return set(expectations.get("triggers") or []) <= set(outputs["triggers"])


@scorer
def expected_steps(outputs: dict[str, Any], expectations: dict[str, Any]) -> bool:
    """Every expected step type is in the workflow, at any depth."""
    return set(expectations.get("steps") or []) <= set(outputs["steps"])


SCORERS = [valid_first_answer, valid_after_repair, model_calls, expected_triggers, expected_steps]
METRICS = [f"{s.name}/mean" for s in SCORERS]
