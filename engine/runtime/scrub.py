"""Removing secret values from everything a run writes or says.

A secret reaches a step's output in ways no field list predicts (a server echoing a
header, an error quoting a URL), so every string written (journal records, events,
errors, replies, traces) is searched for every secret value, at any depth, keys included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
MIN_LENGTH = 4
"""Shorter values are not masked: masking every "1" or "on" would garble everything else."""


class Scrubber:
    def __init__(self, secrets: Iterable[str], max_text: int | None = None) -> None:
        values = sorted({value for value in secrets if value and len(value) >= MIN_LENGTH}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, values))) if values else None
        self._max_text = max_text

    def __bool__(self) -> bool:
        """Whether there is anything to mask (when not, callers may skip the walk)."""
        return self._pattern is not None

    def text(self, value: str) -> str:
        if self._pattern is not None:
            value = self._pattern.sub(MASK, value)
        limit = self._max_text
        if limit is None or len(value) <= limit:
            return value
        return f"{value[:limit]}... [{len(value) - limit} more characters]"

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
