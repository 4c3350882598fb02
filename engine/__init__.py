"""Loomwork's embedded engine: the language, its loader and validator, and the executor.

    wf = engine.load("examples/url-digest.yaml")       # raises engine.ValidationError
    result = engine.run_sync(wf, inputs={"url": "https://example.org"})
"""

from .errors import LoomError, Problem, RunFailed, StepError, ValidationError, WorkflowNotFound
from .language import Workflow
from .loader import load, loads
from .runtime import (
    InputError,
    MemoryStore,
    RunResult,
    Services,
    approve,
    resume,
    run,
    run_sync,
    stream,
)

__all__ = [
    "InputError",
    "LoomError",
    "MemoryStore",
    "Problem",
    "RunFailed",
    "RunResult",
    "Services",
    "StepError",
    "ValidationError",
    "Workflow",
    "WorkflowNotFound",
    "approve",
    "load",
    "loads",
    "resume",
    "run",
    "run_sync",
    "stream",
]
