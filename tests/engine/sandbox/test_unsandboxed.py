"""The opt-in backend: no isolation, but the same bootstrap, limits, output cap and error kinds."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from engine.errors import ErrorKind
from engine.sandbox import SANDBOX_VARIABLE, default_sandbox
from engine.sandbox.base import Limits, MiB, Program
from engine.sandbox.bubblewrap import Bubblewrap
from engine.sandbox.unsandboxed import UnsandboxedSubprocess

from .conftest import descendants, fails, timed_failure, wait_until

RLIMITS = "import json, resource\nprint(json.dumps({n: resource.getrlimit(getattr(resource, n)) for n in inputs}))"
LIMIT_NAMES = ["RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE"]


@pytest.fixture
def sandbox() -> UnsandboxedSubprocess:
    return UnsandboxedSubprocess()


def test_the_opt_in_is_chosen_by_the_environment_variable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(SANDBOX_VARIABLE, raising=False)
    assert isinstance(default_sandbox(), Bubblewrap)
    monkeypatch.setenv(SANDBOX_VARIABLE, "unsandboxed")
    assert isinstance(default_sandbox(), UnsandboxedSubprocess)
    monkeypatch.setenv(SANDBOX_VARIABLE, "docker")
    with pytest.raises(ValueError, match="bubblewrap or unsandboxed"):
        default_sandbox()


async def test_it_runs_the_program_with_its_inputs(sandbox: UnsandboxedSubprocess):
    source = "import json\nprint(json.dumps({'sum': sum(inputs['n']), 'word': inputs['word'].upper()}))"
    assert await sandbox.run(Program(source, {"n": [1, 2], "word": "grüße"})) == {"sum": 3, "word": "GRÜSSE"}


@pytest.mark.parametrize("backend", [UnsandboxedSubprocess, Bubblewrap])
async def test_both_backends_set_the_limits_given(backend):
    limits = Limits(cpu_seconds=7, memory_bytes=200 * MiB, processes=9, file_bytes=3 * MiB, open_files=40)
    value = await backend().run(Program(RLIMITS, LIMIT_NAMES, limits))
    assert value == {"RLIMIT_CPU": [7, 8], "RLIMIT_AS": [200 * MiB] * 2, "RLIMIT_NPROC": [9, 9],
                     "RLIMIT_FSIZE": [3 * MiB] * 2, "RLIMIT_NOFILE": [40, 40], "RLIMIT_CORE": [0, 0]}


async def test_the_environment_is_empty(sandbox: UnsandboxedSubprocess, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOOM_SECRET_CANARY", "canary-value-456")
    environment = await sandbox.run(Program("import json, os\nprint(json.dumps(dict(os.environ)))", None))
    assert set(environment) <= {"LC_CTYPE"}, environment


async def test_it_works_in_a_scratch_directory_removed_afterwards(sandbox: UnsandboxedSubprocess):
    source = "import json, os\nopen('note.txt', 'w').write('x')\nprint(json.dumps(os.getcwd()))"
    scratch = Path(await sandbox.run(Program(source, None)))
    assert scratch.name.startswith("loom-code-") and scratch != Path.cwd()
    assert not scratch.exists()


async def test_a_traceback_points_at_the_source(sandbox: UnsandboxedSubprocess):
    error = await fails(sandbox, "x = 1\ny = x + 'a'\n")
    assert error.kind == ErrorKind.CODE
    assert error.message.splitlines()[0].startswith("TypeError: unsupported operand")
    assert '  File "<source>", line 2, in <module>' in error.message


async def test_the_wall_clock_timeout_kills_it(sandbox: UnsandboxedSubprocess):
    error, elapsed = await timed_failure(sandbox, "import time\ntime.sleep(60)", timeout=1)
    assert error.kind == ErrorKind.TIMEOUT and elapsed < 5


async def test_the_cpu_limit_stops_a_busy_loop(sandbox: UnsandboxedSubprocess):
    error, elapsed = await timed_failure(sandbox, "while True:\n    pass", cpu_seconds=1, timeout=30)
    assert error.kind == ErrorKind.TIMEOUT and "CPU" in error.message and elapsed < 15


async def test_memory_is_limited(sandbox: UnsandboxedSubprocess):
    error = await fails(sandbox, "blob = bytearray(2 * 1024 ** 3)")
    assert error.kind == ErrorKind.MEMORY


async def test_output_is_capped(sandbox: UnsandboxedSubprocess):
    error, elapsed = await timed_failure(sandbox, "while True:\n    print('x' * 1000)", timeout=20)
    assert error.kind == ErrorKind.OUTPUT and elapsed < 10


async def test_file_size_is_limited(sandbox: UnsandboxedSubprocess):
    error = await fails(sandbox, "open('big', 'wb').write(b'x' * 3_000_000)", file_bytes=1_000_000)
    assert error.kind == ErrorKind.CODE and "File too large" in error.message


async def test_open_files_are_limited(sandbox: UnsandboxedSubprocess):
    error = await fails(sandbox, "files = [open('f%d' % i, 'w') for i in range(100)]", open_files=32)
    assert error.kind == ErrorKind.CODE and "Too many open files" in error.message


@pytest.mark.skipif(os.geteuid() == 0, reason="the kernel does not apply RLIMIT_NPROC to root")
async def test_processes_are_limited(sandbox: UnsandboxedSubprocess):
    source = "import os\nfor _ in range(40):\n    if os.fork() == 0:\n        import time; time.sleep(5); os._exit(0)\n"
    error = await fails(sandbox, source, processes=8)
    assert error.kind == ErrorKind.CODE


async def test_children_left_holding_its_output_are_killed_at_the_deadline(sandbox: UnsandboxedSubprocess,
                                                                           tmp_path: Path):
    source = ("import os, time\nif os.fork() == 0:\n    open(inputs, 'w').write(str(os.getpid()))\n"
              "    time.sleep(60)\nprint(1)")
    error = await fails(sandbox, source, str(tmp_path / "pid"), timeout=1)
    assert error.kind == ErrorKind.TIMEOUT
    pid = int((tmp_path / "pid").read_text())
    await wait_until(lambda: not _alive(pid), timeout=5)  # SIGKILL is sent; its delivery takes a moment


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


async def test_cancelling_kills_it(sandbox: UnsandboxedSubprocess):
    task = asyncio.create_task(sandbox.run(Program("while True:\n    pass", None, Limits(timeout=60))))
    while not descendants():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert descendants() == []
