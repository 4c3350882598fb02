"""The bubblewrap backend with real programs: values, inputs, each error kind, limits, cleanup."""

from __future__ import annotations

import asyncio
import hashlib
import os

import pytest

from engine.errors import ErrorKind
from engine.sandbox import bubblewrap
from engine.sandbox.base import Limits, MiB, Program
from engine.sandbox.bubblewrap import Bubblewrap
from engine.sandbox.process import interpreter

from .conftest import descendants, fails, timed_failure, wait_until

ECHO = "import json\nprint(json.dumps(inputs))"


@pytest.fixture
def sandbox() -> Bubblewrap:
    return Bubblewrap()


async def test_the_value_is_the_json_the_program_prints(sandbox: Bubblewrap):
    source = "import json\nprint(json.dumps(sum(inputs['numbers'])))"
    assert await sandbox.run(Program(source, {"numbers": [1, 2, 3]})) == 6


async def test_inputs_arrive_as_json_values_and_come_back_unchanged(sandbox: Bubblewrap):
    inputs = {"text": "a", "n": 3, "x": 1.5, "yes": True, "none": None, "list": [1, [2, {"k": "v"}]], "empty": {}}
    assert await sandbox.run(Program(ECHO, inputs)) == inputs


async def test_unicode_passes_both_ways(sandbox: Bubblewrap):
    inputs = {"greeting": "héllo wörld, 你好, Привет, 🌍", "ключ": "значение"}
    source = "import json\nprint(json.dumps({'echo': inputs, 'own': 'ünïcödé ✓'}, ensure_ascii=False))"
    assert await sandbox.run(Program(source, inputs)) == {"echo": inputs, "own": "ünïcödé ✓"}


async def test_large_inputs_are_read_whole(sandbox: Bubblewrap):
    blob = "x" * (8 * MiB) + "é"
    source = ("import hashlib, json\n"
              "print(json.dumps([len(inputs['blob']), hashlib.sha256(inputs['blob'].encode()).hexdigest()]))")
    value = await sandbox.run(Program(source, {"blob": blob}))
    assert value == [len(blob), hashlib.sha256(blob.encode()).hexdigest()]


async def test_the_whole_stdout_is_one_json_value_so_indented_json_works(sandbox: Bubblewrap):
    source = "import json\nprint()\nprint(json.dumps({'a': [1, 2]}, indent=2))\nprint()"
    assert await sandbox.run(Program(source, None)) == {"a": [1, 2]}


async def test_output_just_under_the_cap_is_returned(sandbox: Bubblewrap):
    source = "import json\nprint(json.dumps('y' * (1024 * 1024 - 100)))"
    assert len(await sandbox.run(Program(source, None))) == 1024 * 1024 - 100


async def test_stderr_is_not_the_output(sandbox: Bubblewrap):
    source = "import sys\nprint('debugging', file=sys.stderr)\nprint(42)"
    assert await sandbox.run(Program(source, None)) == 42


async def test_sys_exit_zero_ends_the_program_normally(sandbox: Bubblewrap):
    assert await sandbox.run(Program("import sys\nprint(7)\nsys.exit(0)", None)) == 7


# ---- output errors ---------------------------------------------------------------------


async def test_printing_nothing_is_an_output_error(sandbox: Bubblewrap):
    error = await fails(sandbox, "x = 1")
    assert error.kind == ErrorKind.OUTPUT and "printed nothing" in error.message


async def test_text_that_is_not_json_is_an_output_error_with_a_hint(sandbox: Bubblewrap):
    error = await fails(sandbox, "print('hello there')")
    assert error.kind == ErrorKind.OUTPUT
    assert "'hello there'" in error.message and "sys.stderr" in error.message


async def test_two_values_are_not_one(sandbox: Bubblewrap):
    error = await fails(sandbox, "print(1)\nprint(2)")
    assert error.kind == ErrorKind.OUTPUT and "Extra data" in error.message


async def test_nan_is_not_json(sandbox: Bubblewrap):
    error = await fails(sandbox, "print('NaN')")
    assert error.kind == ErrorKind.OUTPUT


async def test_output_over_the_cap_kills_the_program_at_once(sandbox: Bubblewrap):
    error, elapsed = await timed_failure(sandbox, "while True:\n    print('x' * 1000)", timeout=20)
    assert error.kind == ErrorKind.OUTPUT and "more than 1 MiB" in error.message
    assert elapsed < 10


async def test_the_output_cap_is_the_limit_given(sandbox: Bubblewrap):
    error = await fails(sandbox, "print('x' * 5000)", output_bytes=4096)
    assert error.kind == ErrorKind.OUTPUT and "more than 4096 bytes" in error.message


# ---- the program's own failures ----------------------------------------------------------


async def test_an_exception_is_a_code_error_with_the_sources_line_numbers(sandbox: Bubblewrap):
    source = "import json\n\ndef half(n):\n    return n / 0\n\nprint(json.dumps(half(inputs['n'])))\n"
    error = await fails(sandbox, source, {"n": 4})
    assert error.kind == ErrorKind.CODE
    lines = error.message.splitlines()
    assert lines[0] == "ZeroDivisionError: division by zero"
    assert '  File "<source>", line 6, in <module>' in lines
    assert '  File "<source>", line 4, in half' in lines
    assert "    return n / 0" in lines


async def test_the_traceback_shows_no_frame_but_the_sources(sandbox: Bubblewrap):
    error = await fails(sandbox, "import json\njson.loads('{')")
    assert error.kind == ErrorKind.CODE and error.message.startswith("json.decoder.JSONDecodeError: ")
    files = [line for line in error.message.splitlines() if line.startswith("  File ")]
    assert files == ['  File "<source>", line 2, in <module>']
    assert "<string>" not in error.message and "child" not in error.message


async def test_chained_exceptions_keep_their_source_frames(sandbox: Bubblewrap):
    source = "try:\n    {}['missing']\nexcept KeyError as exc:\n    raise ValueError('no value') from exc\n"
    error = await fails(sandbox, source)
    assert error.message.splitlines()[0] == "ValueError: no value"
    assert "KeyError: 'missing'" in error.message and "direct cause" in error.message
    assert '  File "<source>", line 2, in <module>' in error.message
    assert '  File "<source>", line 4, in <module>' in error.message


async def test_a_syntax_error_found_only_when_compiling_names_its_line(sandbox: Bubblewrap):
    error = await fails(sandbox, "x = 1\nreturn x\n")
    assert error.kind == ErrorKind.CODE
    assert error.message.splitlines()[0] == "SyntaxError: 'return' outside function"
    assert 'File "<source>", line 2' in error.message


async def test_sys_exit_with_a_status_is_a_code_error(sandbox: Bubblewrap):
    error = await fails(sandbox, "import sys\nsys.exit(3)")
    assert error.kind == ErrorKind.CODE and error.message.startswith("SystemExit: 3")


async def test_a_program_that_kills_itself_is_a_code_error(sandbox: Bubblewrap):
    error = await fails(sandbox, "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    assert error.kind == ErrorKind.CODE and "SIGSEGV" in error.message


async def test_the_program_runs_as_main_with_inputs_bound(sandbox: Bubblewrap):
    source = "import json\nprint(json.dumps([__name__, 'inputs' in globals()]))"
    assert await sandbox.run(Program(source, None)) == ["__main__", True]


# ---- limits ------------------------------------------------------------------------------


async def test_the_wall_clock_timeout_kills_the_program(sandbox: Bubblewrap):
    error, elapsed = await timed_failure(sandbox, "import time\ntime.sleep(60)", timeout=1)
    assert error.kind == ErrorKind.TIMEOUT and "time limit of 1s" in error.message
    assert 1 <= elapsed < 5


async def test_the_cpu_limit_stops_a_busy_loop_before_the_wall_clock_does(sandbox: Bubblewrap):
    error, elapsed = await timed_failure(sandbox, "while True:\n    pass", cpu_seconds=1, timeout=30)
    assert error.kind == ErrorKind.TIMEOUT and "CPU time limit of 1 s" in error.message
    assert elapsed < 15


async def test_a_memory_error_is_a_memory_error(sandbox: Bubblewrap):
    error = await fails(sandbox, "blob = bytearray(1024 * 1024 * 1024)")
    assert error.kind == ErrorKind.MEMORY and "256 MiB" in error.message


async def test_growing_past_the_memory_limit_is_a_memory_error(sandbox: Bubblewrap):
    error = await fails(sandbox, "hoard = []\nwhile True:\n    hoard.append('x' * 1_000_000)", memory_bytes=128 * MiB)
    assert error.kind == ErrorKind.MEMORY and "128 MiB" in error.message


async def test_a_program_gets_the_memory_it_is_allowed(sandbox: Bubblewrap):
    assert await sandbox.run(Program("blob = bytearray(100 * 1024 * 1024)\nprint(len(blob))", None)) == 100 * MiB


async def test_files_larger_than_the_limit_cannot_be_written(sandbox: Bubblewrap):
    error = await fails(sandbox, "open('/tmp/big', 'wb').write(b'x' * 2_000_000)", file_bytes=1_000_000)
    assert error.kind == ErrorKind.CODE and "File too large" in error.message


async def test_tmp_is_writable_within_the_limit(sandbox: Bubblewrap):
    source = "open('/tmp/a', 'w').write('kept')\nimport json\nprint(json.dumps(open('/tmp/a').read()))"
    assert await sandbox.run(Program(source, None)) == "kept"


async def test_open_files_are_limited(sandbox: Bubblewrap):
    error = await fails(sandbox, "files = [open('/tmp/f%d' % i, 'w') for i in range(100)]", open_files=32)
    assert error.kind == ErrorKind.CODE and "Too many open files" in error.message


async def test_processes_are_limited(sandbox: Bubblewrap):
    source = "import os\nfor _ in range(40):\n    if os.fork() == 0:\n        import time; time.sleep(5); os._exit(0)\n"
    error = await fails(sandbox, source, processes=8)
    assert error.kind == ErrorKind.CODE and "Resource temporarily unavailable" in error.message


async def test_a_program_may_start_a_few_processes(sandbox: Bubblewrap):
    source = "import subprocess, sys\nprint(subprocess.run([sys.executable, '-I', '-c', 'print(5)'],\n" \
             "                     capture_output=True, text=True).stdout)"
    assert await sandbox.run(Program(source, None)) == 5


async def test_the_environment_is_empty(sandbox: Bubblewrap, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOOM_SECRET_CANARY", "canary-value-123")
    source = "import json, os\nprint(json.dumps(dict(os.environ)))"
    environment = await sandbox.run(Program(source, None))
    assert set(environment) <= {"LC_CTYPE", "PWD"}, environment


# ---- processes end with the program --------------------------------------------------------


async def test_processes_a_program_leaves_behind_end_with_it(sandbox: Bubblewrap):
    source = ("import os, time\n"
              "if os.fork() == 0:\n    os.setsid()\n    time.sleep(30)\n    os._exit(0)\n"
              "print(1)")
    assert await sandbox.run(Program(source, None)) == 1
    assert descendants() == []


async def test_cancelling_the_step_kills_the_program(sandbox: Bubblewrap):
    task = asyncio.create_task(sandbox.run(Program("while True:\n    pass", None, Limits(timeout=60))))
    await wait_until(lambda: len(descendants()) >= 3)  # bwrap, its init and the program
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_until(lambda: descendants() == [])


async def test_concurrent_programs_each_get_their_own_inputs(sandbox: Bubblewrap):
    values = await asyncio.gather(*(sandbox.run(Program(ECHO, {"i": i})) for i in range(12)))
    assert values == [{"i": i} for i in range(12)]


# ---- when this machine cannot sandbox ----------------------------------------------------


async def test_without_bwrap_code_steps_are_refused_naming_the_opt_in(tmp_path):
    error = await fails(Bubblewrap(bwrap=str(tmp_path / "no-bwrap")), "print(1)")
    assert error.kind == ErrorKind.SANDBOX
    assert "not installed" in error.message and "LOOM_CODE_SANDBOX=unsandboxed" in error.message


async def test_a_bwrap_that_cannot_make_namespaces_is_refused_with_its_reason(tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    error = await fails(Bubblewrap(bwrap=str(fake)), "print(1)")
    assert error.kind == ErrorKind.SANDBOX
    assert "No permissions to create new namespace" in error.message
    assert "LOOM_CODE_SANDBOX=unsandboxed" in error.message


async def test_the_probe_runs_once_at_the_first_run_not_before_even_for_concurrent_runs(tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text(f"#!/bin/sh\necho probed >> {tmp_path / 'calls'}\nexit 1\n")
    fake.chmod(0o755)
    sandbox = Bubblewrap(bwrap=str(fake))
    assert str(fake) not in bubblewrap._verdicts and not (tmp_path / "calls").exists()
    errors = await asyncio.gather(*(fails(sandbox, "print(1)") for _ in range(3)))
    errors.append(await fails(sandbox, "print(1)"))
    assert [e.kind for e in errors] == [ErrorKind.SANDBOX] * 4
    assert (tmp_path / "calls").read_text() == "probed\n"


def test_the_root_filesystem_binds_the_real_interpreter_and_hides_its_packages():
    python = interpreter()
    args = bubblewrap.root_filesystem(python)
    assert os.path.realpath(python.executable) == python.executable and os.access(python.executable, os.X_OK)
    assert args[:3] == ["--ro-bind", "/usr", "/usr"]
    triples = [args[i:i + 3] for i in range(len(args) - 2)]
    for prefix in python.prefixes:
        assert prefix.startswith("/usr/") or ["--ro-bind", prefix, prefix] in triples
    for site in python.site_packages:
        assert not os.path.isdir(site) or ["--tmpfs", site, "--remount-ro"] in triples


def test_it_runs_on_uvloop_too_the_servers_event_loop():
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> list:
        sandbox = Bubblewrap()
        timed_out = await fails(sandbox, "import time\ntime.sleep(60)", timeout=1)
        overflowed = await fails(sandbox, "while True:\n    print('x' * 1000)")
        task = asyncio.create_task(sandbox.run(Program("while True:\n    pass", None)))
        await wait_until(lambda: len(descendants()) >= 3)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return [await sandbox.run(Program(ECHO, {"a": "ü"})), timed_out.kind, overflowed.kind, descendants()]

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(scenario()) == [{"a": "ü"}, ErrorKind.TIMEOUT, ErrorKind.OUTPUT, []]
