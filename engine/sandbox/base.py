"""The one interface a `code` step runs programs through, so another backend (gVisor, a
container, a remote sandbox) can replace bubblewrap without touching the step.

A backend runs `Program.source` as Python with `Program.inputs` (JSON) on its standard
input, under the program's limits, and returns the one JSON value the program printed.
It fails with a StepError whose kind says why: `code` (the program raised; the traceback's
line numbers are the source's), `timeout`, `memory`, `output` (no JSON value, or more than
the cap) or `sandbox` (this machine cannot run it safely).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

MiB = 2**20


@dataclass(frozen=True, slots=True)
class Limits:
    timeout: float = 30.0
    """Wall-clock seconds."""
    cpu_seconds: int = 30
    memory_bytes: int = 256 * MiB
    """Address space of the program's process."""
    processes: int = 16
    file_bytes: int = 16 * MiB
    """Largest file the program may write (in its private /tmp)."""
    open_files: int = 64
    output_bytes: int = 1 * MiB
    """Most bytes read from the program's standard output (and, separately, its standard error)."""


@dataclass(frozen=True, slots=True)
class Program:
    source: str
    inputs: Any
    limits: Limits = Limits()


class Sandbox(Protocol):
    name: str
    """Shown in errors and the health page: 'bubblewrap', 'unsandboxed subprocess', ..."""

    async def run(self, program: Program) -> Any:
        """The JSON value the program printed; StepError (see the module docstring) otherwise."""
        ...
