"""`grep` searches in a child process, so a pathological pattern cannot stall the engine.

Python's `re` backtracks: `(a+)+$` against a line of thirty `a`s and a `b` takes about 2^30
steps, and the matcher holds the GIL throughout, so one pattern that arrives as an input
(`pattern: ${{ inputs.pattern }}` from a Telegram command) would freeze every run in the
process, not only its own. Bounding lines or file size does not bound that time. So the
search runs in `python -I -S engine/files/lines.py`, which reads the file (the descriptor the
storage opened, as its stdin, or an object's bytes piped in), prints matches as JSON lines and
is killed when its time is up or the step is cancelled. Starting it costs some 20 ms per step.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import ErrorKind, StepError
from . import lines

MAX_PATTERN_CHARS = 1000
GREP_SECONDS = 30.0
"""How long a search may take when the step sets no `timeout` (the step's own wins)."""

_CHILD = str(Path(lines.__file__).resolve())


def check_pattern(pattern: object) -> str:
    """The pattern, if it is a regular expression Python compiles; a StepError saying why not."""
    if not isinstance(pattern, str):
        raise StepError(f"pattern must be a string, got {type(pattern).__name__}")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise StepError(f"pattern is {len(pattern)} characters long; grep takes at most {MAX_PATTERN_CHARS}")
    problem = pattern_problem(pattern)
    if problem:
        raise StepError(f"pattern {pattern!r} {problem}")
    return pattern


def pattern_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"is not a valid regular expression: {exc}"
    return None


async def search(source: int | bytes, pattern: str, limit: int | None, *, path: str, max_bytes: int,
                 seconds: float = GREP_SECONDS) -> list[dict[str, Any]]:
    """Matches `{line, text}` of `pattern` in `source` (an open file descriptor, or bytes)."""
    stdin = source if isinstance(source, int) else asyncio.subprocess.PIPE
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-I", "-S", _CHILD, json.dumps(pattern), str(limit or 0), str(max_bytes),
        stdin=stdin, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(seconds):
            out, err = await child.communicate(None if isinstance(source, int) else source)
    except TimeoutError:
        raise StepError(f"grep of {path} took longer than {seconds:g}s: the pattern {pattern!r} may backtrack "
                        "catastrophically (nested repeats such as `(a+)+`); simplify it", ErrorKind.TIMEOUT) from None
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    if child.returncode != 0:
        raise StepError(f"grep of {path} failed: {err.decode(errors='replace').strip()[-300:]}", ErrorKind.FILE)
    return _matches(out, path)


def _matches(out: bytes, path: str) -> list[dict[str, Any]]:
    found = []
    for line in out.splitlines():
        item = json.loads(line)
        if "error" in item:
            raise StepError(f"{path} {item['error']}", ErrorKind.FILE)
        found.append(item)
    return found
