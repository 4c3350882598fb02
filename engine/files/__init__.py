"""Files for `file` steps: path rules, limits, and the storages they read and write.

    parts = split_path("reports/today.txt")          # ("reports", "today.txt"), or StepError `blocked`
    await LocalFiles(services.files_dir).write(parts, b"...", append=False)

    paths.py     which paths are accepted, the same for every storage
    limits.py    how much one step reads, writes and lists
    lines.py     text as numbered lines (and grep's child process)
    grep.py      grep in a child process, killed when its time is up
    local.py     the workspace's files directory, walked without following symlinks
    storage.py   the interface LocalFiles and `engine.connectors.s3.Bucket` share
"""

from .limits import MAX_LIST_ENTRIES, MAX_READ_BYTES, MAX_WRITE_BYTES
from .local import LocalFiles
from .paths import path_problem, split_path
from .storage import Parts, Storage

__all__ = [
    "MAX_LIST_ENTRIES",
    "MAX_READ_BYTES",
    "MAX_WRITE_BYTES",
    "LocalFiles",
    "Parts",
    "Storage",
    "path_problem",
    "split_path",
]
