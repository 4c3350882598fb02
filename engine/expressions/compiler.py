"""Compiling CEL once per distinct source text."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ._cel import cel
from .checkpoints import checkpointed

_LOCATION = re.compile(r"<input>:(\d+):(\d+):\s*(.*)")
_INTERNAL = re.compile(r'OtherError\(ParseError \{.*?msg: "([^"]*)"')

MAX_SOURCE_CHARS = 8192
"""The longest expression compiled. CEL's parser and evaluator recurse once per operator of a
chain such as `1 + 1 + ...`: 30,000 of them overflow the stack and kill the process (measured
here; 8,192 evaluate fine in a thread), and literals joined with `+` cost the square of the
source's length. No expression a person writes comes near it; a longer one belongs in steps."""


class CompileError(ValueError):
    """A CEL expression that does not compile; `column` is 1-based within the expression."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> Any:
    """A compiled CEL program, cached by source text (the same text compiles once). The form
    with cost checkpoints is compiled too, so a run never finds that it does not compile."""
    _check_length(source)
    program = _compile(source)
    compile_guarded(source)
    return program


@lru_cache(maxsize=4096)
def compile_guarded(source: str) -> Any | None:
    """The program of `source` with cost checkpoints (see `checkpoints`), or None when it needs none."""
    _check_length(source)
    guarded = checkpointed(source)
    if guarded is None:
        return None
    try:
        return cel.compile(guarded)
    except ValueError:
        raise CompileError("this expression compiles, but not once cost checkpoints are added to it "
                           "(a Loomwork bug: please report the expression); rewrite it meanwhile") from None


def _check_length(source: str) -> None:
    if len(source) > MAX_SOURCE_CHARS:
        raise CompileError(f"the expression is {len(source):,} characters long; at most {MAX_SOURCE_CHARS:,} "
                           "are allowed: split the work across `set` steps", 1, MAX_SOURCE_CHARS + 1)


def _compile(source: str) -> Any:
    try:
        return cel.compile(source)
    except ValueError as exc:
        text = str(exc)
        match = _LOCATION.search(text)
        if not match:
            raise CompileError(text.split("\n", 1)[0]) from None
        return _raise(match)


def _raise(match: re.Match[str]) -> Any:
    line, column, message = int(match.group(1)), int(match.group(2)), match.group(3)
    message = message.split("\n", 1)[0].strip()
    internal = _INTERNAL.search(message)  # the parser's own limits come wrapped in its Rust debug output
    if internal:
        message = f"Syntax error: {internal.group(1)}"
    raise CompileError(message, line, column) from None
