"""The bootstrap that runs a `code` step's program, inside the sandbox (or the opt-in subprocess).

    python -I -S -X utf8 -c <LAUNCH> <this file, compiled> CPU MEMORY PROCESSES FILE_BYTES OPEN_FILES UID

It is never imported to run: the backends pass it compiled (see `process.LAUNCH`), and read the
exit codes below from it. So it uses the standard library only, imports next to nothing (its start-up
is the step's overhead: not even `json`, see `parse`), and does its work in this order, each
step before anything of the program runs:

1. set the rlimits (CPU seconds, address space, processes, file size, open files; no core
   files), so the program and everything it starts inherit them;
2. drop to `UID` when it is not -1: under root the kernel ignores RLIMIT_NPROC, so the
   bubblewrap backend starts this as root without a user namespace and the program runs as an
   unprivileged uid of its own (see `bubblewrap.py`);
3. read `{"source", "inputs"}` as JSON from stdin, bind `inputs`, compile the source as
   `<source>` (tracebacks number its lines) and run it.

The program's stdout is its output, untouched. When it fails, this writes a report (the
exception, then the traceback's `<source>` frames only, not this bootstrap's) to stderr after
`REPORT_MARKER`, and exits with `CODE_FAILED`; a MemoryError (or an OSError ENOMEM, from mmap)
exits with `OUT_OF_MEMORY` at once, allocating nothing. A program may forge either; it only
misreports its own failure.
"""

import errno
import os
import resource
import sys

CODE_FAILED = 86
OUT_OF_MEMORY = 87
REPORT_MARKER = "\n\x1eloom: the program failed\x1e\n"
SOURCE_NAME = "<source>"


def limit(cpu: int, memory: int, processes: int, file_bytes: int, open_files: int) -> None:
    # SIGXCPU at the soft CPU limit, SIGKILL a second later for a program that ignores it.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_to(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def report(error: BaseException, source: str) -> str:
    """The exception first, then the traceback through the program's own lines only."""
    import linecache
    import traceback

    linecache.cache[SOURCE_NAME] = (len(source), None, source.splitlines(True), SOURCE_NAME)
    described = traceback.TracebackException.from_exception(error)
    pending = [described]
    while pending:
        each = pending.pop()
        each.stack = traceback.StackSummary.from_list([f for f in each.stack if f.filename == SOURCE_NAME])
        pending += [chained for chained in (each.__cause__, each.__context__) if chained is not None]
    summary = traceback.format_exception_only(type(error), error)[-1].strip()
    return f"{summary}\n\n{''.join(described.format()).rstrip()}"


def out_of_memory(error: BaseException) -> bool:
    return isinstance(error, MemoryError) or (isinstance(error, OSError) and error.errno == errno.ENOMEM)


def fail(error: BaseException, source: str) -> None:
    if out_of_memory(error):
        os._exit(OUT_OF_MEMORY)
    try:
        text = report(error, source)
    except MemoryError:
        os._exit(OUT_OF_MEMORY)
    sys.stderr.write(REPORT_MARKER + text + "\n")
    sys.stderr.flush()
    os._exit(CODE_FAILED)


class _Strict:
    """What `_json.make_scanner` reads its settings from: plain JSON, nothing configurable."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = None  # the engine never writes NaN or Infinity


def parse(data: bytes) -> dict:
    """`json.loads`, without importing `json`: that pulls in `re` and `enum`, 20-30 ms of the
    step's start-up on a busy 2-core machine; its C scanner alone costs half a millisecond."""
    text = data.decode("utf-8")
    try:
        from _json import make_scanner
    except ImportError:  # a build without the accelerator
        import json

        return json.loads(text)
    value, end = make_scanner(_Strict())(text, 0)  # type: ignore[arg-type]  # any object with these attributes
    if text[end:].strip():
        raise ValueError(f"extra data after the request at character {end}")
    return value


def run(source: str, inputs: object) -> None:
    program = compile(source, SOURCE_NAME, "exec")
    exec(program, {"__name__": "__main__", "__builtins__": __builtins__, "inputs": inputs})


def stopped(stop: SystemExit) -> BaseException | None:
    """`sys.exit()` and `sys.exit(0)` end the program normally; any other status is a failure."""
    if stop.code is None or stop.code == 0:
        return None
    return stop


def main() -> None:
    cpu, memory, processes, file_bytes, open_files, uid = (int(arg) for arg in sys.argv[1:7])
    limit(cpu, memory, processes, file_bytes, open_files)
    if uid != -1:
        drop_to(uid)
    source = ""
    try:
        request = parse(sys.stdin.buffer.read())
        source = request["source"]
        run(source, request["inputs"])
        sys.stdout.flush()
    except SystemExit as stop:
        failure = stopped(stop)
        if failure is not None:
            fail(failure, source)
    except BaseException as error:  # every failure of the program is reported, SystemExit aside
        fail(error, source)


if __name__ == "__main__":
    main()
