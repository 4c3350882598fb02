"""What the way a program ended means: its value, or a StepError whose kind says why not.

    overflowed stdout            -> output   (killed at the cap)
    past the wall-clock deadline -> timeout  (killed)
    exit 0                       -> the value: the whole stdout, whitespace-trimmed, parsed as
                                    one JSON value (so indented JSON works; a stray print
                                    makes it `output`, with a hint to print to stderr instead)
    OUT_OF_MEMORY                -> memory   (a MemoryError at the address-space limit)
    CODE_FAILED                  -> code     (the bootstrap's report: exception and traceback)
    SIGXCPU                      -> timeout  (the CPU-seconds limit)
    SIGKILL                      -> memory   (the kernel's verdict for memory, or SIGXCPU ignored)
    another signal, other status -> code     (`memory` when its last words mention memory)
"""

from __future__ import annotations

import json
import signal
from typing import Any, NoReturn

from ..errors import ErrorKind, StepError
from ..language.base import format_duration
from . import child
from .base import Limits, MiB
from .process import Finished

MAX_MESSAGE = 4000
"""Characters of a failure report kept in the error (its start and its end)."""
PREVIEW = 200
CRASHES = frozenset({signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL, signal.SIGFPE})


def outcome(finished: Finished, limits: Limits) -> Any:
    """The program's value; raises StepError when it failed."""
    if finished.overflowed:
        _fail(f"the program printed more than {_size(limits.output_bytes)}, its output limit", ErrorKind.OUTPUT)
    if finished.timed_out:
        _fail(f"the program ran past its time limit of {format_duration(limits.timeout)} and was killed",
              ErrorKind.TIMEOUT)
    code = finished.returncode
    if code == 0:
        return parse_output(finished.stdout)
    if code == child.OUT_OF_MEMORY:
        _fail(f"the program ran out of memory (its limit is {_size(limits.memory_bytes)})", ErrorKind.MEMORY)
    if code == child.CODE_FAILED:
        _fail(_report(finished.stderr), ErrorKind.CODE)
    if code < 0:
        _signalled(-code, finished.stderr, limits)
    _fail(f"the program exited with status {code}{_last_words(finished.stderr)}", ErrorKind.CODE)


def parse_output(stdout: bytes) -> Any:
    try:
        text = stdout.decode("utf-8").strip()
    except UnicodeDecodeError:
        _fail("the program's output is not UTF-8 text; print one JSON value", ErrorKind.OUTPUT)
    if not text:
        _fail("the program printed nothing; print its result as one JSON value, e.g. print(json.dumps(result))",
              ErrorKind.OUTPUT)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        preview = text if len(text) <= PREVIEW else text[:PREVIEW] + "..."
        _fail(f"the program's output is not one JSON value ({exc}): {preview!r}. Print only the result to "
              "stdout, e.g. print(json.dumps(result)), and anything else to sys.stderr", ErrorKind.OUTPUT)


def _signalled(number: int, stderr: bytes, limits: Limits) -> NoReturn:
    if number == signal.SIGXCPU:
        _fail(f"the program used its CPU time limit of {limits.cpu_seconds} s and was killed", ErrorKind.TIMEOUT)
    if number == signal.SIGKILL:
        _fail(f"the program was killed (SIGKILL): out of memory (its limit is {_size(limits.memory_bytes)}) "
              "or past its CPU time limit", ErrorKind.MEMORY)
    words = _last_words(stderr)
    if number in CRASHES and "memory" in words.lower():
        _fail(f"the program ran out of memory and crashed ({_signal_name(number)}){words}", ErrorKind.MEMORY)
    _fail(f"the program was killed by {_signal_name(number)}{words}", ErrorKind.CODE)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _report(stderr: bytes) -> str:
    text = stderr.decode("utf-8", errors="replace")
    report = text.rpartition(child.REPORT_MARKER)[2].strip() or "the program failed and said nothing"
    if len(report) <= MAX_MESSAGE:
        return report
    half = MAX_MESSAGE // 2
    return f"{report[:half]}\n[... {len(report) - MAX_MESSAGE} characters ...]\n{report[-half:]}"


def _last_words(stderr: bytes) -> str:
    """The end of what it wrote to stderr, for an ending that has no report."""
    lines = stderr.decode("utf-8", errors="replace").strip().splitlines()[-5:]
    return (": " + "\n".join(lines))[-MAX_MESSAGE:] if lines else ""


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _size(count: int) -> str:
    return f"{count / MiB:g} MiB" if count >= MiB else f"{count} bytes"


def _fail(message: str, kind: ErrorKind) -> NoReturn:
    raise StepError(message, kind)
