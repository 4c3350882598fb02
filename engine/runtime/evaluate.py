"""Evaluating expressions and templates against a run's scope.

Each distinct expression text is prepared once (per process): a plain path such as
`steps.fetch.output.status` becomes a direct lookup, anything else a compiled CEL
program plus the names it reads. CEL converts every value put in its context, so
we bind only those names, and of `steps` only the ids referenced: the cost of an
evaluation does not grow with the size of the run's state.

An expression that could run long (a comprehension, or many reads of the scope) is evaluated
in its checkpointed form against a `Budget`: once the budget is spent CEL stops and the step
fails with kind `limit`, so no expression holds the event loop (and the GIL) for longer than
`EVALUATION_BUDGET_S`. The others, plain paths included, are evaluated exactly as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..errors import ErrorKind, StepError
from ..expressions import (
    BUDGET_FUNCTION,
    Budget,
    cel,
    compile_expression,
    compile_guarded,
    find_segments,
    references,
    single_expression,
)

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
NOT_RUN = {"output": None, "status": "skipped", "error": None}


@dataclass(frozen=True, slots=True)
class Prepared:
    source: str
    path: tuple[str, ...] | None  # set for plain paths: evaluated without CEL
    program: Any
    roots: frozenset[str]
    step_ids: frozenset[str]
    guarded: bool = False  # `program` has cost checkpoints and needs a Budget


@lru_cache(maxsize=8192)
def prepare(source: str) -> Prepared:
    if _PATH.match(source) and source not in ("true", "false", "null"):
        parts = tuple(source.split("."))
        steps = frozenset({parts[1]}) if parts[0] == "steps" and len(parts) > 1 else frozenset()
        return Prepared(source, parts, None, frozenset({parts[0]}), steps)
    program = compile_expression(source)
    guarded = compile_guarded(source)
    refs = references(source)
    step_ids = frozenset(member for root, member, _ in refs.members if root == "steps")
    return Prepared(source, None, program if guarded is None else guarded, frozenset(refs.names), step_ids,
                    guarded is not None)


@lru_cache(maxsize=8192)
def _template(text: str) -> tuple[str | None, tuple[tuple[str, Prepared | None], ...]]:
    """A string as (single expression, or None) and its parts: literal text or expressions."""
    if "${{" not in text:
        return None, ((text, None),)
    single = single_expression(text)
    if single is not None:
        return single, ()
    parts: list[tuple[str, Prepared | None]] = []
    cursor = 0
    for segment in find_segments(text):
        parts.append((text[cursor:segment.start], None))
        parts.append(("", prepare(segment.source)))
        cursor = segment.end
    parts.append((text[cursor:], None))
    return None, tuple(p for p in parts if p[0] or p[1])


def evaluate(prepared: Prepared, scope: Mapping[str, Any]) -> Any:
    try:
        if prepared.path is not None:
            return _lookup(prepared.path, scope)
        if prepared.guarded:
            return _budgeted(prepared, scope)
        return prepared.program.execute(_context(prepared, scope))
    except StepError:
        raise
    except Exception as exc:  # CEL reports missing keys and type errors with plain exceptions
        raise StepError(f"expression `{prepared.source}` failed: {_describe(exc)}", "expression") from None


def expression(text: str | bool, scope: Mapping[str, Any]) -> Any:
    """An expression field: `${{ expr }}` or bare CEL."""
    if isinstance(text, bool):
        return text
    single = single_expression(text)
    return evaluate(prepare(single if single is not None else text), scope)


def render(value: Any, scope: Mapping[str, Any]) -> Any:
    """A template value: strings with `${{ }}` anywhere inside dicts and lists are evaluated."""
    if isinstance(value, str):
        if "${{" not in value:
            return value
        single, parts = _template(value)
        if single is not None:
            return evaluate(prepare(single), scope)
        return "".join(text if p is None else _as_text(evaluate(p, scope)) for text, p in parts)
    if isinstance(value, dict):
        return {key: render(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, scope) for item in value]
    return value


def truthy(value: Any) -> bool:
    return bool(value)


def _lookup(path: tuple[str, ...], scope: Mapping[str, Any]) -> Any:
    head = path[0]
    if head not in scope:
        raise StepError(f"`{head}` is not defined here", "expression")
    value = scope[head]
    for index, part in enumerate(path[1:], 1):
        if isinstance(value, Mapping):
            if part in value:
                value = value[part]
            elif head == "steps" and index == 1:
                value = NOT_RUN
            else:
                raise StepError(f"`{'.'.join(path[:index])}` has no field '{part}'", "expression")
        elif value is None:
            raise StepError(f"`{'.'.join(path[:index])}` is null, so it has no field '{part}'", "expression")
        else:
            raise StepError(f"`{'.'.join(path[:index])}` is not an object", "expression")
    return value


def _budgeted(prepared: Prepared, scope: Mapping[str, Any]) -> Any:
    """Evaluate a checkpointed program; a spent budget wins over whatever CEL made of the stop
    (an error, or a value when `|| true` swallowed it)."""
    context = cel.Context(variables=_context(prepared, scope))
    budget = Budget()  # after the conversion into CEL, which costs what it costs for every expression
    context.add_function(BUDGET_FUNCTION, budget)
    try:
        value = prepared.program.execute(context)
    except Exception:
        if not budget.spent:
            raise
    if budget.spent:
        raise StepError(_over_budget(prepared.source, budget.seconds), ErrorKind.LIMIT)
    return value


def _over_budget(source: str, seconds: float) -> str:
    shown = source if len(source) <= 200 else source[:200] + "..."
    return (f"expression `{shown}` was stopped after {seconds:g} s, the most one evaluation may take "
            "(it would hold up every other run): `map` and `filter` take time that grows with the square "
            "of the list's length and `+` copies what it joins; narrow the data first, or use a `code` step")


def _context(prepared: Prepared, scope: Mapping[str, Any]) -> dict[str, Any]:
    context = {name: scope[name] for name in prepared.roots if name in scope and name != "steps"}
    if "steps" in prepared.roots:
        steps = scope.get("steps", {})
        context["steps"] = {sid: steps.get(sid, NOT_RUN) for sid in prepared.step_ids}
    return context


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no such key {exc}"
    first, *rest = str(exc).split("\n")
    # a regex `matches()` refuses says why on a later line, after a drawing of the pattern
    reason = next((line.removeprefix("error: ") for line in rest if line.startswith("error: ")), None)
    return f"{first} {reason}" if reason else first
