"""What the model is told, and how its answers are read."""

from __future__ import annotations

import pytest

import engine
from chatbuilder.answer import read_answer
from chatbuilder.examples import HERE, choose, examples
from chatbuilder.prompt import messages_for, repair_message
from chatbuilder.reference import language_reference
from engine.steps.registry import registry
from tests.conftest import ROOT

from .workflows import DIGEST


def test_the_reference_names_every_step_and_trigger_type_and_stays_compact():
    reference = language_reference()
    registry.build()
    for kind in ("http", "llm", "reply", "send", "for_each", "approval", "telegram", "whatsapp", "webhook", "cron"):
        assert f"- {kind}: {{" in reference
    assert "secrets.<NAME>" in reference and "${{" in reference
    assert len(reference) < 6000  # about 1,500 tokens: room left for examples and the conversation


def test_the_shipped_examples_are_valid_and_match_the_repository_examples():
    # The package ships its own copy (an installed builder has no repository); it must not drift.
    # (The copy leaves out the editor's schema comment, which would only cost prompt tokens.)
    def text(path):
        return "".join(line for line in path.read_text().splitlines(True)
                       if not line.startswith("# yaml-language-server:"))

    shipped = {path.name: text(path) for path in HERE.glob("*.yaml")}
    assert shipped == {path.name: text(path) for path in (ROOT / "examples").glob("*.yaml")}, \
        "copy examples/*.yaml into chatbuilder/examples/"
    for example in examples():
        assert engine.loads(example.text).name == example.name


@pytest.mark.parametrize(("request_text", "expected"), [
    ("ask a manager to approve each expense", "expense-request"),
    ("translate my messages with a local model", "translate-bot"),
    ("every night total the orders in the database and email sales", "nightly-sales-report"),
])
def test_examples_are_chosen_for_the_request(request_text, expected):
    assert expected in [example.name for example in choose(request_text)]


def test_the_prompt_carries_examples_history_and_the_current_version():
    messages = messages_for("also send it to whatsapp", [], DIGEST, structured=False)
    assert messages[0]["role"] == "system" and "# Example: " in messages[0]["content"]
    assert "```yaml fenced block" in messages[0]["content"]
    assert messages[-1]["content"].startswith("The current version of the workflow:\n```yaml\nloom: 1")
    assert messages[-1]["content"].endswith("also send it to whatsapp")


def test_the_repair_message_quotes_line_path_message_and_hint():
    text = repair_message([{"path": "steps[0].urll", "line": 11, "column": 5, "message": "unknown field 'urll'",
                            "hint": "did you mean 'url'?"}, {"path": "", "line": None, "column": None,
                                                             "message": "no document", "hint": None}])
    assert "- line 11, column 5: steps[0].urll: unknown field 'urll' (hint: did you mean 'url'?)" in text
    assert "- document: (document): no document" in text


@pytest.mark.parametrize(("answer", "reply", "yaml"), [
    ('{"reply": "Done.", "yaml": "loom: 1\\nname: x\\n"}', "Done.", "loom: 1\nname: x\n"),
    ('{"reply": "Raw newline", "yaml": "loom: 1\nname: x"}', "Raw newline", "loom: 1\nname: x\n"),
    ('{"reply": "Fenced inside", "yaml": "```yaml\\nloom: 1\\n```"}', "Fenced inside", "loom: 1\n"),
    ("Here it is:\n\n```yaml\nloom: 1\nname: x\n```\nEnjoy.", "Here it is:\n\nEnjoy.", "loom: 1\nname: x\n"),
    ("```json\n{\"reply\": \"J\", \"yaml\": \"loom: 1\"}\n```", "J", "loom: 1\n"),
    ("Sure.\nloom: 1\nname: x", "Sure.", "loom: 1\nname: x\n"),
    ("I cannot help with that.", "I cannot help with that.", ""),
    ("```yaml\nloom: 1\nname: x", "", "loom: 1\nname: x\n"),  # cut off before the closing fence
])
def test_answers_are_read_in_every_shape_models_give_them(answer, reply, yaml):
    assert read_answer(answer) == (reply, yaml)
