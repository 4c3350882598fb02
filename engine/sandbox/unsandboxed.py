"""The explicit opt-in for machines that cannot sandbox: `LOOM_CODE_SANDBOX=unsandboxed`.

The program runs as a plain subprocess of the engine, through the same bootstrap as in
bubblewrap: the same rlimits, wall-clock timeout, output cap, empty environment and error
kinds, in a fresh scratch directory as its working directory. Nothing else is confined:
it runs as the engine's user, so it can read whatever that user can (the database, the key
file, the repository), reach the network, and signal the engine. A program that starts a
session of its own and closes its output can outlive its step, since only its process group
is killed. Under root, the kernel does not apply the process limit at all. Use it only for
code you would run yourself.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from typing import Any

from .base import Program
from .outcome import outcome
from .process import child_argv, encode, interpreter, spawn


class UnsandboxedSubprocess:
    name = "unsandboxed subprocess"

    async def run(self, program: Program) -> Any:
        request = encode(program)
        scratch = tempfile.mkdtemp(prefix="loom-code-")
        try:
            finished = await spawn(child_argv(interpreter().executable, program.limits), request, program.limits,
                                   cwd=scratch)
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, ignore_errors=True)
        return outcome(finished, program.limits)
