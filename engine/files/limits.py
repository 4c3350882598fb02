"""How much a `file` step reads, writes and lists, the same for every storage.

The bounds keep one step from filling the run's journal, the process's memory or the disk:
a run's step outputs are kept, traced and fed to expressions, so a file step answers with
at most what a person would page through. A file over the read limit is an error, never a
silently cut result; reads stream one bounded line at a time either way.
"""

from __future__ import annotations

from ..errors import ErrorKind, StepError

MAX_READ_BYTES = 10 * 2**20
"""Largest file `read_lines` and `grep` read (a bucket's object is fetched whole, up to this)."""
MAX_WRITE_BYTES = 10 * 2**20
"""Largest `content` a `write` takes, and largest file an `append` may grow."""
MAX_LIST_ENTRIES = 10_000
"""Most entries `list` returns, whatever its `limit`."""


def too_large(shown: str, what: str, limit: int, verb: str, size: int | None = None) -> StepError:
    actual = f" ({_mib(size)})" if size is not None else ""
    return StepError(f"{shown}: {what} is larger than {_mib(limit)}{actual}; file steps {verb} at most that much",
                     ErrorKind.FILE)


def _mib(count: int) -> str:
    return f"{count / 2**20:.3g} MiB" if count >= 2**16 else f"{count} bytes"
