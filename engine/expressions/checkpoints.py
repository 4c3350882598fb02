"""Checkpoints written into an expression's source, where its evaluation may be stopped.

The CEL library (`cel` 0.14 under common-expression-language 0.10) evaluates an expression
to its end while holding the GIL: it has no cost limit, no way to interrupt it and does not
release the GIL, so a thread with a deadline would not stop it either. Measured here, its
comprehensions copy their growing result at every element (`items.map(x, x)` costs the
square of the list's length: 2.4 s for 8,000 items), and `a + a + ...` copies the growing
list at every `+` (a hundred references to a 100,000-item input: 36 s and 1.4 GB).

The only code it calls back during an evaluation is a function in its context. So before
compiling we write a call to one, `BUDGET_FUNCTION`, in front of every place where work can
repeat or grow:

- the body of every comprehension (`all`, `exists`, `exists_one`, `map`, `filter`), which
  runs once per element: `items.map(x, BODY)` becomes
  `items.map(x, __loom_budget__() ? (BODY) : null)`;
- every read of a scope name, before its value is copied into a new list, map or string:
  `inputs.items` becomes `(__loom_budget__() ? inputs : null).items`.

While the budget lasts the function returns true and nothing changes; once it is spent it
returns null, and `null ? ... : ...` is a type error that ends the evaluation at once.

An expression with no comprehension that reads at most `MAX_PLAIN_READS` names gets no
checkpoints and is evaluated as written (the hot path): it costs a small multiple of the
data it reads, which putting that data into CEL's context already costs, and literals are
bounded by the source's length (`MAX_SOURCE_CHARS` in `compiler.py`).
"""

from __future__ import annotations

from .references import Token, free_names, macro_at, tokenize

BUDGET_FUNCTION = "__loom_budget__"
MAX_PLAIN_READS = 4
ITERATING = frozenset({"all", "exists", "exists_one", "existsOne", "map", "filter"})
"""The macros of this CEL that evaluate their body once per element."""

_GUARD = f"{BUDGET_FUNCTION}() ? "
_CLOSE_NAME, _CLOSE_BODY, _OPEN_BODY, _OPEN_NAME = range(4)  # order of inserts at one offset
_CLOSERS = {")", "]", "}"}
_OPENERS = {"(", "[", "{"}


def checkpointed(source: str) -> str | None:
    """The source with a checkpoint before each comprehension body and each read of a name,
    or None when the expression needs none (no comprehension, few reads)."""
    tokens = tokenize(source)
    bodies = [_body(tokens, i) for i in range(len(tokens)) if macro_at(tokens, i, ITERATING)]
    reads = free_names(tokens)
    if not bodies and len(reads) <= MAX_PLAIN_READS:
        return None
    inserts: list[tuple[int, int, str]] = []
    for start, end in bodies:
        inserts += [(start, _OPEN_BODY, _GUARD + "("), (end, _CLOSE_BODY, ") : null")]
    for index in reads:
        _, name, offset = tokens[index]
        inserts += [(offset, _OPEN_NAME, "(" + _GUARD), (offset + len(name), _CLOSE_NAME, " : null)")]
    return _apply(source, inserts)


def _body(tokens: list[Token], macro: int) -> tuple[int, int]:
    """Source offsets of the argument after the variable of the macro at tokens[macro]:
    the body, or with `map(x, predicate, transform)` the predicate (run for every element too)."""
    first = macro + 4  # `name ( var ,` then the body
    depth = 0
    for kind, text, offset in tokens[first:]:
        if kind == "op" and text in _OPENERS:
            depth += 1
        elif kind == "op" and (text in _CLOSERS or text == ",") and depth == 0:
            return _offset(tokens, first), offset
        elif kind == "op" and text in _CLOSERS:
            depth -= 1
    return _offset(tokens, first), tokens[-1][2] + len(tokens[-1][1])  # unclosed: CEL refuses it anyway


def _offset(tokens: list[Token], index: int) -> int:
    return tokens[index][2] if index < len(tokens) else tokens[-1][2] + len(tokens[-1][1])


def _apply(source: str, inserts: list[tuple[int, int, str]]) -> str:
    """`source` with each text inserted at its offset; at one offset, in the order of their
    ranks, so that what closes comes before what opens and a name nests inside its body."""
    parts, cursor = [], 0
    for offset, _, text in sorted(inserts):
        parts += [source[cursor:offset], text]
        cursor = offset
    parts.append(source[cursor:])
    return "".join(parts)
