"""The time window a report covers, from what a person types: a date, a timestamp or `7d`.

Runs keep `started_at` as the ISO-8601 UTC string the executor wrote, so a window is two
strings in the same form and filtering is a plain string comparison that every database
can do with the `started_at` index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

_RELATIVE = re.compile(r"^(\d{1,6})\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Window:
    """Runs started at or after `since` and before `until` (ISO strings, UTC); None is open."""

    since: str | None = None
    until: str | None = None

    @classmethod
    def parse(cls, since: str | None = None, until: str | None = None, *, now: datetime | None = None) -> Window:
        """Raise ValueError naming the bad bound. A bare date as `until` includes that whole day."""
        window = cls(_bound("since", since, now=now), _bound("until", until, end=True, now=now))
        if window.since and window.until and window.since >= window.until:
            raise ValueError(f"since ({since}) must be earlier than until ({until})")
        return window

    @classmethod
    def last_days(cls, days: int, *, now: datetime | None = None) -> Window:
        """The last `days` days up to now, counted from midnight UTC; 0 means all time."""
        if days <= 0:
            return cls()
        today = (now or datetime.now(UTC)).date()
        return cls(_iso(datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), UTC)))

    def clauses(self, started_at: Any) -> list[Any]:
        """SQL conditions on a `started_at` column."""
        where = [started_at >= self.since] if self.since else []
        return [*where, started_at < self.until] if self.until else where

    def to_dict(self) -> dict[str, str | None]:
        return {"since": self.since, "until": self.until}


ALL_TIME = Window()


def _bound(name: str, text: str | None, *, end: bool = False, now: datetime | None = None) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = relative.groups()
        return _iso((now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: int(amount)}))
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return _iso(datetime.combine(day + timedelta(days=1 if end else 0), datetime.min.time(), UTC))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name}: '{text}' is not a date (2025-01-31), a timestamp (2025-01-31T08:00:00Z) "
                         "or a span back from now (30m, 12h, 7d, 2w)") from None
    return _iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
