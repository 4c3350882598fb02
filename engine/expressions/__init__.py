"""CEL expressions inside `${{ }}`: finding, compiling and reading their references, and
bounding what one evaluation may cost."""

from ._cel import cel
from .budget import EVALUATION_BUDGET_S, Budget
from .checkpoints import BUDGET_FUNCTION, checkpointed
from .compiler import MAX_SOURCE_CHARS, CompileError, compile_expression, compile_guarded
from .references import References, references
from .template import Segment, TemplateError, find_segments, single_expression

__all__ = [
    "BUDGET_FUNCTION",
    "EVALUATION_BUDGET_S",
    "MAX_SOURCE_CHARS",
    "Budget",
    "CompileError",
    "References",
    "Segment",
    "TemplateError",
    "cel",
    "checkpointed",
    "compile_expression",
    "compile_guarded",
    "find_segments",
    "references",
    "single_expression",
]
