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
  | (?P<number>0[xX][0-9A-Fa-f]+[uU]?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[uU]?)
  | (?P<space>\s+|//[^\n]*)
  | (?P<op>.)
    """,
    re.VERBOSE | re.DOTALL,
)
Token = tuple[str | None, str, int]
"""(kind, text, offset): kind is string, ident, number or op; blanks and comments are left out."""
_MACROS = {"map", "filter", "all", "exists", "exists_one", "existsOne", "sortBy", "transformList",
           "transformMap"}
_KEYWORDS = frozenset({"true", "false", "null", "in"})


@dataclass
class References:
    names: set[str] = field(default_factory=set)
    """Free top-level names (macro variables excluded)."""
    members: list[tuple[str, str, int]] = field(default_factory=list)
    """(root, member, offset) for `root.member` and `root["member"]`, e.g. ('steps', 'fetch', 0)."""


def tokenize(source: str) -> list[Token]:
    """The tokens of a CEL source, enough to find names, calls and brackets (strings stay whole)."""
    return [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(source) if m.lastgroup != "space"]


def macro_at(tokens: list[Token], index: int, macros: frozenset[str] | set[str] = _MACROS) -> bool:
    """Whether tokens[index] starts a macro call `.name(var, ...`."""
    kind, text, _ = tokens[index]
    return (kind == "ident" and text in macros and _at(tokens, index - 1) == "." and _at(tokens, index + 1) == "("
            and _kind(tokens, index + 2) == "ident" and _at(tokens, index + 3) == ",")


def free_names(tokens: list[Token]) -> list[int]:
    """Indexes of the tokens that read a top-level name (not a member, a call, a keyword or a macro variable)."""
    bound = {tokens[i + 2][1] for i in range(len(tokens)) if macro_at(tokens, i)}
    return [i for i, (kind, text, _) in enumerate(tokens)
            if kind == "ident" and _at(tokens, i - 1) != "." and _at(tokens, i + 1) != "("
            and text not in _KEYWORDS and text not in bound]


def references(source: str) -> References:
    tokens = tokenize(source)
    refs = References()
    for i in free_names(tokens):
        text, offset = tokens[i][1], tokens[i][2]
        refs.names.add(text)
        if _at(tokens, i + 1) == "." and _kind(tokens, i + 2) == "ident" and _at(tokens, i + 3) != "(":
            refs.members.append((text, tokens[i + 2][1], offset))
        elif _at(tokens, i + 1) == "[" and _kind(tokens, i + 2) == "string" and _at(tokens, i + 3) == "]":
            refs.members.append((text, tokens[i + 2][1].strip("'\"rRbB"), offset))
    return refs


def _at(tokens: list[Token], index: int) -> str | None:
    return tokens[index][1] if 0 <= index < len(tokens) else None


def _kind(tokens: list[Token], index: int) -> str | None:
    return tokens[index][0] if 0 <= index < len(tokens) else None
