"""The regular expressions users write in WhatsApp triggers: RE2 syntax, linear-time matching.

Patterns are matched in the server process, against text anyone who can message the number
sends. Python's `re` backtracks: `^(?P<x>(a+)+)$` against 27 `a`s and a `!` held the event
loop (and the GIL) for 32 s. RE2 (`google-re2`) matches in time linear in the text and
refuses, when the workflow is loaded, the constructs that need backtracking: backreferences
and lookaround. It keeps Python's named groups, `(?P<name>...)`, which become inputs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_WHY = [
    (re.compile(r"^\\[1-9]$|^\(\?P=$"), "backreferences (\\1, (?P=name)) are not supported"),
    (re.compile(r"^\(\?<?[=!]$"), "lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported"),
    (re.compile(r"^\(\?>$|^[*+?]\+$"), "atomic groups and possessive quantifiers are not supported"),
    (re.compile(r"^\(\?\($"), "conditionals (?(1)...) are not supported"),
]


_COUNT = re.compile(r"(?<!\\)\{(\d+)(?:,(\d*))?\}")
_MAX_COUNT = 1000


class PatternError(ValueError):
    """A pattern RE2 refuses; `offset` is the 0-based position of the part it refused."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 pattern (cached: routing matches every message against every pattern)."""
    import re2  # here, not at import: 4 ms and 2.5 MB that only workflows with a pattern need

    options = re2.Options()
    options.log_errors = False  # RE2 would print each refused pattern on stderr
    try:
        compiled = re2.compile(pattern, options=options)
    except re2.error as exc:
        raise _refusal(pattern, _text(exc)) from None
    _check_counts(pattern)
    return compiled


def _check_counts(pattern: str) -> None:
    """RE2 refuses a repetition count over 1,000 but reads one too large for an int, `a{99999999999}`,
    as literal text: refuse that too, rather than match something the writer did not mean."""
    for found in _COUNT.finditer(pattern):
        if any(len(number.lstrip("0")) > 4 or int(number) > _MAX_COUNT for number in found.groups() if number):
            raise _refusal(pattern, f"invalid repetition size: {found.group()}")


def _text(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else ""
    return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)


def _refusal(pattern: str, detail: str) -> PatternError:
    reason, _, fragment = detail.partition(": ")
    offset, fragment = _locate(pattern, fragment)
    why = next((text for check, text in _WHY if check.match(fragment)), reason or "RE2 cannot compile it")
    shown = fragment if len(fragment) <= 40 else fragment[:40] + "..."
    where = f" at character {offset + 1} (`{shown}`)" if fragment else ""
    return PatternError(f"invalid regular expression{where}: {why}. Patterns use RE2 syntax, which matches in "
                        "time linear in the message so that no message can stall the server; it has no "
                        "backreferences or lookaround, which need backtracking", offset)


def _locate(pattern: str, fragment: str) -> tuple[int, str]:
    """Where RE2's quoted fragment stands in the pattern, and the fragment to show."""
    if fragment == "(?P" and "(?P=" in pattern:  # RE2 quotes only the prefix of `(?P=name)`
        return pattern.index("(?P="), "(?P="
    return (max(pattern.find(fragment), 0) if fragment else 0), fragment
