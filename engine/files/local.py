"""The workspace's files directory, opened so that nothing outside it can be reached.

Every operation starts from a descriptor of the directory and opens each component of the
path relative to the one before (`openat`), with `O_NOFOLLOW` (and `O_DIRECTORY` for folders).
A symlink anywhere in the path is refused (`blocked`), wherever it points, and the check is
the open itself: swapping a folder for a symlink between two steps, or between two system
calls, gains nothing, because the kernel refuses to follow it. The path's text was checked
first (`engine.files.paths`), so `..` and absolute paths never reach the kernel.

Beyond symlinks:
- a file with more than one hard link is refused for reading and appending: its other name
  may be outside the directory; replacing or deleting it only touches the name inside;
- files are opened non-blocking and must be regular files, so a FIFO planted here cannot
  hang a run; folders are created (mode 0755) as a write needs them;
- `write` writes a temporary file (`.loom-<hex>.tmp`) next to the target, fsyncs it and
  renames it over the target: readers see the old content or the new, never half of it, and
  the rename replaces a name rather than following it (a symlink target is refused anyway);
- `append` opens with O_APPEND and writes in place: it is not atomic against a crash;
- `delete` removes files, never folders or symlinks; a missing file is `deleted: false`.

Blocking calls run in a worker thread; the directory itself is created on first use.
"""

from __future__ import annotations

import asyncio
import errno
import os
import secrets
import stat
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ErrorKind, StepError
from . import grep, lines
from .limits import MAX_LIST_ENTRIES, MAX_READ_BYTES, MAX_WRITE_BYTES, too_large
from .storage import Parts

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_TEMP = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

T = TypeVar("T")


class LocalFiles:
    """The `file` step's operations on one directory; `parts` come from `paths.split_path`."""

    def __init__(self, root: Path):
        self.root = root

    async def read_lines(self, parts: Parts, start: int, limit: int | None) -> dict[str, Any]:
        return await self._in_thread(self._read_lines, parts, start, limit)

    async def grep(self, parts: Parts, pattern: str, limit: int | None, seconds: float) -> list[dict[str, Any]]:
        fd = self._guarded(self._open_file, parts)  # non-blocking opens: quick enough for the event loop
        try:
            return await grep.search(fd, pattern, limit, path=_shown(parts), max_bytes=MAX_READ_BYTES,
                                     seconds=seconds)
        finally:
            os.close(fd)

    async def write(self, parts: Parts, data: bytes, append: bool) -> dict[str, Any]:
        if len(data) > MAX_WRITE_BYTES:
            raise too_large(_shown(parts), "content", MAX_WRITE_BYTES, "write")
        await self._in_thread(self._append if append else self._replace, parts, data)
        return {"path": _shown(parts), "bytes": len(data)}

    async def delete(self, parts: Parts) -> dict[str, Any]:
        return {"path": _shown(parts), "deleted": await self._in_thread(self._delete, parts)}

    async def list_dir(self, parts: Parts, limit: int | None) -> list[dict[str, Any]]:
        return await self._in_thread(self._list, parts, limit)

    async def _in_thread(self, operation: Callable[..., T], parts: Parts, *args: Any) -> T:
        return await asyncio.to_thread(self._guarded, operation, parts, *args)

    @staticmethod
    def _guarded(operation: Callable[..., T], parts: Parts, *args: Any) -> T:
        """Run `operation` on checked `parts`; an OSError no step anticipated still becomes a StepError."""
        _checked(parts)
        try:
            return operation(parts, *args)
        except OSError as exc:
            raise _refused(exc, parts) from None

    # ---- the operations, in a worker thread -------------------------------------------------

    def _read_lines(self, parts: Parts, start: int, limit: int | None) -> dict[str, Any]:
        with open(self._open_file(parts), "rb", closefd=True) as stream:
            try:
                return lines.read_lines(stream, MAX_READ_BYTES, start, limit)
            except lines.LineError as exc:
                raise StepError(f"{_shown(parts)} {exc}", ErrorKind.FILE) from None

    def _replace(self, parts: Parts, data: bytes) -> None:
        parent = self._open_dir(parts[:-1], create=True, whole=parts)
        try:
            _refuse_link_or_dir(parent, parts)
            temp = f".loom-{secrets.token_hex(8)}.tmp"
            fd = os.open(temp, _TEMP, 0o644, dir_fd=parent)
            try:
                try:
                    _write_all(fd, data)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.rename(temp, parts[-1], src_dir_fd=parent, dst_dir_fd=parent)
            except BaseException:
                with suppress(OSError):
                    os.unlink(temp, dir_fd=parent)
                raise
            os.fsync(parent)
        except OSError as exc:
            raise _refused(exc, parts) from None
        finally:
            os.close(parent)

    def _append(self, parts: Parts, data: bytes) -> None:
        parent = self._open_dir(parts[:-1], create=True, whole=parts)
        try:
            fd = _open_at(parent, parts[-1], _APPEND)
        except OSError as exc:
            raise _refused(exc, parts) from None
        finally:
            os.close(parent)
        try:
            size = _check_file(fd, parts)
            if size + len(data) > MAX_WRITE_BYTES:
                raise too_large(_shown(parts), "the file with what is appended", MAX_WRITE_BYTES, "write")
            _write_all(fd, data)
        finally:
            os.close(fd)

    def _delete(self, parts: Parts) -> bool:
        try:
            parent = self._open_dir(parts[:-1], create=False, whole=parts)
        except _Missing:
            return False
        try:
            _refuse_link_or_dir(parent, parts)
            os.unlink(parts[-1], dir_fd=parent)
            return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise _refused(exc, parts) from None
        finally:
            os.close(parent)

    def _list(self, parts: Parts, limit: int | None) -> list[dict[str, Any]]:
        fd = self._open_dir(parts, create=False, whole=parts)
        try:
            with os.scandir(fd) as entries:
                found = sorted((_entry(e) for e in entries), key=lambda item: item["name"])
        finally:
            os.close(fd)
        return [item for item in found if item["type"]][: min(limit or MAX_LIST_ENTRIES, MAX_LIST_ENTRIES)]

    # ---- walking the path -------------------------------------------------------------------

    def _open_root(self) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        return os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def _open_dir(self, parts: Parts, *, create: bool, whole: Parts) -> int:
        """A descriptor of the folder `parts`, each component opened without following links."""
        fd = self._open_root()
        try:
            for depth, name in enumerate(parts, 1):
                child = _enter(fd, name, parts[:depth], create=create, whole=whole)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _open_file(self, parts: Parts) -> int:
        parent = self._open_dir(parts[:-1], create=False, whole=parts)
        try:
            fd = _open_at(parent, parts[-1], _READ)
        except OSError as exc:
            raise _refused(exc, parts) from None
        finally:
            os.close(parent)
        try:
            size = _check_file(fd, parts)
        except BaseException:
            os.close(fd)
            raise
        if size > MAX_READ_BYTES:
            os.close(fd)
            raise too_large(_shown(parts), "the file", MAX_READ_BYTES, "read", size)
        return fd


def _checked(parts: Parts) -> None:
    """Each component is one plain name: the last guard before a name reaches the kernel, where
    `..` would climb out however carefully symlinks are refused."""
    for part in parts:
        if part in ("", ".", "..") or "/" in part or "\0" in part:
            raise StepError(f"path component {part!r} is not a plain name", ErrorKind.BLOCKED)


class _Missing(StepError):
    def __init__(self, shown: str):
        super().__init__(f"{shown} does not exist in the files directory", ErrorKind.FILE)


def _open_at(fd: int, name: str, flags: int) -> int:
    """`openat` one name; a symlink in its place raises ELOOP, whichever error the kernel chose."""
    try:
        return os.open(name, flags, 0o644, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENXIO) and _is_link(fd, name):
            raise OSError(errno.ELOOP, "is a symlink") from None
        raise


def _enter(fd: int, name: str, shown: Parts, *, create: bool, whole: Parts) -> int:
    """Open the folder `name` in `fd`, making it first if it is missing and `create` is set."""
    try:
        return _open_at(fd, name, _DIR)
    except FileNotFoundError:
        if not create:
            raise _Missing(_shown(shown)) from None
    except OSError as exc:
        raise _refused(exc, shown, whole) from None
    try:
        with suppress(FileExistsError):  # another writer made it first: open what is there
            os.mkdir(name, 0o755, dir_fd=fd)
        return _open_at(fd, name, _DIR)
    except OSError as exc:
        raise _refused(exc, shown, whole) from None


def _is_link(fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _check_file(fd: int, parts: Parts) -> int:
    """The size of the open file, if it is a regular file with no other name; else a StepError."""
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        raise StepError(f"{_shown(parts)} is a folder, not a file", ErrorKind.FILE)
    if not stat.S_ISREG(info.st_mode):
        raise StepError(f"{_shown(parts)} is not a regular file", ErrorKind.FILE)
    if info.st_nlink > 1:
        raise StepError(f"{_shown(parts)} has other hard links, which may lie outside the files directory",
                        ErrorKind.BLOCKED)
    return info.st_size


def _refuse_link_or_dir(parent: int, parts: Parts) -> None:
    """Before replacing or deleting a name: refuse a symlink or a folder in its place."""
    try:
        mode = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise _refused(OSError(errno.ELOOP, "is a symlink"), parts)
    if stat.S_ISDIR(mode):
        raise StepError(f"{_shown(parts)} is a folder; file steps write and delete files only", ErrorKind.FILE)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _entry(entry: os.DirEntry[str]) -> dict[str, Any]:
    """A listed name; `type` is None (left out) for symlinks, FIFOs and the like."""
    if entry.is_dir(follow_symlinks=False):
        return {"name": entry.name, "type": "dir", "size": None}
    if entry.is_file(follow_symlinks=False):
        with suppress(FileNotFoundError):  # removed while the folder was read: not listed
            return {"name": entry.name, "type": "file", "size": entry.stat(follow_symlinks=False).st_size}
    return {"name": entry.name, "type": None, "size": None}


def _refused(exc: OSError, parts: Parts, whole: Parts | None = None) -> StepError:
    """An OSError as a StepError naming the component that failed."""
    shown = _shown(parts)
    if exc.errno == errno.ELOOP:
        return StepError(f"{shown} is a symlink; file steps never follow symlinks", ErrorKind.BLOCKED)
    if exc.errno == errno.ENOTDIR:
        return StepError(f"{shown} is a file, not a folder", ErrorKind.FILE)
    if exc.errno == errno.ENOENT:
        return StepError(f"{shown} does not exist in the files directory", ErrorKind.FILE)
    if exc.errno == errno.ENAMETOOLONG:
        return StepError(f"{_shown(whole or parts)} is too long for this file system", ErrorKind.BLOCKED)
    if exc.errno in (errno.EISDIR, errno.ENOTEMPTY):
        return StepError(f"{shown} is a folder, not a file", ErrorKind.FILE)
    if exc.errno == errno.ENXIO:
        return StepError(f"{shown} is not a regular file", ErrorKind.FILE)
    return StepError(f"{shown}: {exc.strerror or exc}", ErrorKind.FILE)


def _shown(parts: Parts) -> str:
    return "/".join(parts) or "."
