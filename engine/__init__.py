"""Loomwork's embedded engine: the language, its loader and validator, and (soon) the executor.

    wf = engine.load("examples/url-digest.yaml")   # raises engine.ValidationError
"""

from .errors import LoomError, Problem, ValidationError, WorkflowNotFound
from .language import Workflow
from .loader import load, loads

__all__ = ["LoomError", "Problem", "ValidationError", "Workflow", "WorkflowNotFound", "load", "loads"]
