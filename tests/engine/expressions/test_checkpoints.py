"""Cost checkpoints change where an evaluation may stop, never what it computes: the
rewritten source compiles and gives the same value as the original, for generated
expressions and for every expression written in the examples, the docs and the tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.expressions import (
    BUDGET_FUNCTION,
    MAX_SOURCE_CHARS,
    CompileError,
    TemplateError,
    cel,
    checkpointed,
    compile_expression,
    find_segments,
    references,
)

ROOT = Path(__file__).resolve().parents[3]
CONTEXT = {"a": [1, 2, 3], "b": {"k": [4, 5], "s": "text"}, "n": 2, "s": "map(x, y)"}


def guarded_value(source: str, context: dict | None = None):
    guarded = checkpointed(source) or source
    return _outcome(guarded, cel.Context(variables=context or CONTEXT, functions={BUDGET_FUNCTION: lambda: True}))


def plain_value(source: str, context: dict | None = None):
    return _outcome(source, context or CONTEXT)


def _outcome(source: str, context):
    try:
        return ("value", cel.compile(source).execute(context))
    except Exception as exc:  # the same kind of failure on both sides is the same outcome
        return ("error", type(exc).__name__)


@pytest.mark.parametrize("source", [
    "steps.fetch.output.status == 200",
    "inputs.a + inputs.b",
    "size(inputs.items) > 0 && inputs.ok",
    "'a' + 'b' + 'c'",
    "has(steps.fetch.output.json.next)",
])
def test_a_simple_expression_gets_no_checkpoints(source: str):
    assert checkpointed(source) is None


def test_comprehension_bodies_and_reads_get_checkpoints():
    assert checkpointed("inputs.items.map(x, x.name)") == (
        f"({BUDGET_FUNCTION}() ? inputs : null).items.map(x, {BUDGET_FUNCTION}() ? (x.name) : null)")
    assert checkpointed("a + a + a + a + a").count(BUDGET_FUNCTION) == 5


def test_a_name_at_the_end_of_a_body_nests_inside_it():
    assert checkpointed("l.map(x, inputs)") == (
        f"({BUDGET_FUNCTION}() ? l : null).map(x, {BUDGET_FUNCTION}() ? "
        f"(({BUDGET_FUNCTION}() ? inputs : null)) : null)")


def test_strings_comments_and_hex_numbers_are_not_code():
    source = "a.map(x, 'y.map(z, z)' + s) // .map(q, q)\n + [0x1F]"
    guarded = checkpointed(source)
    assert guarded is not None and guarded.count(BUDGET_FUNCTION) == 3  # body, `a`, `s`
    assert "'y.map(z, z)'" in guarded and "0x1F" in guarded
    assert references("0x1F + n").names == {"n"}


@pytest.mark.parametrize("source", [
    "a.map(x, x * 2)",
    "a.map(x, x > 1, x * 10)",
    "a.filter(x, x % 2 == 1).map(y, y + n)",
    "a.all(x, a.exists(y, y == x))",
    "a.exists_one(x, x == 2) && a.existsOne(x, x == 3)",
    "b.map(k, k).size() == 2 && b.all(k, k in b)",
    "b.k.map(x, [x, {'v': x}, b.s])",
    "has(b.k) && b.k.filter(x, has(b.s)).size() == 2",
    "a.map(x, a.map(y, x * y))",
    "a + a + a + a + a + a",
    "[a, a, a, a, a][4][1]",
    "n > 1 ? a.map(x, x) : []",
    "a.exists(x, x == 1) || a.map(x, 1 / (x - x)).size() > 0",
    "a.map(x, x / 0)",
    "b.s + s + s + s + b.s",
])
def test_checkpoints_keep_the_value(source: str):
    assert checkpointed(source) is not None
    assert guarded_value(source) == plain_value(source)


_LEAVES = st.sampled_from(["1", "2", "n", "a", "b.k", "[1, 2]", "[]", "x", "'s'", "s", "true"])


def _grow(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from([" + ", " == ", " * ", " && ", " in "]), inner).map("".join),
        st.tuples(st.sampled_from(["map", "filter", "all", "exists", "exists_one"]), inner, inner)
        .map(lambda t: f"({t[1]}).{t[0]}(x, {t[2]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        st.tuples(inner, inner).map(lambda t: f"[{t[0]}, {t[1]}]"),
        inner.map(lambda e: f"size({e})"),
        inner.map(lambda e: f"({e})"),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(_LEAVES, _grow, max_leaves=12))
def test_generated_expressions_evaluate_alike_with_checkpoints(source: str):
    source = f"[0].map(q, {source})"  # one comprehension around it: every read inside gets a checkpoint
    try:
        cel.compile(source)
    except ValueError:
        return  # not CEL: nothing to compare
    assert guarded_value(source) == plain_value(source), checkpointed(source)


def _written_expressions() -> set[str]:
    found = set()
    for pattern in ("examples/**/*.yaml", "chatbuilder/**/*.yaml", "docs/**/*.md", "tests/**/*.py"):
        for path in ROOT.glob(pattern):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    found.update(segment.source.replace('\\"', '"') for segment in find_segments(line))
                except TemplateError:
                    continue
    return found


def test_every_written_expression_that_compiles_compiles_with_its_checkpoints():
    checked = 0
    for source in _written_expressions():
        try:
            cel.compile(source)
        except ValueError:
            continue
        compile_expression(source)  # raises CompileError if the checkpointed form does not compile
        checked += 1
    assert checked > 200


def test_an_expression_over_the_length_limit_is_refused_where_it_passes_the_limit():
    with pytest.raises(CompileError) as caught:
        compile_expression("+".join(["1"] * (MAX_SOURCE_CHARS // 2 + 1)))
    assert "at most 8,192" in caught.value.message and caught.value.column == MAX_SOURCE_CHARS + 1
    compile_expression("+".join(["1"] * (MAX_SOURCE_CHARS // 2)))  # 8,191 characters: fine
