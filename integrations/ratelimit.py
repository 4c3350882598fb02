"""Per-caller rate limits: a token bucket per API key (or per signed webhook, or per address).

    LOOM_RATE_LIMIT=100,1000     # 100 requests a second on average, bursts of up to 1000
    LOOM_RATE_LIMIT=off          # no limit

The default, 2000 a second with bursts of 4000 per key, is above what one server process
accepts (bench/intake.py measures it), so it never slows a legitimate integration; it caps
a runaway client's share when several processes or keys share a database. The buckets live
in this process's memory: with several processes each enforces its own, which is the right
trade for a limit meant to absorb floods, not to meter usage. Starlette and FastAPI ship no
rate limiter, and the libraries that do (slowapi, limits) are not dependencies here; a
bucket is a dozen lines.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

DEFAULT = "2000,4000"
_MAX_CALLERS = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> RateLimiter | None:
        """The limiter `LOOM_RATE_LIMIT` asks for (`RATE[,BURST]` or `off`); None for no limit."""
        text = ((os.environ if env is None else env).get("LOOM_RATE_LIMIT") or DEFAULT).strip().lower()
        if text in ("off", "0", "none", "false"):
            return None
        rate, _, burst = text.partition(",")
        try:
            rate_value = float(rate.removesuffix("/s"))
            return cls(rate_value, int(burst) if burst.strip() else max(1, math.ceil(rate_value)))
        except ValueError:
            raise ValueError(f"LOOM_RATE_LIMIT={text!r}: write RATE[,BURST] (requests a second, e.g. 100,1000) "
                             "or off") from None

    def take(self, caller: str, now: float | None = None) -> float:
        """Spend one token of `caller`'s bucket: 0.0 when allowed, else the seconds until one is free."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(caller)
        if bucket is None:
            if len(self._buckets) >= _MAX_CALLERS:
                self._forget_idle(now)
            bucket = self._buckets[caller] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that have refilled: forgetting them changes nothing for their callers."""
        full = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < full}
        if len(self._buckets) >= _MAX_CALLERS:  # a flood of distinct callers: start over rather than grow
            self._buckets.clear()


__all__ = ["DEFAULT", "RateLimiter"]
