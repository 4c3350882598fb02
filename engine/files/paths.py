"""Which paths a `file` step may name, checked as text before any storage sees them.

The same rules hold for the local files directory and for a bucket, and at load time for a
literal `path`, so a path that validates also runs. A path is a relative, `/`-separated
name, taken literally:

- no leading `/` (absolute), no `..` component, no NUL byte or other control character, no
  lone surrogate (it has no UTF-8 spelling);
- no backslash: on POSIX it is an ordinary character, but a path written with one was meant
  for a system that splits on it (`..\\..\\etc`), so it is refused rather than guessed at;
- percent signs are not decoded: `%2e%2e%2f` names a file literally called so. Nothing
  between the workflow and the storage decodes URLs, so decoding here would only create a
  second spelling of `..`;
- at most MAX_PATH_CHARS characters (S3's key limit is 1024 bytes) and MAX_NAME_BYTES bytes
  per component (Linux's NAME_MAX);
- `.` and empty components (`a//b`, `./a`, `a/`) are dropped; no components at all names
  the root itself, which only `list` accepts.

Checking text is not what keeps a local path inside the directory; `engine.files.local`
opens it component by component without following symlinks. These rules make the refusal
early, uniform across storages, and worded for the person who wrote the path.
"""

from __future__ import annotations

from ..errors import ErrorKind, StepError

MAX_PATH_CHARS = 1024
MAX_NAME_BYTES = 255


def path_problem(path: str) -> str | None:
    """Why `path` is refused, or None when it is a valid relative path."""
    if len(path) > MAX_PATH_CHARS:
        return f"is {len(path)} characters long; paths have at most {MAX_PATH_CHARS}"
    if path.startswith("/"):
        return "is absolute: write it relative to the files directory, without a leading '/'"
    if "\\" in path:
        return "contains a backslash: separate folders with '/'"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return "contains a control character (a NUL byte, a newline, ...)"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in path):
        return "is not valid Unicode text (it holds a lone surrogate)"
    for part in path.split("/"):
        if part == "..":
            return "contains '..': paths stay inside the files directory"
        if len(part.encode()) > MAX_NAME_BYTES:
            return f"has a component longer than {MAX_NAME_BYTES} bytes"
    return None


def split_path(path: object, *, allow_root: bool = False) -> tuple[str, ...]:
    """The components of a valid path; a StepError (`blocked`) saying why any other is refused.
    A path of no components (the root itself) is refused unless `allow_root`."""
    if not isinstance(path, str):
        raise StepError(f"path must be a string, got {type(path).__name__}", ErrorKind.BLOCKED)
    problem = path_problem(path)
    if problem:
        raise StepError(f"path {shown(path)} {problem}", ErrorKind.BLOCKED)
    parts = tuple(part for part in path.split("/") if part not in ("", "."))
    if not parts and not allow_root:
        raise StepError(f"path {shown(path)} names the files directory itself; name a file in it", ErrorKind.FILE)
    return parts


def shown(path: str) -> str:
    """A path quoted for a message, control characters escaped and length cut."""
    return repr(path[:120] + ("..." if len(path) > 120 else ""))
