"""Run inputs typed in the UI: one form field per declared input, or a JSON box.

Plain functions: which field each input gets, and how the typed values become a run's
inputs, with errors that name the input. Type and `enum` checks stay with the engine
(`resolve_inputs`), so the UI and every other door say the same thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

EMPTY = {"string": "", "number": 0, "integer": 0, "boolean": False, "object": {}, "array": []}


class FormError(ValueError):
    """A value typed in the form cannot be read as its input's type."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, dropdown, number, integer, checkbox, json
    label: str
    value: Any
    required: bool
    choices: tuple[Any, ...] = ()
    info: str = ""


def form_fields(workflow: Any) -> list[Field]:
    """One field per input of `workflow`, prefilled with its default."""
    fields = []
    for name, spec in workflow.inputs.items():
        has_default = "default" in spec.model_fields_set
        value = spec.default if has_default else None
        required = spec.is_required
        label = f"{name} ({spec.type}{', required' if required else ''})"
        info = spec.description or ""
        if spec.enum:
            fields.append(Field(name, "dropdown", label, value, required, tuple(spec.enum), info))
        elif spec.type == "boolean":
            fields.append(Field(name, "checkbox", label, bool(value), required, info=info))
        elif spec.type in ("number", "integer"):
            fields.append(Field(name, spec.type, label, value, required, info=info))
        elif spec.type in ("object", "array"):
            text = json.dumps(value, indent=2) if value is not None else ""
            fields.append(Field(name, "json", label, text, required, info=info))
        else:
            fields.append(Field(name, "text", label, "" if value is None else str(value), required, info=info))
    return fields


def collect_inputs(fields: list[Field], values: list[Any]) -> dict[str, Any]:
    """The run's inputs from the form's values; a blank optional field is left out (its default applies)."""
    inputs: dict[str, Any] = {}
    for field, value in zip(fields, values, strict=True):
        if _blank(field, value):
            continue
        if field.kind == "json":
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise FormError(f"input '{field.name}': not valid JSON: {exc.msg} (line {exc.lineno}, "
                                f"column {exc.colno})") from None
        elif field.kind == "integer":
            if float(value) != int(value):
                raise FormError(f"input '{field.name}': expected a whole number, got {value}")
            value = int(value)
        elif field.kind == "number" and float(value).is_integer():
            value = int(value)
        inputs[field.name] = value
    return inputs


def _blank(field: Field, value: Any) -> bool:
    if field.kind == "checkbox":
        return False
    return value is None or (isinstance(value, str) and not value.strip())


def inputs_template(workflow: Any) -> str:
    """A JSON object to start from: every input with its default, or an empty value of its type."""
    template = {}
    for name, spec in workflow.inputs.items():
        template[name] = spec.default if "default" in spec.model_fields_set else EMPTY.get(spec.type, "")
    return json.dumps(template, indent=2)


def parse_inputs_json(text: str | None) -> dict[str, Any]:
    """The inputs box: empty means no inputs; anything else must be a JSON object."""
    if not text or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormError(f"inputs: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(value, dict):
        raise FormError(f"inputs: expected a JSON object such as {{\"url\": \"...\"}}, got {type(value).__name__}")
    return value
