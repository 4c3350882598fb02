"""One background thread that writes traces, so nobody waiting for an answer waits for MLflow.

Writing to MLflow's SQL store costs CPU (a few ms per session, well under a ms per span),
and a Python thread competes with the runs for the interpreter. So the writer waits for a lull (no
run event for `QUIET_S`) before writing, but never holds a trace longer than `MAX_DELAY_S`
or lets more than `MAX_BACKLOG` wait: a busy server still gets its traces within seconds.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("loomwork.tracing")

MAX_PENDING = 10_000
"""Traces waiting to be written; past this they are dropped (and counted) rather than memory grown."""
QUIET_S = 0.05
MAX_DELAY_S = 5.0
MAX_BACKLOG = 200
BATCH = 50
"""Traces written per database session at most (one `log_spans` call)."""
_STOP = object()


class Writer:
    def __init__(self, name: str = "loomwork-tracer", sink: Callable[[list[Any]], None] | None = None) -> None:
        """With a `sink`, jobs return what to write (None for nothing) and the sink writes up to
        `BATCH` of them at once; without one, each job writes for itself."""
        self.name = name
        self.sink = sink
        self.written = 0
        self.dropped = 0
        self.failed = 0
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._hurry = threading.Event()
        self.last_activity = 0
        """`time.time_ns()` of the latest run event; the tracer sets it, the writer waits for a lull after it."""

    def submit(self, job: Callable[[], Any]) -> None:
        """Run `job` in the background; it returns False when it wrote nothing."""
        if self._jobs.qsize() >= MAX_PENDING:
            self.dropped += 1
            if self.dropped % 1000 == 1:  # say so, without a line per dropped trace
                log.warning("tracing cannot keep up: %d trace(s) dropped so far (%d waiting to be written); "
                            "LOOM_TRACING=off, or a tracking server (MLFLOW_TRACKING_URI), takes the load off",
                            self.dropped, MAX_PENDING)
            return
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                    self._thread.start()
        self._jobs.put((time.time_ns(), job))

    def _work(self) -> None:
        stop = False
        while not stop:
            submitted, job = self._jobs.get()
            jobs = [job]
            if job is not _STOP:
                self._wait_for_lull(submitted)
                while len(jobs) < BATCH:  # what else is waiting goes in the same write
                    try:
                        jobs.append(self._jobs.get_nowait()[1])
                    except queue.Empty:
                        break
            try:
                stop = self._run(jobs)
            finally:
                for _ in jobs:
                    self._jobs.task_done()

    def _run(self, jobs: list) -> bool:
        """Run `jobs`, hand what they made to the sink; True when one of them was the stop mark."""
        stop, items = False, []
        for job in jobs:
            if job is _STOP:
                stop = True
                continue
            try:
                result = job()
            except Exception:  # one trace that cannot be written must not stop the ones after it
                self.failed += 1
                log.exception("could not write a trace")
                continue
            if self.sink is not None:
                if result is not None and result is not False:
                    items.append(result)
            elif result is not False:
                self.written += 1
        if items and self.sink is not None:
            try:
                self.sink(items)
                self.written += len(items)
            except Exception:
                self.failed += len(items)
                log.exception("could not write %d trace(s)", len(items))
        return stop

    def _wait_for_lull(self, submitted_ns: int) -> None:
        while not self._hurry.is_set() and self._jobs.qsize() < MAX_BACKLOG:
            now = time.time_ns()
            quiet, waited = (now - self.last_activity) / 1e9, (now - submitted_ns) / 1e9
            if quiet >= QUIET_S or waited >= MAX_DELAY_S:
                return
            self._hurry.wait(min(QUIET_S - quiet, MAX_DELAY_S - waited))

    def flush(self) -> None:
        """Wait until every submitted trace is written and MLflow has logged it."""
        if self._thread is not None:
            self._hurry.set()
            try:
                self._jobs.join()
            finally:
                self._hurry.clear()
        mlflow = sys.modules.get("mlflow")
        if mlflow is not None:
            mlflow.flush_trace_async_logging()

    def close(self) -> None:
        self.flush()
        if self._thread is not None:
            self._jobs.put((0, _STOP))
            self._thread.join()
            self._thread = None
