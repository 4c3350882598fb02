"""What a `file` step needs of a place to keep files: the five operations, one signature each.

`LocalFiles` (the workspace's files directory) and `engine.connectors.s3.Bucket` (an
S3-compatible bucket) both implement it, with the same output shapes, so a workflow moves
from one to the other by naming a `connection` and nothing else. `parts` are a path's
components as `engine.files.paths.split_path` returns them: checked, never empty except for
`list` (the root).
"""

from __future__ import annotations

from typing import Any, Protocol

Parts = tuple[str, ...]


class Storage(Protocol):
    async def read_lines(self, parts: Parts, start: int, limit: int | None) -> dict[str, Any]:
        """`{lines: [text, ...], next}`; `next` is the line to continue from, or None at the end."""
        ...

    async def grep(self, parts: Parts, pattern: str, limit: int | None, seconds: float) -> list[dict[str, Any]]:
        """`[{line, text}, ...]`: the lines `pattern` matches, at most `limit`, within `seconds`."""
        ...

    async def write(self, parts: Parts, data: bytes, append: bool) -> dict[str, Any]:
        """`{path, bytes}`: the bytes written (appended, with `append`)."""
        ...

    async def delete(self, parts: Parts) -> dict[str, Any]:
        """`{path, deleted}`; `deleted` is false when there was no such file."""
        ...

    async def list_dir(self, parts: Parts, limit: int | None) -> list[dict[str, Any]]:
        """`[{name, type: file or dir, size}, ...]` of a folder; `size` is None for folders."""
        ...
