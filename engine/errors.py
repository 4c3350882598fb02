"""Errors raised by the engine.

    LoomError                   base of everything the engine raises on purpose
     ├── ValidationError        a workflow document is invalid; carries every Problem found
     ├── WorkflowNotFound       a name was given that no file or saved workflow answers to
     ├── StepError              one attempt of a step failed; `kind` decides whether it is retried
     ├── RunFailed              the run stops: wraps the StepError that ended it
     └── Suspended              the run waits durably (an approval) and ends for now

A `Problem` is one real mistake in a document: where it is (file, dotted path, line,
column), what is wrong, and, where one helps, a hint on how to fix it. The same
problems are printed by `loom validate`, returned by the builder API and fed back to
the builder's model, so messages are written for a person and a model at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


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
    """A step failed. `kind` is the retry class: timeout, http_5xx, http_429, http_error,
    rate_limit, llm_error, expression, limit, code or error."""

    def __init__(self, message: str, kind: str = "error", *, retry_after: float | None = None,
                 step: str | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retry_after = retry_after
        self.step = step

    def to_dict(self) -> dict:
        return {"message": self.message, "type": self.kind, "step": self.step}


class RunFailed(LoomError):
    """The run cannot go on: a step failed with `on_error: fail`, a `fail` step, or a limit."""

    def __init__(self, error: StepError):
        super().__init__(error.message)
        self.error = error


class Suspended(LoomError):
    """The run waits for something outside it (an approval); it resumes from its journal."""
