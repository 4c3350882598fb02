"""Removing secret values from everything a trace records.

A secret reaches a step's output in ways no field list predicts (a server echoing a
header, an error quoting a URL), so every string written is searched for every secret
value, at any depth, keys included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
MAX_TEXT = 20_000
"""Longest string kept in a span; a page body or a long answer is cut, not dropped."""


class Scrubber:
    def __init__(self, secrets: Iterable[str]) -> None:
        values = sorted({value for value in secrets if value}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, values))) if values else None

    def text(self, value: str) -> str:
        if self._pattern is not None:
            value = self._pattern.sub(MASK, value)
        return value if len(value) <= MAX_TEXT else f"{value[:MAX_TEXT]}... [{len(value) - MAX_TEXT} more characters]"

    def __call__(self, value: Any) -> Any:
        """`value` with every secret masked, as plain JSON-able data."""
        if isinstance(value, str):
            return self.text(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Mapping):
            return {self.text(str(key)): self(item) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self(item) for item in value]
        return self.text(str(value))
