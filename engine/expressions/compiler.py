"""Compiling CEL once per distinct source text."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ._cel import cel

_LOCATION = re.compile(r"<input>:(\d+):(\d+):\s*(.*)")
_INTERNAL = re.compile(r'OtherError\(ParseError \{.*?msg: "([^"]*)"')


class CompileError(ValueError):
    """A CEL expression that does not compile; `column` is 1-based within the expression."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> Any:
    """A compiled CEL program, cached by source text (the same text compiles once)."""
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
