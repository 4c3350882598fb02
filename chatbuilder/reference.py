"""A compact language reference for the builder's prompt, generated from the JSON Schema.

One line per field (`name: type, required, = default, description`) for the top level,
every step type and every trigger type, plus the expression syntax. Generated, not
hand-written, so it never drifts from what the loader accepts; built once per process.
"""

from __future__ import annotations

from functools import cache
from typing import Any

COMMON_STEP_FIELDS = ("id", "type", "name", "when", "timeout", "retry", "on_error")

EXPRESSIONS = """\
Expressions: `${{ ... }}` holds a CEL expression. A string that is exactly one `${{ }}` gives the typed value;
text around it makes a string template. In scope: inputs.<name>, steps.<id>.output, steps.<id>.status
(succeeded|failed|skipped), steps.<id>.error, trigger.channel|user|chat_id|text, run.id|workflow|started_at,
secrets.<NAME> (only in action steps' fields, never in llm prompts), the for_each variable (`as`, default item)
and `index`, and `error.message|type|step` in on_error steps. CEL: == != && || ! ?: size() string() int()
has() in, list/map literals. Durations: 500ms, 30s, 5m, 1h.
Outputs: llm {text, data, model, usage, cost_usd}; http {status, headers, text, json, elapsed_ms};
set: the map of values; control-flow steps: output of the last step that ran.
Tests: tests: [{name, inputs, trigger: {channel, user, chat_id, text}, mocks: {step_id: output or {error: msg}},
expect: {status, outputs, steps: {id: {status}}, replies: [text]}}]; every llm/http/send/email/sql/code step a
test reaches must be mocked."""


@cache
def language_reference() -> str:
    from engine.schema import workflow_schema

    schema = workflow_schema()
    defs = schema["$defs"]
    lines = ["Loomwork workflow language (YAML), version 1.", "", "Top level:"]
    lines += _fields(schema, defs)
    lines += ["", f"Every step has: {', '.join(COMMON_STEP_FIELDS)}. on_error: fail | continue | [steps].",
              "retry: " + _inline(defs["RetryPolicy"], defs), "", "Step types (field list after the common ones):"]
    for ref in defs["Step"]["oneOf"]:
        step = defs[ref["$ref"].rsplit("/", 1)[1]]
        kind = step["properties"]["type"]["const"]
        own = {k: v for k, v in step["properties"].items() if k not in COMMON_STEP_FIELDS}
        lines.append(f"- {kind}: " + _inline({"properties": own, "required": step.get("required", [])}, defs))
    lines += ["", "Triggers:"]
    for name in ("TelegramTrigger", "WhatsAppTrigger", "WebhookTrigger", "CronTrigger"):
        trigger = defs[name]
        kind = trigger["properties"]["type"]["const"]
        own = {k: v for k, v in trigger["properties"].items() if k != "type"}
        lines.append(f"- {kind}: " + _inline({"properties": own, "required": trigger.get("required", [])}, defs)
                     + f"  ({trigger.get('description', '')})")
    lines += ["", "defaults: " + _inline(defs["Defaults"], defs), "limits: " + _inline(defs["Limits"], defs),
              "inputs.<name>: " + _inline(defs["InputSpec"], defs), "", EXPRESSIONS]
    return "\n".join(lines)


def _fields(node: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    required = set(node.get("required", []))
    return [f"- {name}: {_type(spec, defs)}{' (required)' if name in required else ''}. {_about(spec)}".rstrip()
            for name, spec in node.get("properties", {}).items()]


def _inline(node: dict[str, Any], defs: dict[str, Any]) -> str:
    required = set(node.get("required", [])) & set(node.get("properties", {}))
    parts = []
    for name, spec in node.get("properties", {}).items():
        text = f"{name}{'*' if name in required else ''}: {_type(spec, defs)}"
        if "default" in spec and spec["default"] not in (None, [], {}) and not isinstance(spec["default"], float):
            text += f" = {spec['default']}"
        parts.append(text)
    return "{" + ", ".join(parts) + "}  (* required)" if required else "{" + ", ".join(parts) + "}"


def _type(spec: dict[str, Any], defs: dict[str, Any]) -> str:
    if "const" in spec:
        return repr(spec["const"])
    if "enum" in spec:
        return "|".join(str(value) for value in spec["enum"])
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[1]
        return "[steps]" if name == "Step" else name
    for key in ("anyOf", "oneOf"):
        if key in spec:
            options = [_type(option, defs) for option in spec[key] if option.get("type") != "null"]
            return " or ".join(dict.fromkeys(options)) or "null"
    kind = spec.get("type")
    if kind == "array":
        item = _type(spec.get("items", {}), defs)
        return item if item == "[steps]" else f"list of {item}"
    if kind == "object":
        return "map"
    if isinstance(kind, list):
        return "expression"
    return kind or "any"


def _about(spec: dict[str, Any]) -> str:
    return (spec.get("description") or "").split("\n")[0]


__all__ = ["language_reference"]
