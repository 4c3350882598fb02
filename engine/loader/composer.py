"""YAML nodes from the parser's event stream, built with an explicit stack, never by recursion.

PyYAML's C composer (`CParser.get_single_node`) calls itself once per nesting level on the
C stack: about 30,000 nested `[` (60 KB of text) overflow it and kill the process with a
segmentation fault, before any check on the finished tree can run. libyaml's parser keeps
its own state on the heap, so reading its events is safe at any depth. This module turns
those events into the same `yaml.Node` tree the C composer builds, and refuses a document
the moment it nests deeper than MAX_DEPTH, holds more than MAX_NODES nodes or uses more than
MAX_ALIASES aliases, so hostile text costs a few hundred events, not a crash or a stall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import ComposerError

from .limits import MAX_ALIASES, MAX_DEPTH, MAX_NODES

_Path = tuple[str | int, ...]

_COLLECTIONS: dict[type, tuple[type[yaml.CollectionNode], str]] = {
    yaml.SequenceStartEvent: (yaml.SequenceNode, yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG),
    yaml.MappingStartEvent: (yaml.MappingNode, yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG),
}
_ENDS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
_STR = yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG
_PATH_SEGMENTS = 6


class LimitExceeded(Exception):
    """A document limit was crossed while composing; carries where, and what to do about it."""

    def __init__(self, message: str, mark: Any, path: _Path, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.path = path
        self.hint = hint


@dataclass
class Document:
    """The root node, and the ids of the lists and maps an anchor names: the only nodes an alias
    can reach twice, so the only ones whose expansion needs counting."""

    root: yaml.Node | None
    anchored: set[int] = field(default_factory=set)


def compose(loader: Any) -> Document:
    """The stream's single document (its root is None when the stream is empty).

    `loader` is a PyYAML parser (C or pure Python) mixed with a resolver: anything with
    `get_event`, `check_event` and `resolve`.
    """
    loader.get_event()  # StreamStartEvent
    if loader.check_event(yaml.StreamEndEvent):
        return Document(None)
    document = loader.get_event()  # DocumentStartEvent
    composer = _Composer(loader)
    root = composer.root()
    loader.get_event()  # DocumentEndEvent
    if not loader.check_event(yaml.StreamEndEvent):
        raise ComposerError("expected a single document in the stream", document.start_mark,
                            "but found another document", loader.get_event().start_mark)
    return Document(root, composer.anchored)


class _Frame:
    """An open collection: its node, and for a mapping the key still waiting for its value."""

    __slots__ = ("is_mapping", "key", "node")

    def __init__(self, node: yaml.Node) -> None:
        self.node = node
        self.is_mapping = isinstance(node, yaml.MappingNode)
        self.key: yaml.Node | None = None


class _Composer:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.stack: list[_Frame] = []
        self.anchors: dict[str, yaml.Node] = {}
        self.anchored: set[int] = set()
        self.nodes = 1  # the root, which is never attached
        self.aliases = 0
        resolvers = loader.yaml_implicit_resolvers
        self.firsts: set[str] | None = None if None in resolvers else set(resolvers)  # None: a wildcard resolver

    def root(self) -> yaml.Node:
        """Read events until the document's root node is complete.

        Scalars, most of any document, are handled inline: this loop runs once per event.
        """
        get_event, stack = self.loader.get_event, self.stack
        while True:
            event = get_event()
            kind = type(event)
            node: yaml.Node
            if kind is yaml.ScalarEvent:
                tag = event.tag
                if tag is None or tag == "!":
                    tag = self.resolve(event)
                node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
                if event.anchor is not None:
                    self.anchor(event, node)
            elif kind in _ENDS:  # the collection was attached when it opened
                node = stack.pop().node
                node.end_mark = event.end_mark
                if not stack:
                    return node
                continue
            elif kind is yaml.AliasEvent:
                node = self.alias(event)
            else:
                self.open(event)
                continue
            if not stack:
                return node
            self.attach(node)

    def resolve(self, event: Any) -> str:
        """The tag of an untagged scalar. Only plain scalars whose first character starts one of
        the resolver's patterns can be anything but a string; most keys and texts are not."""
        if event.implicit[0] and (self.firsts is None or event.value[:1] in self.firsts):
            return self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        return _STR

    def attach(self, node: yaml.Node) -> None:
        """Add `node` to the innermost open collection, within MAX_DEPTH and MAX_NODES."""
        frame = self.stack[-1]
        if frame.is_mapping and frame.key is None:
            frame.key = node  # a plain key is not a level of its own (see `open` for the others)
        else:
            if len(self.stack) > MAX_DEPTH:  # the stack's height is the node's depth
                raise self.too_deep(node, coming=True)
            if frame.is_mapping:
                frame.node.value.append((frame.key, node))
                frame.key = None
            else:
                frame.node.value.append(node)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise LimitExceeded(f"document has more than {MAX_NODES} nodes", node.start_mark, self.path(),
                                "split it into smaller workflows")

    def open(self, event: Any) -> None:
        node_class, default_tag = _COLLECTIONS[type(event)]
        tag = default_tag if event.tag in (None, "!") else event.tag  # no path resolvers: the default
        node = node_class(tag, [], event.start_mark, None, flow_style=event.flow_style)
        if self.stack:
            self.attach(node)
            if len(self.stack) > MAX_DEPTH:  # a list or map as a key: it nests like a value
                raise self.too_deep(node)
        if event.anchor is not None:
            self.anchor(event, node)
            self.anchored.add(id(node))
        self.stack.append(_Frame(node))

    def too_deep(self, node: yaml.Node, *, coming: bool = False) -> LimitExceeded:
        return LimitExceeded(f"nesting is deeper than {MAX_DEPTH} levels", node.start_mark, self.path(coming=coming),
                             "flatten the structure; a workflow needs far fewer levels")

    def alias(self, event: Any) -> yaml.Node:
        node = self.anchors.get(event.anchor)
        if node is None:
            raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise LimitExceeded(f"more than {MAX_ALIASES} aliases", event.start_mark, self.path(coming=True),
                                "write the values out instead of repeating *aliases")
        return node

    def anchor(self, event: Any, node: yaml.Node) -> None:
        first = self.anchors.get(event.anchor)
        if first is not None:
            raise ComposerError(f"found duplicate anchor {event.anchor!r}; first occurrence", first.start_mark,
                                "second occurrence", event.start_mark)
        self.anchors[event.anchor] = node

    def path(self, *, coming: bool = False) -> _Path:
        """Where the newest node stands (with `coming`, the node about to be attached), for the
        message: a key or index per open collection, the outermost few only (line and column say
        exactly where; a 64-level path says nothing more)."""
        path: list[str | int] = []
        for number, frame in enumerate(self.stack[:_PATH_SEGMENTS], 1):
            here = coming and number == len(self.stack)
            if not frame.is_mapping:
                path.append(len(frame.node.value) - (0 if here else 1))
                continue
            key = frame.key if here else (frame.node.value[-1][0] if frame.key is None and frame.node.value else None)
            if not isinstance(key, yaml.ScalarNode):
                break  # the node is a key, or keyed by a list or map: its mapping is the place
            path.append(str(key.value))
        return tuple(path)
