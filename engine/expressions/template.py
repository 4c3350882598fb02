"""Finding `${{ ... }}` in strings.

A string that is exactly one `${{ }}` evaluates to the expression's typed value; a
string with text around it is a template and yields a string.
"""

from __future__ import annotations

from dataclasses import dataclass

OPEN = "${{"
CLOSE = "}}"


@dataclass(frozen=True, slots=True)
class Segment:
    start: int  # index of "${{" in the string
    end: int  # index just past "}}"
    source: str  # the CEL text between them, stripped


class TemplateError(ValueError):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def find_segments(text: str) -> list[Segment]:
    """Every `${{ }}` in `text`, in order. `}}` inside a CEL string or map does not end one."""
    segments = []
    position = text.find(OPEN)
    while position >= 0:
        end = _closing(text, position + len(OPEN))
        if end < 0:
            raise TemplateError("'${{' is never closed with '}}'", position)
        inner = text[position + len(OPEN) : end].strip()
        if not inner:
            raise TemplateError("empty expression '${{ }}'", position)
        segments.append(Segment(position, end + len(CLOSE), inner))
        position = text.find(OPEN, end + len(CLOSE))
    return segments


def single_expression(text: str) -> str | None:
    """The CEL source if `text` is exactly one `${{ }}` (surrounding blanks allowed)."""
    stripped = text.strip()
    if not stripped.startswith(OPEN):
        return None
    segments = find_segments(stripped)
    if len(segments) == 1 and segments[0].start == 0 and segments[0].end == len(stripped):
        return segments[0].source
    return None


def _closing(text: str, index: int) -> int:
    depth = 0
    quote: str | None = None
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif text.startswith(quote, index):
                index += len(quote) - 1
                quote = None
        elif char in "'\"":
            quote = text[index : index + 3] if text[index : index + 3] in ("'''", '"""') else char
            index += len(quote) - 1
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0 and text.startswith(CLOSE, index):
                return index
            depth = max(depth - 1, 0)
        index += 1
    return -1
