"""The builder's settings from the environment (DESIGN.md lists LOOM_BUILDER_MODEL)."""

from __future__ import annotations

import os

DEFAULT_MAX_ATTEMPTS = 3


def max_attempts_from_env(env: dict[str, str] | None = None) -> int:
    """LOOM_BUILDER_MAX_ATTEMPTS: how many answers a turn may take to reach a valid draft (default 3)."""
    value = (os.environ if env is None else env).get("LOOM_BUILDER_MAX_ATTEMPTS") or ""
    if not value.strip():
        return DEFAULT_MAX_ATTEMPTS
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"LOOM_BUILDER_MAX_ATTEMPTS must be a whole number from 1 to 10, not {value!r}") from None
    if not 1 <= number <= 10:
        raise ValueError(f"LOOM_BUILDER_MAX_ATTEMPTS must be from 1 to 10, not {number}")
    return number


__all__ = ["DEFAULT_MAX_ATTEMPTS", "max_attempts_from_env"]
