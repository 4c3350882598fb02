"""The committed JSON Schema matches the models, and validates what the loader accepts."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from engine.schema import SCHEMA_ID, schema_text, workflow_schema
from tests.conftest import ROOT

COMMITTED = ROOT / "schemas" / "workflow.schema.json"


def test_committed_schema_is_fresh():
    assert COMMITTED.read_text() == schema_text(), (
        "schemas/workflow.schema.json is stale: run `make schema` and commit it"
    )


def test_schema_is_a_valid_2020_12_schema_with_id():
    schema = workflow_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == SCHEMA_ID
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["examples"], "editors show the example"


def test_every_property_has_a_description():
    missing = []

    def visit(node, where):
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                if "description" not in prop:
                    missing.append(f"{where}.{name}")
            for key, value in node.items():
                if key not in ("examples", "default"):
                    visit(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, f"{where}[{index}]")

    visit(json.loads(COMMITTED.read_text()), "#")
    assert missing == []


def test_schema_example_validates_against_schema():
    schema = workflow_schema()
    Draft202012Validator(schema).validate(schema["examples"][0])


def test_schema_rejects_unknown_step_field():
    schema = workflow_schema()
    bad = dict(schema["examples"][0])
    bad["steps"] = [{"id": "a", "type": "http", "urll": "https://example.org"}]
    assert list(Draft202012Validator(schema).iter_errors(bad))
