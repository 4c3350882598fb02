"""CEL expressions inside `${{ }}`: finding, compiling and reading their references."""

from ._cel import cel
from .compiler import CompileError, compile_expression
from .references import References, references
from .template import Segment, TemplateError, find_segments, single_expression

__all__ = [
    "CompileError",
    "References",
    "Segment",
    "TemplateError",
    "cel",
    "compile_expression",
    "find_segments",
    "references",
    "single_expression",
]
