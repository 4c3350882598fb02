"""What an expression refers to: the names it reads and the members of scope objects.

CEL's own `Program.variables()` lists top-level names but counts macro variables
(`items.map(x, x.name)`) as free ones and says nothing about members, so we read the
source with a small tokenizer: enough to tell `steps.fetch` and `inputs.url` apart
from string literals and bound names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<string>[rRbB]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[uU]?)
  | (?P<space>\s+)
  | (?P<op>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_MACROS = {"map", "filter", "all", "exists", "exists_one", "existsOne", "sortBy", "transformList",
           "transformMap"}


@dataclass
class References:
    names: set[str] = field(default_factory=set)
    """Free top-level names (macro variables excluded)."""
    members: list[tuple[str, str, int]] = field(default_factory=list)
    """(root, member, offset) for `root.member` and `root["member"]`, e.g. ('steps', 'fetch', 0)."""


def references(source: str) -> References:
    tokens = [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(source)]
    tokens = [t for t in tokens if t[0] != "space"]
    refs = References()
    bound: set[str] = set()
    for i, (kind, text, _) in enumerate(tokens):
        is_macro = kind == "ident" and text in _MACROS and _at(tokens, i - 1) == "." and _at(tokens, i + 1) == "("
        if is_macro and _kind(tokens, i + 2) == "ident" and _at(tokens, i + 3) == ",":
            bound.add(tokens[i + 2][1])
    for i, (kind, text, offset) in enumerate(tokens):
        if kind != "ident" or _at(tokens, i - 1) == "." or _at(tokens, i + 1) == "(":
            continue
        if text in ("true", "false", "null", "in") or text in bound:
            continue
        refs.names.add(text)
        if _at(tokens, i + 1) == "." and _kind(tokens, i + 2) == "ident" and _at(tokens, i + 3) != "(":
            refs.members.append((text, tokens[i + 2][1], offset))
        elif _at(tokens, i + 1) == "[" and _kind(tokens, i + 2) == "string" and _at(tokens, i + 3) == "]":
            refs.members.append((text, tokens[i + 2][1].strip("'\"rRbB"), offset))
    return refs


def _at(tokens: list[tuple[str | None, str, int]], index: int) -> str | None:
    return tokens[index][1] if 0 <= index < len(tokens) else None


def _kind(tokens: list[tuple[str | None, str, int]], index: int) -> str | None:
    return tokens[index][0] if 0 <= index < len(tokens) else None
