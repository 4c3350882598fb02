"""Running the bootstrap (`child.py`) as a subprocess: what both backends share.

A backend decides only what surrounds `python -I -S` (bubblewrap's namespaces and mounts, or
nothing); this module starts it with an empty environment in a session of its own, writes
the request to its stdin while reading stdout and stderr, never holds more than
`Limits.output_bytes` of either (stdout past the cap kills the program, stderr keeps its
tail, where the failure report is), and kills the whole process group at the wall-clock
deadline or when the awaiting task is cancelled. Everything is asyncio: the event loop
never blocks on the program, and nothing sleeps to wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import marshal
import os
import signal
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ..errors import ErrorKind, StepError
from . import child
from .base import Limits, Program


@dataclass(frozen=True, slots=True)
class Interpreter:
    """The Python that runs programs: this engine's own, by its real path (a venv's `python`
    and pyenv's `python3` are links or shims that do not exist inside a sandbox)."""

    executable: str
    prefixes: tuple[str, ...]
    """Where its standard library and shared libraries live."""
    site_packages: tuple[str, ...]
    """Its installed packages: hidden from programs, which get the standard library only."""


@functools.cache
def interpreter() -> Interpreter:
    prefixes = dict.fromkeys(os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix))
    names = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    sites = dict.fromkeys(os.path.realpath(sysconfig.get_path(kind, vars=names)) for kind in ("purelib", "platlib"))
    return Interpreter(os.path.realpath(sys.executable), tuple(prefixes), tuple(sites))


LAUNCH = "import marshal, sys; exec(marshal.loads(bytes.fromhex(sys.argv.pop(1))))"
"""What `-c` runs: the bootstrap, compiled once here. Compiling its text in every program cost
1-5 ms of a 2-core machine; the program runs on this very interpreter, so marshal's format fits."""


@functools.cache
def child_code() -> str:
    source = Path(child.__file__).read_text(encoding="utf-8")
    return marshal.dumps(compile(source, "<loom bootstrap>", "exec")).hex()


def child_argv(python: str, limits: Limits, uid: int = -1) -> list[str]:
    """The bootstrap's command line; `uid` other than -1 makes it drop to that uid first."""
    numbers = (limits.cpu_seconds, limits.memory_bytes, limits.processes, limits.file_bytes,
               limits.open_files, uid)
    return [python, "-I", "-S", "-X", "utf8", "-c", LAUNCH, child_code(), *map(str, numbers)]


def encode(program: Program) -> bytes:
    """The request the bootstrap reads from stdin: the source and the inputs, as JSON."""
    try:
        text = json.dumps({"source": program.source, "inputs": program.inputs}, ensure_ascii=False,
                          allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StepError(f"the code step's inputs must be JSON values: {exc}", ErrorKind.ERROR) from None
    return text.encode("utf-8")


@dataclass(frozen=True, slots=True)
class Finished:
    returncode: int
    """As asyncio reports it: negative for a signal. Backends may translate their own codes."""
    stdout: bytes
    stderr: bytes
    """Its last `output_bytes`."""
    timed_out: bool = False
    overflowed: bool = False
    """More than `output_bytes` on stdout: the program was killed at that point."""


async def spawn(argv: list[str], request: bytes, limits: Limits, cwd: str | None = None) -> Finished:
    """Run `argv` to its end (or its deadline), feeding it `request`."""
    loop = asyncio.get_running_loop()
    transport, output = await loop.subprocess_exec(
        lambda: _Output(loop, limits.output_bytes), *argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env={}, cwd=cwd, start_new_session=True,
    )
    timed_out = False
    try:
        stdin = cast(asyncio.WriteTransport, transport.get_pipe_transport(0))
        stdin.write(request)
        stdin.close()  # after what is buffered is written; a program that ended early just loses it
        async with asyncio.timeout(limits.timeout):
            await output.finished
    except TimeoutError:
        timed_out = True
    finally:
        if not output.complete:  # past the deadline, over the cap, or the step was cancelled
            _kill(transport.get_pid())
        await asyncio.shield(output.exited)
        transport.close()  # also the pipes a straggler of the unsandboxed program might hold
    return Finished(output.returncode, bytes(output.stdout), bytes(output.stderr), timed_out, output.overflowed)


def _kill(pid: int) -> None:
    """SIGKILL the process group the program leads (start_new_session made it a leader)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


class _Output(asyncio.SubprocessProtocol):
    """Collects stdout up to the cap (killing the program past it) and the tail of stderr, as
    the data arrives: the pipes are always read to their end, so none ever fills and stalls."""

    def __init__(self, loop: asyncio.AbstractEventLoop, cap: int) -> None:
        self.cap = cap
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.overflowed = False
        self.returncode = 0
        self.exited: asyncio.Future[None] = loop.create_future()
        self.finished: asyncio.Future[None] = loop.create_future()
        """Resolved when it is `complete`: exited, and both outputs read to their end."""
        self.complete = False
        self._open = {1, 2}
        self._transport: asyncio.SubprocessTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's own SubprocessTransport, or uvloop's (the server's loop), which is no subclass
        self._transport = cast(asyncio.SubprocessTransport, transport)

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd == 2:
            self.stderr += data
            del self.stderr[: max(0, len(self.stderr) - self.cap)]
        elif not self.overflowed:
            self.stdout += data
            if len(self.stdout) > self.cap:
                del self.stdout[self.cap:]
                self.overflowed = True
                assert self._transport is not None
                _kill(self._transport.get_pid())

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self._open.discard(fd)
        self._maybe_finished()

    def process_exited(self) -> None:
        assert self._transport is not None
        returncode = self._transport.get_returncode()
        self.returncode = returncode if returncode is not None else 0
        self.exited.set_result(None)
        self._maybe_finished()

    def _maybe_finished(self) -> None:
        if self.exited.done() and not self._open:
            self.complete = True
            if not self.finished.done():  # cancelled when its awaiter's deadline passed
                self.finished.set_result(None)
