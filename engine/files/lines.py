"""Text files as numbered lines, read one bounded line at a time; and grep's child process.

Both storages read through here: `read_lines` in the engine's process, `grep` in a child
process (this file run as a script, see `engine.files.grep`), so both agree on what a line
is and what counts as text. A line ends at `\\n` (a `\\r` before it is dropped too); a file is
text when it is UTF-8 without NUL bytes (a leading byte-order mark is dropped). No read ever
goes past `max_bytes`, even if the file grows while it is read.

This module imports only the standard library: the child runs it with `python -I -S`, without
the engine's package or its dependencies.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO


class LineError(ValueError):
    """The file cannot be read as lines; the message completes "<path> ..."."""


def numbered(stream: BinaryIO, max_bytes: int, decode_from: int = 1) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for each line; text is None for lines before `decode_from` (skipped
    lines are counted, not decoded). Raises LineError past `max_bytes` or on a non-text line."""
    total = 0
    number = 0
    while raw := stream.readline(max_bytes + 1 - total):
        total += len(raw)
        if total > max_bytes:
            raise LineError(f"is larger than {_size(max_bytes)}; file steps read at most that much")
        number += 1
        yield number, (decode(raw, number) if number >= decode_from else None)


def decode(raw: bytes, number: int) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LineError(f"is not a UTF-8 text file (line {number})") from None
    if "\x00" in text:
        raise LineError(f"is not a text file: line {number} holds a NUL byte")
    text = text.removesuffix("\n").removesuffix("\r")
    return text.removeprefix("\ufeff") if number == 1 else text


def read_lines(stream: BinaryIO, max_bytes: int, start: int, limit: int | None) -> dict[str, Any]:
    """`{lines, next}`: at most `limit` lines from line `start` (1-based); `next` is the number
    of the first line not returned, or None when the file ends."""
    found: list[str] = []
    for number, text in numbered(stream, max_bytes, decode_from=start):
        if text is None:
            continue
        if limit is not None and len(found) == limit:
            return {"lines": found, "next": number}
        found.append(text)
    return {"lines": found, "next": None}


def grep(stream: BinaryIO, max_bytes: int, pattern: str, limit: int | None) -> Iterator[dict[str, Any]]:
    """`{line, text}` for each line `pattern` matches anywhere in, at most `limit` of them."""
    regex = re.compile(pattern)
    found = 0
    for number, text in numbered(stream, max_bytes):
        if text is not None and regex.search(text):
            yield {"line": number, "text": text}
            found += 1
            if found == limit:
                return


def _size(count: int) -> str:
    return f"{count / 2**20:g} MiB" if count >= 2**20 else f"{count} bytes"


def _child(argv: list[str]) -> int:
    """grep's child: `lines.py PATTERN_JSON LIMIT MAX_BYTES`, the file on stdin; one JSON object
    per line on stdout, the matches and then, if the file could not be read, `{"error": ...}`."""
    pattern, limit, max_bytes = json.loads(argv[0]), int(argv[1]), int(argv[2])
    out = sys.stdout
    try:
        for match in grep(sys.stdin.buffer, max_bytes, pattern, limit or None):
            out.write(json.dumps(match) + "\n")
    except LineError as exc:
        out.write(json.dumps({"error": str(exc)}) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
