"""The time one evaluation of an expression may take, spent at its checkpoints.

Expressions are evaluated inside steps, on the event loop's thread, and CEL holds the GIL
throughout: while one is evaluated, no other run, HTTP request or bot update is served, and
the run's own `limits.timeout` (an asyncio timeout) cannot fire. So each evaluation gets a
short wall-clock budget, `EVALUATION_BUDGET_S`; the checkpoints written into its source
(`checkpoints.py`) call the budget, which answers null once it is spent, and CEL stops.

Wall time, not CPU time: what an evaluation takes from the others is the time it holds the
loop. The budget also bounds memory, to what CEL can allocate in that time: measured here,
copying a large input into a list again and again, the fastest way it has to fill memory,
reaches about 100 MB in 0.25 s.
"""

from __future__ import annotations

import time

EVALUATION_BUDGET_S = 0.25
"""Short enough that a few runaway runs at once still leave the server answering within a
second; long enough for the comprehensions people write: a `map` over a `sql` step's
default 1,000 rows takes about 0.1 s in this CEL (whose `map` costs the square of the length)."""


class Budget:
    """A deadline that checkpoints ask about; `spent` tells afterwards that it stopped the evaluation."""

    __slots__ = ("deadline", "seconds", "spent")

    def __init__(self, seconds: float = EVALUATION_BUDGET_S) -> None:
        self.seconds = seconds
        self.deadline = time.perf_counter() + seconds
        self.spent = False

    def __call__(self) -> bool | None:
        if time.perf_counter() < self.deadline:
            return True
        self.spent = True
        return None  # `null ? ... : ...` is a type error: CEL stops here
