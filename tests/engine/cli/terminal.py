"""Running `loom` as a user does: a subprocess with piped stdin, or one on a pseudo-terminal (where
`getpass` turns echo off), so a test sees exactly what a person would see on screen."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping

from tests.conftest import ROOT


def loom(*args: str, input: str | None = None, env: Mapping[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str]:
    """`loom ARGS` with `input` piped to stdin (an empty pipe when None)."""
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], input=input or "", capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env={**os.environ, **(env or {})})


def on_terminal(*args: str, typed: list[str], timeout: float = 60) -> tuple[int, str]:
    """`loom ARGS` on a pseudo-terminal, typing each of `typed` after a prompt; (exit status, screen)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its stdin, stdout, stderr and controlling tty
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "engine.cli", *args])
    screen, answers, deadline = b"", list(typed), time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
            if answers and screen.rstrip().endswith(b":"):
                os.write(fd, answers.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), screen.decode(errors="replace")
