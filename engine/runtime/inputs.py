"""Checking and completing a run's inputs against the workflow's declarations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import LoomError
from ..language.workflow import Workflow
from ..loader.triggers import value_matches


class InputError(LoomError):
    """The inputs given to a run do not fit the workflow's `inputs:`."""


def resolve_inputs(workflow: Workflow, given: Mapping[str, Any] | None) -> dict[str, Any]:
    given = dict(given or {})
    unknown = sorted(set(given) - set(workflow.inputs))
    if unknown:
        raise InputError(f"unknown input(s): {', '.join(unknown)}; this workflow takes: "
                         + (", ".join(workflow.inputs) or "no inputs"))
    resolved: dict[str, Any] = {}
    problems = []
    for name, spec in workflow.inputs.items():
        if name in given:
            value = given[name]
        elif "default" in spec.model_fields_set:
            value = spec.default
        elif spec.is_required:
            problems.append(f"missing required input '{name}'")
            continue
        else:
            value = None
        if value is not None and not value_matches(spec.type, value):
            problems.append(f"input '{name}' must be of type {spec.type}, got {value!r}")
        elif spec.enum and value is not None and value not in spec.enum:
            problems.append(f"input '{name}' must be one of {spec.enum}, got {value!r}")
        resolved[name] = value
    if problems:
        raise InputError("; ".join(problems))
    return resolved


def coerce_text(workflow: Workflow, name: str, text: str) -> Any:
    """A value typed on a command line (`-i n=3`), read by the input's declared type."""
    spec = workflow.inputs.get(name)
    kind = spec.type if spec else "string"
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "boolean":
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if kind in ("object", "array"):
            return json.loads(text)
    except ValueError:
        raise InputError(f"input '{name}' must be of type {kind}, got {text!r}") from None
    return text
