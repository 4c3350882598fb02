"""Placeholder: replaced by the bubblewrap backend."""

from __future__ import annotations

from typing import Any

from ..errors import ErrorKind, StepError
from .base import Program


class Bubblewrap:
    name = "bubblewrap"

    async def run(self, program: Program) -> Any:
        raise StepError("the bubblewrap sandbox is not built yet", ErrorKind.SANDBOX)
