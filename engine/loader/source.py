"""Safe YAML reading that remembers where every node came from.

libyaml's parser gives us events with marks; `composer.py` turns them into nodes without
recursing (PyYAML's C composer overflows the C stack on deeply nested text), and we build
plain Python data from the nodes ourselves instead of using PyYAML's constructor, because
we need four things it does not do: the line and column of every value and key, an error
on duplicate keys (PyYAML keeps the last one silently), a bound on alias expansion (a
"billion laughs" document must fail fast and small), and YAML 1.2 booleans (so `on:` is a
key, not `True`). The document limits are in `limits.py`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import Problem
from .composer import Document, LimitExceeded, compose
from .limits import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_NODES

Path = tuple[str | int, ...]


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.2 core schema: only true/false are booleans; no timestamps, sexagesimal or 0-octal numbers."""


_YAML_1_1_ONLY = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int",
                  "tag:yaml.org,2002:float")


_Resolver.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in _YAML_1_1_ONLY
    ]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
# YAML 1.1 reads `12:30` as 45000 and `012` as 10; YAML 1.2's core schema does not.
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"),
)

try:  # libyaml's parser: several times faster than the pure-Python one, and as safe (no recursion)
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - PyYAML's wheels ship libyaml

    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


class _Loader(_Parser, _Resolver):
    """Events from the parser and tags from our resolver; never PyYAML's composer, which
    recurses (see `composer.py`)."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        _Resolver.__init__(self)


_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}

_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}

_UNALIAS = "write the values out instead of repeating *aliases"


@dataclass
class Source:
    """A parsed document: its data and where each part of it stands in the text."""

    text: str
    data: Any
    file: str | None = None
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    spans: dict[Path, tuple[int, int]] = field(default_factory=dict)
    _line_starts: list[int] | None = field(default=None, init=False, repr=False)

    def position(self, path: Path, *, key: bool = False) -> tuple[int, int] | tuple[None, None]:
        """Line and column of `path` (its key with key=True), else of its nearest ancestor."""
        if key and path in self.key_positions:
            return self.key_positions[path]
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found:
                return found
        return None, None

    def locate(self, path: Path, needle: str) -> tuple[int, int] | None:
        """Line and column of `needle` inside the scalar at `path`, as written in the text."""
        span = self.spans.get(path)
        if not span:
            return None
        offset = self.text.find(needle, span[0], span[1])
        if offset < 0:
            return None
        if self._line_starts is None:  # counting newlines per lookup would be quadratic in long documents
            self._line_starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1


class SourceError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems


def parse(text: str, file: str | None = None, *, max_bytes: int = MAX_BYTES) -> Source:
    """Parse YAML text into a Source, or raise SourceError with every problem found."""
    _check_size(text, file, max_bytes)
    document = _compose(text, file)
    if document.root is None:
        raise SourceError([Problem("", "the document is empty", 1, 1, file=file)])
    source = Source(text=text, data=None, file=file)
    builder = _Builder(source, yaml.constructor.SafeConstructor(), document.anchored)
    source.data = builder.build(document.root, (), 0)
    if builder.problems:
        raise SourceError(builder.problems)
    return source


def _check_size(text: str, file: str | None, max_bytes: int) -> None:
    """Refuse an oversized document before the parser sees a byte of it."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # a lone surrogate, e.g. from text decoded with surrogateescape
        line, column = _line_column(text, exc.start)
        raise SourceError([Problem("", f"character U+{ord(text[exc.start]):04X} is not valid Unicode text",
                                   line, column, file=file)]) from None
    if size > max_bytes:
        raise SourceError([Problem("", f"document is {size} bytes; the limit is {max_bytes}", 1, 1,
                                   file=file, hint="split it into smaller workflows")])


def _compose(text: str, file: str | None) -> Document:
    """The node tree, every parser error and crossed limit turned into a positioned Problem."""
    try:
        loader = _Loader(text)
        try:
            return compose(loader)
        finally:
            loader.dispose()
    except LimitExceeded as exc:
        line, column = exc.mark.line + 1, exc.mark.column + 1
        raise SourceError([Problem(_format(exc.path), exc.message, line, column, exc.hint, file=file)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise SourceError([Problem("", f"YAML syntax error: {message}", line, column, file=file)]) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
        message = f"character U+{code:04X} is not allowed in YAML ({exc.reason})"
        raise SourceError([Problem("", message, line, column, file=file)]) from None
    except yaml.YAMLError as exc:
        raise SourceError([Problem("", f"YAML error: {exc}", 1, 1, file=file)]) from None


class _Builder:
    """Plain data and positions from the node tree; aliases are expanded here, within bounds."""

    def __init__(self, source: Source, constructor: yaml.constructor.SafeConstructor, anchored: set[int]):
        self.source = source
        self.constructor = constructor
        self.anchored = anchored
        self.problems: list[Problem] = []
        self.nodes = 0
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.aliases = 0

    def fail(self, node: yaml.Node, message: str, path: Path, hint: str | None = None) -> SourceError:
        mark = node.start_mark
        return SourceError([Problem(_format(path), message, mark.line + 1, mark.column + 1, hint,
                                    file=self.source.file)])

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"document expands to more than {MAX_NODES} nodes", path, _UNALIAS)
        if depth > MAX_DEPTH:  # reachable through aliases only: the composer refuses deeper text
            raise self.fail(node, f"nesting is deeper than {MAX_DEPTH} levels", path, _UNALIAS)
        mark = node.start_mark
        self.source.positions.setdefault(path, (mark.line + 1, mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if node.tag not in _COLLECTION_TAGS:
            raise self.fail(node, f"unsupported YAML tag {node.tag!r}; only plain values are allowed", path)
        if id(node) in self.anchored:
            return self.expand(node, path, depth)
        return self.collection(node, path, depth)

    def expand(self, node: yaml.Node, path: Path, depth: int) -> Any:
        """An anchored list or map: every use after the first is an alias expansion, and one
        inside itself would never end."""
        if id(node) in self.active:
            raise self.fail(node, "an alias refers to a node that contains it", path)
        if id(node) in self.seen:
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise self.fail(node, f"more than {MAX_ALIASES} alias expansions", path, _UNALIAS)
        self.seen.add(id(node))
        self.active.add(id(node))
        try:
            return self.collection(node, path, depth)
        finally:
            self.active.discard(id(node))

    def collection(self, node: yaml.Node, path: Path, depth: int) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]

    def mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain names, not lists or maps", path)
            key = str(key_node.value)
            if key == "<<" and key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, "merge keys (<<) are not supported; write the fields out", path)
            child = (*path, key)
            if key in result:
                first = self.source.key_positions[child][0]
                mark = key_node.start_mark
                self.problems.append(Problem(
                    _format(child), f"duplicate key '{key}' (first defined on line {first})",
                    mark.line + 1, mark.column + 1, hint="remove one of them", file=self.source.file,
                ))
                continue
            mark = key_node.start_mark
            self.source.key_positions[child] = (mark.line + 1, mark.column + 1)
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self.fail(node, f"unsupported YAML tag {node.tag!r}; only plain values are allowed", path)
        if node.tag == "tag:yaml.org,2002:str":
            self.source.spans[path] = (node.start_mark.index, node.end_mark.index)
            return node.value
        try:
            if node.tag == "tag:yaml.org,2002:int":
                return _integer(node.value)
            return self.constructor.construct_object(node)
        except (ValueError, yaml.constructor.ConstructorError) as exc:
            raise self.fail(node, f"cannot read value {node.value!r}: {exc}", path) from None


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _integer(text: str) -> int:
    """A YAML 1.2 core integer: decimal (leading zeros allowed), 0o octal or 0x hex."""
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits[:2] in ("0o", "0x"):
        return sign * int(digits[2:], 8 if digits[1] == "o" else 16)
    return sign * int(digits)


def _format(path: Path) -> str:
    from .paths import format_path

    return format_path(path)
