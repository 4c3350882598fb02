"""Errors raised by the engine.

    LoomError                   base of everything the engine raises on purpose
     ├── ValidationError        a workflow document is invalid; carries every Problem found
     ├── WorkflowNotFound       a name was given that no file or saved workflow answers to
     ├── StepError              one attempt of a step failed; `kind` decides whether it is retried
     ├── RunFailed              the run stops: wraps the StepError that ended it
     └── Suspended              the run waits durably (an approval) and ends for now

Every StepError has a `kind` (`ErrorKind`): the retry class `retry.on` matches, and the
`error.type` a workflow's error handler sees. Run and step statuses are `RunStatus` and
`StepStatus`. Both are string enums, so they compare equal to the strings stored and shown.

A `Problem` is one real mistake in a document: where it is (file, dotted path, line,
column), what is wrong, and, where one helps, a hint on how to fix it. The same
problems are printed by `loom validate`, returned by the builder API and fed back to
the builder's model, so messages are written for a person and a model at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a step failed. The first six are retry classes a workflow names in `retry.on`."""

    TIMEOUT = "timeout"
    HTTP_5XX = "http_5xx"
    HTTP_429 = "http_429"
    RATE_LIMIT = "rate_limit"
    LLM_ERROR = "llm_error"
    TRANSIENT = "transient"
    """A temporary failure the other side says to try again later (an SMTP 4xx, a lost database connection)."""
    HTTP_ERROR = "http_error"
    ERROR = "error"
    EXPRESSION = "expression"
    LIMIT = "limit"
    FAIL = "fail"
    BLOCKED = "blocked"
    """An address the SSRF guard refuses, or a path outside the files directory."""
    UNSUPPORTED = "unsupported"
    MOCKED = "mocked"
    UNMOCKED = "unmocked"
    CANCELLED = "cancelled"
    CHILD = "child"
    CODE = "code"
    """The program of a `code` step raised an exception."""
    MEMORY = "memory"
    """A `code` step ran out of its memory limit."""
    OUTPUT = "output"
    """A `code` step printed no JSON value, or more output than its cap."""
    SANDBOX = "sandbox"
    """No sandbox can run a `code` step on this machine."""
    MISSING = "missing"
    """A secret or connection the workflow names is not configured."""
    SMTP = "smtp"
    """The mail server refused the message permanently (a 5xx reply)."""
    SQL = "sql"
    """The database refused the statement."""
    FILE = "file"
    """A file operation failed: not found, too large, not a text file."""


NOT_RETRIED = frozenset({ErrorKind.EXPRESSION, ErrorKind.LIMIT, ErrorKind.FAIL, ErrorKind.BLOCKED,
                         ErrorKind.UNSUPPORTED, ErrorKind.MOCKED, ErrorKind.UNMOCKED, ErrorKind.SANDBOX,
                         ErrorKind.MISSING})
"""Kinds no retry policy retries, not even `on: [any]`: trying again cannot help."""


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"
    """Suspended until an approval is answered; resumes from its journal."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})


class StepStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    file: str | None = None

    def format(self) -> str:
        """`FILE:LINE:COL: PATH: MESSAGE (HINT)`, the line `loom validate` prints."""
        where = ":".join(
            str(part) for part in (self.file or "<string>", self.line, self.column) if part
        )
        text = f"{where}: {self.path or '(document)'}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("file")
        return data


class LoomError(Exception):
    """Base class of the engine's own errors."""


class ValidationError(LoomError):
    """A workflow document failed to load. `problems` lists every mistake found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(p.format() for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in workflow:\n{lines}{more}")


class WorkflowNotFound(LoomError):
    """No workflow file or saved workflow has the given name."""


class StepError(LoomError):
    """A step failed. `kind` (an ErrorKind) decides whether it is retried."""

    def __init__(self, message: str, kind: ErrorKind | str = ErrorKind.ERROR, *, retry_after: float | None = None,
                 step: str | None = None):
        super().__init__(message)
        self.message = message
        self.kind = ErrorKind(kind)
        self.retry_after = retry_after
        self.step = step
        self.attempts = 1

    def to_dict(self) -> dict:
        return {"message": self.message, "type": str(self.kind), "step": self.step}


class RunFailed(LoomError):
    """The run cannot go on: a step failed with `on_error: fail`, a `fail` step, or a limit."""

    def __init__(self, error: StepError):
        super().__init__(error.message)
        self.error = error


class Suspended(LoomError):
    """The run waits for something outside it (an approval); it resumes from its journal."""
