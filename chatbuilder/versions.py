"""A new version of a session's workflow: its diff, change summary and capabilities."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime

from .capabilities import capabilities, summarize_changes
from .types import Capabilities, Version


def next_version(previous: Version | None, yaml: str, workflow, source: str) -> Version:
    """The version that follows `previous` (numbered when stored)."""
    old = previous.yaml if previous else None
    diff = "" if old is None else "".join(difflib.unified_diff(
        _lines(old), _lines(yaml), f"v{previous.number}", f"v{previous.number + 1}", n=3))
    caps = capabilities(workflow, previous.capabilities if previous else Capabilities())
    return Version(0, yaml, source, datetime.now(UTC), diff, summarize_changes(old, yaml), caps)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


__all__ = ["next_version"]
