"""The JSON Schema of the language, generated from the models.

`schemas/workflow.schema.json` is this function's output, committed so editors can
use it through the `# yaml-language-server: $schema=` modeline; a test fails when the
committed file is stale (`loom schema > schemas/workflow.schema.json` refreshes it).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from .language.workflow import Workflow
from .steps.registry import registry

SCHEMA_ID = "https://loomwork.dev/schemas/workflow.schema.json"

_EXAMPLE = {
    "loom": 1,
    "name": "url-digest",
    "description": "Summarize a web page and reply on the channel that asked.",
    "inputs": {"url": {"type": "string", "description": "Page to summarize"}},
    "triggers": [{"type": "telegram", "command": "digest", "args": ["url"]}, {"type": "webhook"}],
    "defaults": {"model": "openai/gpt-4o-mini", "timeout": "60s"},
    "steps": [
        {"id": "fetch", "type": "http", "url": "${{ inputs.url }}",
         "retry": {"max_attempts": 5, "on": ["timeout", "http_5xx"]}},
        {"id": "summarize", "type": "llm", "prompt": "Summarize:\n${{ steps.fetch.output.text }}"},
        {"id": "answer", "type": "reply", "text": "${{ steps.summarize.output.text }}"},
    ],
    "outputs": {"summary": "${{ steps.summarize.output.text }}"},
}


class _Generator(GenerateJsonSchema):
    schema_dialect = "https://json-schema.org/draft/2020-12/schema"


def workflow_schema() -> dict[str, Any]:
    registry.build()
    schema = Workflow.model_json_schema(by_alias=True, schema_generator=_Generator, mode="validation")
    schema = {
        "$schema": _Generator.schema_dialect,
        "$id": SCHEMA_ID,
        **schema,
        "examples": [_EXAMPLE],
    }
    step_union = _factor_step_union(schema)
    if step_union:
        schema["$defs"]["Step"] = {"description": "One step; `type` selects its fields.", **step_union}
    _tidy(schema)
    return schema


def schema_text() -> str:
    return json.dumps(workflow_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _is_step_union(node: Any) -> bool:
    return isinstance(node, dict) and "oneOf" in node and any(
        ref.get("$ref") == "#/$defs/HttpStep" for ref in node["oneOf"]
    )


def _factor_step_union(node: Any) -> dict[str, Any] | None:
    """Pydantic inlines the union of step types wherever steps appear; define it once."""
    found = None
    if isinstance(node, dict):
        for key, value in node.items():
            if _is_step_union(value):
                found, node[key] = value, {"$ref": "#/$defs/Step"}
            else:
                found = _factor_step_union(value) or found
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if _is_step_union(value):
                found, node[index] = value, {"$ref": "#/$defs/Step"}
            else:
                found = _factor_step_union(value) or found
    return found


def _tidy(node: Any) -> None:
    """Drop pydantic's generated titles (noise to a reader); give every definition a description."""
    if isinstance(node, dict):
        if isinstance(node.get("title"), str):
            title = node.pop("title")
            node.setdefault("description", title) if "properties" in node else None
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)
