"""Run inputs typed in the UI: a field per input, typed values, and errors that name the input."""

from __future__ import annotations

import pytest

import engine
from chatbuilder.ui.forms import FormError, collect_inputs, form_fields, inputs_template, parse_inputs_json
from engine.runtime.inputs import resolve_inputs

WORKFLOW = engine.loads("""\
loom: 1
name: inputs
inputs:
  who: {type: string, description: Who to greet}
  times: {type: integer, default: 2}
  ratio: {type: number, default: 0.5}
  tone: {type: string, enum: [warm, formal], default: warm}
  loud: {type: boolean, default: false}
  tags: {type: array, default: [a]}
  extra: {type: object, required: false}
steps:
  - {id: hi, type: reply, text: hi}
""")


def test_each_input_gets_a_field_of_its_type_prefilled_with_its_default():
    fields = {f.name: f for f in form_fields(WORKFLOW)}
    assert (fields["who"].kind, fields["who"].label, fields["who"].info) == (
        "text", "who (string, required)", "Who to greet")
    assert (fields["times"].kind, fields["times"].value) == ("integer", 2)
    assert (fields["tone"].kind, fields["tone"].choices, fields["tone"].value) == ("dropdown", ("warm", "formal"),
                                                                                   "warm")
    assert (fields["loud"].kind, fields["loud"].value) == ("checkbox", False)
    assert (fields["tags"].kind, fields["tags"].value) == ("json", '[\n  "a"\n]')
    assert fields["extra"].required is False


def values(**given):
    defaults = {"who": "Ada", "times": 2, "ratio": 0.5, "tone": "warm", "loud": False, "tags": '["a"]', "extra": ""}
    return [{**defaults, **given}[f.name] for f in form_fields(WORKFLOW)]


def test_form_values_become_inputs_the_engine_accepts():
    inputs = collect_inputs(form_fields(WORKFLOW), values(times=3.0, tags='["x", "y"]', extra=""))
    assert inputs == {"who": "Ada", "times": 3, "ratio": 0.5, "tone": "warm", "loud": False, "tags": ["x", "y"]}
    assert resolve_inputs(WORKFLOW, inputs)["extra"] is None


def test_a_blank_required_field_is_left_for_the_engine_to_name():
    inputs = collect_inputs(form_fields(WORKFLOW), values(who="  "))
    assert "who" not in inputs
    with pytest.raises(engine.InputError, match="missing required input 'who'"):
        resolve_inputs(WORKFLOW, inputs)


def test_bad_json_and_fractions_name_the_input():
    with pytest.raises(FormError, match=r"input 'tags': not valid JSON: .* \(line 1, column 6\)"):
        collect_inputs(form_fields(WORKFLOW), values(tags='["x",'))
    with pytest.raises(FormError, match=r"input 'times': expected a whole number, got 2\.5"):
        collect_inputs(form_fields(WORKFLOW), values(times=2.5))


def test_the_json_box_starts_from_every_input_and_refuses_what_is_not_an_object():
    assert parse_inputs_json(inputs_template(WORKFLOW)) == {
        "who": "", "times": 2, "ratio": 0.5, "tone": "warm", "loud": False, "tags": ["a"], "extra": {}}
    assert parse_inputs_json("  ") == {}
    with pytest.raises(FormError, match="inputs: expected a JSON object"):
        parse_inputs_json("[1]")
    with pytest.raises(FormError, match=r"inputs: not valid JSON: .* \(line 2, column 1\)"):
        parse_inputs_json('{"who":\n')
