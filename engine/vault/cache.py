"""A small in-process cache of what the vault decrypted.

Every run asks for every secret and connection (the scrubber masks them all), so without a
cache each run would pay a query and a decryption per stored item. Writes through the same
`Vault` clear it at once; entries also expire after a few seconds, so a change made by another
process (the CLI while the server runs) is seen soon without a query per access.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

SECONDS = 5.0


class Cache:
    def __init__(self, seconds: float = SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._items: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value for `key`, or `load()`'s (cached unless it raises)."""
        now = self._clock()
        hit = self._items.get(key)
        if hit is not None and now - hit[0] < self.seconds:
            return hit[1]
        value = load()
        self._items[key] = (now, value)
        return value

    def clear(self) -> None:
        self._items.clear()
