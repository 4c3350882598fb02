"""docs/language.md keeps step with the language: every step type and trigger type has
its own section that names each of its fields, and every field of the JSON Schema is
documented. A field added to a model but not to the reference fails here."""

from __future__ import annotations

import re
from typing import Any

import pytest

import engine
from engine.language import TRIGGER_TYPES
from engine.schema import workflow_schema
from engine.steps.base import Step
from engine.steps.registry import registry
from tests.conftest import ROOT

DOC = ROOT / "docs" / "language.md"
_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _sections(text: str) -> list[tuple[int, str, str]]:
    """(level, heading, body) of every markdown heading; `#` lines in code blocks are not headings."""
    sections: list[tuple[int, str, list[str]]] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            sections.append((len(match.group(1)), match.group(2), []))
        elif sections:
            sections[-1][2].append(line)
    # a section runs until the next heading of the same or a higher level
    result = []
    for index, (level, heading, lines) in enumerate(sections):
        body = list(lines)
        for later_level, later_heading, later_lines in sections[index + 1:]:
            if later_level <= level:
                break
            body += [later_heading, *later_lines]
        result.append((level, heading, "\n".join(body)))
    return result


@pytest.fixture(scope="module")
def doc() -> str:
    assert DOC.is_file(), "docs/language.md is missing"
    return DOC.read_text()


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return workflow_schema()


def _section_of(doc: str, name: str) -> str | None:
    """The body of the heading that names `name` in backticks, e.g. '### `for_each`'."""
    bodies = [body for _, heading, body in _sections(doc) if f"`{name}`" in heading]
    return "\n".join(bodies) if bodies else None


def _definition(schema: dict[str, Any], ref: str) -> tuple[str, dict[str, Any]]:
    name = ref.rsplit("/", 1)[-1]
    return name, schema["$defs"][name]


def _union_members(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`type` constant -> definition, for a discriminated union such as the steps or triggers."""
    members = {}
    for option in node.get("oneOf") or node.get("anyOf") or []:
        _, definition = _definition(schema, option["$ref"])
        members[definition["properties"]["type"]["const"]] = definition
    return members


def _step_definitions(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _union_members(schema, schema["$defs"]["Step"])


def _trigger_definitions(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _union_members(schema, schema["properties"]["triggers"]["items"])


COMMON_STEP_FIELDS = sorted((field.alias or name) for name, field in Step.model_fields.items())


@pytest.mark.parametrize("name", registry.names())
def test_every_step_type_has_a_section(doc: str, name: str):
    assert _section_of(doc, name) is not None, f"docs/language.md has no heading naming step type `{name}`"


@pytest.mark.parametrize("name", sorted(TRIGGER_TYPES))
def test_every_trigger_type_has_a_section(doc: str, name: str):
    assert _section_of(doc, name) is not None, f"docs/language.md has no heading naming trigger type `{name}`"


def test_the_schema_knows_the_same_step_and_trigger_types(schema: dict[str, Any]):
    assert sorted(_step_definitions(schema)) == registry.names()
    assert sorted(_trigger_definitions(schema)) == sorted(TRIGGER_TYPES)


def test_each_step_section_documents_the_step_s_own_fields(doc: str, schema: dict[str, Any]):
    missing = []
    for name, definition in _step_definitions(schema).items():
        section = _section_of(doc, name) or ""
        missing += [f"{name}.{field}" for field in definition["properties"]
                    if field not in COMMON_STEP_FIELDS and f"`{field}`" not in section]
    assert missing == [], f"fields not documented in their step's section: {missing}"


def test_each_trigger_section_documents_its_fields(doc: str, schema: dict[str, Any]):
    missing = []
    for name, definition in _trigger_definitions(schema).items():
        section = _section_of(doc, name) or ""
        missing += [f"{name}.{field}" for field in definition["properties"] if f"`{field}`" not in section]
    assert missing == [], f"fields not documented in their trigger's section: {missing}"


def test_common_step_fields_have_their_own_section(doc: str):
    sections = [body for _, heading, body in _sections(doc) if "common step fields" in heading.lower()]
    assert sections, "docs/language.md has no 'Common step fields' section"
    missing = [field for field in COMMON_STEP_FIELDS if f"`{field}`" not in sections[0]]
    assert missing == []


# Definitions documented in a section of their own: heading text (exact) or a backticked name in it.
DEFINITION_SECTIONS = {
    "InputSpec": "Inputs",
    "Defaults": "Defaults",
    "Limits": "Limits",
    "RetryPolicy": "Retry",
    "TestCase": "Tests",
    "TestExpectation": "Tests",
    "StepExpectation": "Tests",
    "TriggerContext": "Tests",
    "Memory": "`llm`",
    "Message": "`llm`",
    "SwitchCase": "`switch`",
}


def _named_section(doc: str, title: str) -> str:
    if title.startswith("`"):
        return _section_of(doc, title.strip("`")) or ""
    return "\n".join(body for _, heading, body in _sections(doc) if heading.strip().lower() == title.lower())


@pytest.mark.parametrize("definition", sorted(DEFINITION_SECTIONS))
def test_each_definition_is_documented_in_its_section(doc: str, schema: dict[str, Any], definition: str):
    title = DEFINITION_SECTIONS[definition]
    section = _named_section(doc, title)
    assert section, f"docs/language.md has no section {title!r}"
    fields = schema["$defs"][definition]["properties"]
    missing = [field for field in fields if f"`{field}`" not in section]
    assert missing == [], f"{definition} fields missing from section {title!r}: {missing}"


def test_every_property_in_the_schema_is_documented(doc: str, schema: dict[str, Any]):
    """Top level, defaults, limits, retry, inputs, tests and every other definition."""
    missing = [f"(top level).{field}" for field in schema["properties"] if f"`{field}`" not in doc]
    for name, definition in schema["$defs"].items():
        missing += [f"{name}.{field}" for field in definition.get("properties", {}) if f"`{field}`" not in doc]
    assert missing == [], f"fields missing from docs/language.md: {missing}"


def test_every_top_level_key_is_in_the_top_level_table(doc: str, schema: dict[str, Any]):
    section = next(body for _, heading, body in _sections(doc) if heading.lower().startswith("top-level keys"))
    missing = [field for field in schema["properties"] if f"| `{field}` |" not in section]
    assert missing == []


def test_complete_workflows_in_the_doc_are_valid(doc: str):
    blocks = re.findall(r"^```yaml\n(.*?)^```", doc, re.MULTILINE | re.DOTALL)
    complete = [block for block in blocks if re.search(r"^loom: 1$", block, re.MULTILINE)]
    assert complete, "the reference shows at least one complete workflow"
    for block in complete:
        engine.loads(block, "docs/language.md")
