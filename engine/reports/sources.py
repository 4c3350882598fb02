"""The workflow a run executed, loaded once from the source the run keeps."""

from __future__ import annotations

import functools

from ..errors import ValidationError
from ..language.workflow import Workflow
from ..loader import loads


@functools.lru_cache(maxsize=128)
def workflow_of(source: str) -> Workflow | None:
    """None when the source no longer loads (a newer Loomwork tightened a check)."""
    try:
        return loads(source, "<run source>")
    except ValidationError:
        return None
