"""The default backend: the bootstrap runs inside Debian's bubblewrap (`/usr/bin/bwrap`).

What the program gets, and why:

- every namespace unshared (`--unshare-all`): its own network with only a loopback of its
  own (no route out, nothing of the host's loopback), its own pids (it sees itself and
  bwrap's init, can signal nothing outside), IPC, hostname and cgroup view;
- an empty environment (`--clearenv`, and bwrap itself starts with none, so `/proc/1/environ`
  holds no secret either), a session of its own (`--new-session`: no terminal to inject
  into), and it dies with the engine (`--die-with-parent`);
- a root of its own holding only read-only `/usr` (and the `/bin`, `/lib`, `/lib64` links
  into it) and this engine's interpreter prefix, with the prefix's site-packages hidden: the
  standard library and nothing else. No `/etc`, no home, no repository, no LOOM_HOME, no
  venv. A private `/tmp` (tmpfs, 4 x `Limits.file_bytes`), the one writable place; its own
  `/proc` and a minimal `/dev`;
- the rlimits, set by the bootstrap before the program runs (see `child.py`).

Under root, one thing changes. The kernel does not apply RLIMIT_NPROC to uid 0, and a user
namespace created by root still maps the program to uid 0 outside, so a fork bomb would be
unbounded. As root the sandbox therefore skips the user namespace (the other namespaces are
the same), keeps only CAP_SETUID and CAP_SETGID for the bootstrap, which drops to a uid of
the program's own (`ROOT_UIDS`, one per program running at once, no capabilities, owning no
file) before any of the program runs; a limit of 16 processes then holds. Without root,
`--disable-userns` also stops the program from making user namespaces of its own.

Whether this machine can sandbox at all (bwrap installed, namespaces allowed) is found out
once, by running a trial program at the first run (not at import), and remembered. If it
cannot, every code step fails with kind `sandbox`, saying why and naming the opt-in
`LOOM_CODE_SANDBOX=unsandboxed`.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from functools import cached_property
from typing import Any

from ..errors import ErrorKind, StepError
from .base import Limits, Program
from .outcome import outcome
from .process import Finished, Interpreter, child_argv, encode, interpreter, spawn

BWRAP = "/usr/bin/bwrap"
ROOT_UIDS = range(64000, 64512)
"""Uids for programs started as root: Debian leaves 60000-64999 to packages and seldom uses it,
and the range lies within the 65,536 ids that even a rootless container maps."""
TMP_FILES = 4
"""The private /tmp holds this many files of the largest size a program may write."""
PROBE = Program("print(1)", None, Limits(timeout=15.0))
SHARED_NAMESPACES = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
AS_ROOT = [*SHARED_NAMESPACES, "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
AS_USER = ["--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
SESSION = ["--die-with-parent", "--new-session", "--clearenv", "--hostname", "sandbox"]

_verdicts: dict[str, asyncio.Future[str | None]] = {}
"""bwrap path -> why it cannot sandbox here (None: it can). Probed once per process; concurrent
first runs share the one probe."""


class Bubblewrap:
    name = "bubblewrap"

    def __init__(self, bwrap: str = BWRAP) -> None:
        self.bwrap = bwrap

    async def run(self, program: Program) -> Any:
        reason = await self._verdict()
        if reason is not None:
            raise StepError(f"code steps cannot run in a sandbox on this machine: {reason}. Fix that, or set "
                            "LOOM_CODE_SANDBOX=unsandboxed to run them without isolation (only for code you "
                            "trust)", ErrorKind.SANDBOX)
        return await self._run(program)

    async def _verdict(self) -> str | None:
        probe = _verdicts.get(self.bwrap)
        if probe is None or not _reusable(probe):
            probe = _verdicts[self.bwrap] = asyncio.ensure_future(self._probe())
        return await asyncio.shield(probe)  # one waiter cancelled does not cancel the others' probe

    async def _probe(self) -> str | None:
        if not os.access(self.bwrap, os.X_OK):
            return f"{self.bwrap} is not installed (Debian's bubblewrap package)"
        try:
            value = await self._run(PROBE)
        except StepError as exc:
            if exc.kind == ErrorKind.TIMEOUT:
                raise  # a machine too busy right now: no verdict, the next run probes again
            return f"a trial program failed ({exc.message})"
        return None if value == 1 else f"a trial program printed {value!r} instead of 1"

    async def _run(self, program: Program) -> Any:
        as_root = os.geteuid() == 0
        with _uids.taken() if as_root else nullcontext(-1) as uid:
            argv = [self.bwrap, *(AS_ROOT if as_root else AS_USER), *SESSION, *self._filesystem,
                    *_private_mounts(program.limits), *child_argv(interpreter().executable, program.limits, uid)]
            finished = await spawn(argv, encode(program), program.limits)
        return outcome(_translated(finished), program.limits)

    @cached_property
    def _filesystem(self) -> list[str]:
        return root_filesystem(interpreter())


def root_filesystem(python: Interpreter) -> list[str]:
    """bwrap arguments for the read-only root: /usr, its links, the interpreter's prefix."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/lib", "/lib64"):
        if os.path.islink(top):  # merged /usr: a link into the /usr already there
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    bound = _outermost([p for p in (*python.prefixes, os.path.dirname(python.executable)) if not _within(p, ["/usr"])])
    for path in bound:
        args += [*_parents(path), "--ro-bind", path, path]
    for site in python.site_packages:
        if os.path.isdir(site) and _within(site, [*bound, "/usr"]):
            args += ["--tmpfs", site, "--remount-ro", site]
    return args


def _private_mounts(limits: Limits) -> list[str]:
    """A bounded /tmp, its own /proc and /dev; then the root and /dev (whose /dev/shm would be
    an unbounded tmpfs) become read-only, leaving /tmp the one place it can write."""
    return ["--perms", "1777", "--size", str(TMP_FILES * limits.file_bytes), "--tmpfs", "/tmp",
            "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]


def _parents(path: str) -> list[str]:
    """Directories above a bind, made traversable: bwrap would copy the host's modes, and a
    prefix under /root (pyenv's) would then be out of reach of the unprivileged program."""
    parts = path.strip("/").split("/")[:-1]
    return [arg for i in range(len(parts)) for arg in ("--perms", "0755", "--dir", "/" + "/".join(parts[: i + 1]))]


def _within(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _outermost(paths: list[str]) -> list[str]:
    unique = sorted(set(paths))
    return [p for p in unique if not _within(p, [q for q in unique if q != p])]


def _reusable(probe: asyncio.Future[str | None]) -> bool:
    """A finished probe holds the verdict; one still running can be awaited from its own loop."""
    if probe.done():
        return not probe.cancelled() and probe.exception() is None
    return probe.get_loop() is asyncio.get_running_loop()


def _translated(finished: Finished) -> Finished:
    """bwrap's own failure becomes `sandbox`; its 128+N for a program killed by signal N becomes -N."""
    if finished.returncode == 1 and finished.stderr.startswith(b"bwrap: "):
        first = finished.stderr.decode("utf-8", errors="replace").splitlines()[0]
        raise StepError(f"bubblewrap could not start the sandbox: {first}", ErrorKind.SANDBOX)
    if finished.returncode > 128:
        return replace(finished, returncode=128 - finished.returncode)
    return finished


class _Uids:
    """Hands each program started as root a uid no other running program has, so that the
    kernel counts each one's processes against its own limit."""

    def __init__(self, ids: range) -> None:
        self._free = list(reversed(ids))
        self._lock = threading.Lock()  # programs may start from several event loops' threads

    @contextmanager
    def taken(self) -> Iterator[int]:
        with self._lock:
            if not self._free:
                raise StepError(f"more than {len(ROOT_UIDS)} code steps are running at once; try again",
                                ErrorKind.TRANSIENT)
            uid = self._free.pop()
        try:
            yield uid
        finally:
            with self._lock:
                self._free.append(uid)


_uids = _Uids(ROOT_UIDS)
