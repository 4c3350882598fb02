"""Hostile YAML is refused with a clear, positioned problem: never a crash, a stall or a MemoryError.

The first of these was a 60 KB document of 30,000 nested `[` that killed `loom validate`
(and the server) with a segmentation fault inside libyaml's C composer. Nesting, node and
alias limits are now checked as the parser's events arrive, without recursion; the size
before any parsing. Text that merely looks deep (a block scalar, a quoted string, a
comment full of brackets) is text, and is read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import engine
from engine.loader.limits import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_NODES
from engine.loader.source import SourceError, parse
from tests.conftest import ROOT

from .hostile import (
    HEAD,
    NESTINGS,
    VALID_STEP,
    billion_laughs,
    flow_sequences,
    indented_mappings,
    many_aliases,
    wide_list,
)

DEEP = f"nesting is deeper than {MAX_DEPTH} levels"
LEVELS = [20_000, 30_000, 100_000]


def only_problem(text: str, **kwargs) -> engine.Problem:
    with pytest.raises(engine.ValidationError) as caught:
        engine.loads(text, **kwargs)
    problems = caught.value.problems
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


def timed_problem(text: str, limit_s: float = 2.0) -> engine.Problem:
    """The single problem of `text`, found within `limit_s` (generous: CI machines are shared)."""
    started = time.perf_counter()
    problem = only_problem(text)
    assert time.perf_counter() - started < limit_s
    return problem


def assert_deep(problem: engine.Problem, line: int) -> None:
    assert DEEP in problem.message, problem.format()
    assert problem.line == line and isinstance(problem.column, int) and problem.column > 1
    assert problem.hint and "flatten" in problem.hint


def loom_validate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`loom validate ...` as a person runs it: the installed script, in a fresh process."""
    script = shutil.which("loom", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "engine.cli"]
    return subprocess.run([*command, "validate", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


# ---- nesting: refused at the first level past the limit, however deep the text goes -----------


@pytest.mark.parametrize("levels", LEVELS)
@pytest.mark.parametrize("kind", sorted(NESTINGS))
def test_deep_nesting_is_a_problem_not_a_crash(kind: str, levels: int):
    text = NESTINGS[kind](levels)
    assert_deep(timed_problem(text), line=3 if kind in ("flow sequences", "flow mappings", "unclosed") else 4)


def test_the_problem_points_at_the_first_level_too_many():
    problem = only_problem(flow_sequences(30_000))
    # "steps: " is 7 characters; the root mapping is level 0, so the 65th `[` is the first refused
    assert (problem.line, problem.column) == (3, len("steps: ") + MAX_DEPTH + 1)
    assert problem.path.startswith("steps[0][0]")
    assert len(problem.path) < 40  # the outermost levels only, not 30,000 of them


def test_block_mappings_nested_by_indentation():
    problem = only_problem(indented_mappings(MAX_DEPTH * 4))
    assert_deep(problem, line=3 + MAX_DEPTH + 1)
    assert problem.path.startswith("steps.k0.k1")


def test_indentation_that_deep_is_refused_for_its_size_first():
    # one space a level: 2,000 levels are 2 MB of text, 20,000 levels would be 200 MB
    problem = timed_problem(indented_mappings(2_000))
    assert f"the limit is {MAX_BYTES}" in problem.message and (problem.line, problem.column) == (1, 1)


def test_indentation_past_the_size_limit_still_stops_at_the_depth_limit():
    text = indented_mappings(5_000)  # 12.5 MB, let through by a raised size limit
    started = time.perf_counter()
    problem = only_problem(text, max_bytes=len(text))
    assert time.perf_counter() - started < 2.0
    assert_deep(problem, line=3 + MAX_DEPTH + 1)


@pytest.mark.parametrize("kind", sorted(set(NESTINGS) - {"unclosed"}))
def test_nesting_under_the_limit_is_not_refused_for_depth(kind: str):
    """Some of these are refused for another reason (`? ? x` has a map for a key), never depth."""
    try:
        parse(NESTINGS[kind](MAX_DEPTH - 2))
    except SourceError as exc:
        assert all(DEEP not in p.message for p in exc.problems), [p.format() for p in exc.problems]


def test_exactly_the_limit_passes_and_one_more_fails():
    inside = parse("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n").data["a"]
    for _ in range(MAX_DEPTH - 1):
        inside = inside[0]
    assert inside == []
    problem = only_problem("a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n")
    assert DEEP in problem.message and problem.column == len("a: ") + MAX_DEPTH + 1
    problem = only_problem("a: " + "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH + "\n")  # a value one level too deep
    assert DEEP in problem.message and problem.column == len("a: ") + MAX_DEPTH + 1 and "flatten" in problem.hint


def test_depth_built_from_aliases_is_bounded_too():
    half = MAX_DEPTH // 2 + 8
    text = HEAD + "a: &a " + "[" * half + "1" + "]" * half + "\nb: " + "[" * half + "*a" + "]" * half + "\n"
    problem = only_problem(text)
    assert DEEP in problem.message and problem.line == 3  # where the aliased node starts
    assert problem.hint and "*aliases" in problem.hint


def test_no_recursion_on_the_c_stack_even_in_a_small_thread():
    """Threads may have far less stack than the main thread (a few hundred KB under musl or a
    custom `threading.stack_size`); reading without recursion makes that irrelevant."""
    results: list[object] = []

    def read() -> None:
        try:
            parse(flow_sequences(100_000))
        except SourceError as exc:
            results.append(exc.problems[0].message)
        results.append(parse((ROOT / "examples" / "url-digest.yaml").read_text()).data["name"])

    previous = threading.stack_size(256 * 1024)
    try:
        thread = threading.Thread(target=read)
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join(30)
    assert results == [DEEP, "url-digest"]


# ---- the real CLI, as a process: exit 1 with the message, never a signal -------------------------


@pytest.mark.parametrize("kind", ["flow sequences", "flow mappings", "block sequences"])
def test_loom_validate_exits_1_on_30k_levels(tmp_path: Path, kind: str):
    path = tmp_path / "deep.yaml"
    path.write_text(NESTINGS[kind](30_000))
    result = loom_validate(str(path), cwd=tmp_path)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])  # a crash is -11 (SIGSEGV)
    assert f"{path}:" in result.stderr and DEEP in result.stderr
    assert "1 of 1 file(s) invalid" in result.stderr


def test_loom_validate_json_on_100k_levels(tmp_path: Path):
    path = tmp_path / "deep.yaml"
    path.write_text(flow_sequences(100_000))
    result = loom_validate(str(path), "--json", cwd=tmp_path)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    (report,) = json.loads(result.stdout)
    (error,) = report["errors"]
    assert report["valid"] is False and DEEP in error["message"]
    assert error["line"] == 3 and error["column"] == len("steps: ") + MAX_DEPTH + 1 and error["hint"]


# ---- aliases: bounded references, bounded expansion ----------------------------------------------


def test_billion_laughs_is_refused_fast_and_small():
    problem = timed_problem(billion_laughs(), limit_s=0.5)
    assert f"more than {MAX_ALIASES} alias expansions" in problem.message
    assert problem.line == 1 and problem.path.startswith("lol")  # the expanded list, where it is defined


def test_a_wider_bomb_is_refused_for_its_alias_count_while_parsing():
    problem = timed_problem(billion_laughs(levels=12, width=50), limit_s=0.5)
    assert f"more than {MAX_ALIASES} aliases" in problem.message
    assert problem.line is not None and problem.hint


def test_aliases_past_the_limit_are_refused_where_they_are():
    assert parse(many_aliases(MAX_ALIASES)).data["b"] == ["x"] * MAX_ALIASES
    problem = timed_problem(many_aliases(MAX_ALIASES + 1))
    assert f"more than {MAX_ALIASES} aliases" in problem.message
    assert problem.line == 4 and problem.path == f"b[{MAX_ALIASES}]"


def test_a_flat_list_of_a_million_bytes_stops_at_the_node_limit():
    text = wide_list(MAX_BYTES // 2 - 100)
    assert len(text) <= MAX_BYTES
    problem = timed_problem(text, limit_s=10.0)
    assert f"more than {MAX_NODES} nodes" in problem.message and problem.line == 3


# ---- size, tags, long lines -------------------------------------------------------------------


def test_a_5_mib_document_is_refused_before_parsing():
    text = HEAD + "steps: [" + "[1], " * (5 * 1024 * 1024 // 5) + "]\n"
    problem = timed_problem(text, limit_s=0.5)
    assert f"document is {len(text)} bytes; the limit is {MAX_BYTES}" in problem.message
    assert (problem.line, problem.column) == (1, 1)


def test_a_5_mib_file_is_refused_before_it_is_decoded(tmp_path: Path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(HEAD.encode() + b"steps: [" + b"[" * (5 * 1024 * 1024))
    with pytest.raises(engine.ValidationError) as caught:
        engine.load(path)
    (problem,) = caught.value.problems
    assert f"the limit is {MAX_BYTES}" in problem.message and problem.line == 1


@pytest.mark.parametrize("tagged", [
    "!!python/object:os.system {}",
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:builtins.int [1]",
    "!!python/name:os.system ''",
    "!!python/module:os ''",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!custom value",
    "!<tag:example.com,2026:thing> value",
])
def test_tags_are_refused_and_never_constructed(tmp_path: Path, tagged: str):
    marker = tmp_path / "pwned"
    problem = only_problem(HEAD + "steps: " + tagged.replace("{marker}", str(marker)) + "\n")
    assert "unsupported YAML tag" in problem.message
    assert problem.line == 3 and problem.path == "steps"
    assert not marker.exists()


def test_a_long_line_of_text_is_read():
    text = HEAD.replace("deep", "t") + VALID_STEP + "x" * (MAX_BYTES - 200) + "\n"
    started = time.perf_counter()
    workflow = engine.loads(text)
    assert time.perf_counter() - started < 5.0
    assert len(workflow.steps[0].text) == MAX_BYTES - 200


def test_a_long_key_is_a_syntax_problem_with_its_line():
    problem = only_problem(HEAD + "k" * 5000 + ": 1\n")
    assert problem.message.startswith("YAML syntax error") and problem.line == 3


# ---- brackets inside text are text ------------------------------------------------------------------


@pytest.mark.parametrize("text_value", [
    "|\n      " + "[" * 100_000,
    ">\n      " + "{" * 50_000 + "[" * 50_000,
    '"' + "[{" * 50_000 + '"',
    "'" + "[" * 100_000 + "'",
    "a" + "[" * 100_000,
])
def test_deep_looking_text_is_not_refused(text_value: str):
    workflow = engine.loads(HEAD.replace("deep", "t") + VALID_STEP + text_value + "\n")
    assert workflow.steps[0].text.count("[") + workflow.steps[0].text.count("{") >= 100_000


def test_a_comment_full_of_brackets_is_not_refused():
    text = "# " + "[" * 100_000 + "\n" + HEAD.replace("deep", "t") + VALID_STEP + "hi  # " + "{" * 100_000 + "\n"
    assert engine.loads(text).steps[0].text == "hi"
