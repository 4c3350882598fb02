"""Builder quality in MLflow: the builder's prompts registered with versions, and `loom eval`.

    cases = load_cases()                                   # the shipped set, or load_cases("my-set.yaml")
    report = evaluate(cases, EvalConfig(model="openai/gpt-4o-mini"))
    report.metrics["valid_first_answer/mean"]

Scorers: valid on first answer, valid after repair, number of model calls, expected
trigger types present, expected step types present.
"""

from .cases import DEFAULT_SET, EvalCase, EvalSetError, load_cases
from .prompts import INSTRUCTIONS, REFERENCE, prompt_texts, register_prompts
from .runner import EvalConfig, EvalReport, evaluate

__all__ = [
    "DEFAULT_SET",
    "INSTRUCTIONS",
    "REFERENCE",
    "EvalCase",
    "EvalConfig",
    "EvalReport",
    "EvalSetError",
    "evaluate",
    "load_cases",
    "prompt_texts",
    "register_prompts",
]
