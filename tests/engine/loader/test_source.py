"""Safe YAML reading: no object construction, bounded expansion, YAML 1.2 scalars, positions."""

from __future__ import annotations

import time

import pytest

import engine
from engine.loader.source import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, parse

VALID = "loom: 1\nname: t\nsteps:\n  - id: a\n    type: reply\n    text: hi\n"


def problems_of(text: str, **kwargs) -> list[engine.Problem]:
    with pytest.raises(engine.ValidationError) as caught:
        engine.loads(text, **kwargs)
    return caught.value.problems


def only_problem(text: str, **kwargs) -> engine.Problem:
    problems = problems_of(text, **kwargs)
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


# ---- no code runs, whatever the tags say --------------------------------------------------


@pytest.mark.parametrize("text", [
    "!!python/object/apply:os.system ['touch /tmp/loom-pwned']\n",
    "loom: 1\nname: !!python/object:builtins.dict {}\nsteps: []\n",
    "loom: 1\nname: !!python/name:os.system ''\nsteps: []\n",
    "loom: !!python/object/new:builtins.int [1]\n",
    "loom: 1\nname: t\nsteps: !!set {a}\n",
    "loom: 1\nname: !!binary aGVsbG8=\n",
    "loom: 1\nname: !custom t\n",
])
def test_unsupported_tags_are_rejected(text: str):
    problem = only_problem(text)
    assert "unsupported YAML tag" in problem.message
    assert problem.line is not None and problem.column is not None


def test_python_object_tag_is_never_constructed(tmp_path):
    marker = tmp_path / "pwned"
    text = f"loom: 1\nname: !!python/object/apply:os.system ['touch {marker}']\n"
    problem = only_problem(text)
    assert problem.path == "name" and problem.line == 2
    assert not marker.exists()


# ---- bounded expansion ---------------------------------------------------------------------


def billion_laughs(levels: int = 9) -> str:
    text = 'lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, levels + 1):
        items = ", ".join([f"*lol{level - 1}"] * 9)
        text += f"lol{level}: &lol{level} [{items}]\n"
    return text


def test_billion_laughs_fails_fast_with_a_clear_message():
    start = time.perf_counter()
    problem = only_problem(billion_laughs())
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    assert f"more than {MAX_ALIASES} alias expansions" in problem.message
    assert problem.line is not None


def test_billion_laughs_of_scalars_fails_fast():
    text = "s: &s lol\n" + "".join(
        f"l{i}: &l{i} [{', '.join(['*' + ('s' if i == 0 else f'l{i - 1}')] * 10)}]\n" for i in range(8)
    )
    start = time.perf_counter()
    problem = only_problem(text)
    assert time.perf_counter() - start < 0.5
    assert "expan" in problem.message


def test_a_few_aliases_are_fine():
    text = VALID + "defaults:\n  retry: &r {max_attempts: 2}\nlimits: {max_steps: 10}\n"
    text += "on_error:\n  - {id: b, type: reply, text: oops, retry: *r}\n"
    workflow = engine.loads(text)
    assert workflow.on_error[0].retry.max_attempts == 2


@pytest.mark.parametrize("text", ["a: &a\n  b: *a\n", "a: &a [*a]\n", "a: &a [1, [2, *a]]\n"])
def test_self_referential_alias_is_rejected(text: str):
    problem = only_problem(text)
    assert "alias refers to a node that contains it" in problem.message
    assert problem.line == 1 and problem.column is not None


def test_depth_limit_on_flow_collections():
    problem = only_problem("loom: " + "[" * 100 + "]" * 100 + "\n")
    assert f"deeper than {MAX_DEPTH} levels" in problem.message
    assert problem.line == 1


def test_depth_limit_on_block_mappings():
    depth = MAX_DEPTH + 10
    text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "leaf\n"
    problem = only_problem(text)
    assert f"deeper than {MAX_DEPTH} levels" in problem.message
    assert problem.line == MAX_DEPTH + 2


def test_nesting_within_the_limit_is_read():
    source = parse("a: " + "[" * 30 + "1" + "]" * 30 + "\n")
    value = source.data["a"]
    for _ in range(29):
        value = value[0]
    assert value == [1]


# ---- size -----------------------------------------------------------------------------------


def test_documents_over_one_mebibyte_are_rejected():
    text = VALID + "# " + "x" * MAX_BYTES + "\n"
    start = time.perf_counter()
    problem = only_problem(text)
    assert time.perf_counter() - start < 0.5
    assert f"the limit is {MAX_BYTES}" in problem.message
    assert (problem.line, problem.column) == (1, 1)


def test_size_is_counted_in_utf8_bytes():
    text = VALID + "description: " + "é" * (MAX_BYTES // 2) + "\n"
    assert len(text) < MAX_BYTES < len(text.encode())
    assert "bytes; the limit is" in only_problem(text).message


def test_max_bytes_parameter():
    assert engine.loads(VALID, max_bytes=len(VALID)).name == "t"
    problem = only_problem(VALID, max_bytes=len(VALID) - 1)
    assert f"document is {len(VALID)} bytes; the limit is {len(VALID) - 1}" in problem.message


def test_load_refuses_big_files_before_reading_them_as_text(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(VALID.encode() + b"#" + b"x" * MAX_BYTES)
    with pytest.raises(engine.ValidationError) as caught:
        engine.load(path)
    (problem,) = caught.value.problems
    assert "the limit is" in problem.message and problem.file == str(path)


# ---- duplicate keys ------------------------------------------------------------------------


def test_duplicate_keys_report_both_lines():
    problem = only_problem("loom: 1\nname: t\nsteps: []\nname: u\n")
    assert problem.path == "name"
    assert problem.line == 4 and problem.column == 1
    assert "first defined on line 2" in problem.message


def test_every_duplicate_key_is_reported():
    problems = problems_of("loom: 1\nname: t\nname: u\nsteps: []\nloom: 1\n")
    assert [(p.path, p.line) for p in problems] == [("name", 3), ("loom", 5)]


def test_duplicate_keys_in_flow_mappings():
    problem = only_problem("loom: 1\nname: t\nsteps:\n  - {id: a, type: reply, id: b, text: hi}\n")
    assert problem.path == "steps[0].id"
    assert problem.line == 4
    assert "first defined on line 4" in problem.message


# ---- YAML 1.2 scalars ----------------------------------------------------------------------


def test_yes_no_on_off_are_strings():
    data = parse("a: yes\nb: no\non: x\nc: off\nd: Y\ne: N\nf: true\ng: false\n").data
    assert data == {"a": "yes", "b": "no", "on": "x", "c": "off", "d": "Y", "e": "N", "f": True, "g": False}


def test_dates_and_times_stay_strings():
    data = parse("d: 2024-01-02\nt: 2024-01-02T10:00:00Z\nclock: 12:30\n").data
    assert data == {"d": "2024-01-02", "t": "2024-01-02T10:00:00Z", "clock": "12:30"}


def test_numbers_follow_yaml_1_2():
    data = parse("a: 012\nb: 0o17\nc: 0x1F\nd: 1e3\ne: -2.5\nf: 1_000\ng: 0b11\nh: ~\ni: null\n").data
    assert data == {"a": 12, "b": 15, "c": 31, "d": 1000.0, "e": -2.5, "f": "1_000", "g": "0b11",
                    "h": None, "i": None}


def test_on_stays_a_key_in_a_loaded_workflow():
    text = VALID.replace("text: hi", "text: hi\n    retry: {on: [timeout]}")
    assert engine.loads(text).steps[0].retry.on == ["timeout"]


def test_yes_is_text_in_a_reply():
    assert engine.loads(VALID.replace("text: hi", "text: yes")).steps[0].text == "yes"


# ---- every problem has a position ----------------------------------------------------------


@pytest.mark.parametrize("text", [
    "a: [1, 2\n",
    "a: b: c\n",
    "\t- a\n",
    "key: 'unterminated\n",
    "--- a\n--- b\n",
    "? [a]\n: 1\n",
    "a: *nowhere\n",
    "loom: 1\nname: t\nsteps:\n  - <<: {id: a}\n    type: reply\n",
    "\x00",
    "a: 1\nb: x\x07y\n",
    "",
    "   \n\n",
    "null\n",
    "42\n",
    "[]\n",
])
def test_every_problem_has_a_line_and_column(text: str):
    for problem in problems_of(text):
        assert isinstance(problem.line, int) and problem.line >= 1, problem
        assert isinstance(problem.column, int) and problem.column >= 1, problem
        assert problem.message


def test_lone_surrogates_are_a_problem_not_a_crash():
    text = b"loom: 1\nname: \xff\n".decode("utf-8", "surrogateescape")
    problem = only_problem(text)
    assert (problem.line, problem.column) == (2, 7)
    assert "not valid Unicode" in problem.message


def test_control_character_position():
    problem = only_problem("a: 1\nb: x\x07y\n")
    assert (problem.line, problem.column) == (2, 5)
    assert "U+0007" in problem.message


def test_positions_of_keys_and_values():
    source = parse(VALID)
    assert source.position(("steps", 0, "text")) == (6, 11)
    assert source.position(("steps", 0, "text"), key=True) == (6, 5)
    assert source.position(("steps", 0, "nope")) == (4, 5)
    assert source.locate(("steps", 0, "text"), "i") == (6, 12)
