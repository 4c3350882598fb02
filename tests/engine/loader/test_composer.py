"""The event composer builds exactly the tree PyYAML's C composer builds, without its recursion.

Tags, values, styles and every mark (index, line, column) must match, because positions in
problems and `Source.locate` come from them.
"""

from __future__ import annotations

import pytest
import yaml
from yaml.cyaml import CParser  # type: ignore[attr-defined]

from engine.loader.composer import compose
from engine.loader.source import _Loader, _Resolver
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))

EDGE_CASES = [
    "a: &a {b: 1}\nc: *a\nd: [*a, *a]\n",
    "? [a, b]\n: 1\n? {c: d}\n: 2\n",
    "- - - a\n  - b\n- c\n",
    "? ? a\n",
    "a:\n- 1\n- 2\nb: c\n",
    "--- \n...\n",
    "x\n",
    "''\n",
    "[]\n",
    "{}\n",
    "!!str 1\n",
    "- !custom {a: 1}\n- ! b\n",
    "a: !!python/object:x {}\n",
    "k: 'a\n  b'\nl: \"c\\td\"\n",
    "k: |\n  [[[\n  {{{\nl: >-\n  folded\n  text\n",
    "a: 012\nb: 0x1F\nc: 1e3\nd: ~\ne: on\nf: True\ng: ''\nh: 12:30\n",
    "k: &s scalar\nl: *s\n",
]


class _CComposer(CParser, _Resolver):
    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        _Resolver.__init__(self)


def shape(node: yaml.Node) -> tuple:
    """Everything about a node the loader reads, recursively (the documents here are shallow)."""
    marks = ((node.start_mark.index, node.start_mark.line, node.start_mark.column),
             (node.end_mark.index, node.end_mark.line, node.end_mark.column))
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value, node.style, marks)
    if isinstance(node, yaml.SequenceNode):
        return ("sequence", node.tag, node.flow_style, marks, tuple(shape(item) for item in node.value))
    pairs = tuple((shape(key), shape(value)) for key, value in node.value)
    return ("mapping", node.tag, node.flow_style, marks, pairs)


def both(text: str) -> tuple[yaml.Node | None, yaml.Node | None]:
    c_composer, loader = _CComposer(text), _Loader(text)
    try:
        return c_composer.get_single_node(), compose(loader).root
    finally:
        c_composer.dispose()
        loader.dispose()


@pytest.mark.parametrize("text", [path.read_text() for path in EXAMPLES] + EDGE_CASES,
                         ids=[path.name for path in EXAMPLES] + [f"edge{i}" for i in range(len(EDGE_CASES))])
def test_the_same_tree_as_the_c_composer(text: str):
    expected, composed = both(text)
    assert (shape(composed) if composed else None) == (shape(expected) if expected else None)


def test_aliases_share_the_anchored_node_and_only_anchored_collections_are_marked():
    loader = _Loader("a: &a [1]\nb: *a\nc: &s x\nd: *s\ne: [2]\n")
    document = compose(loader)
    (_, a), (_, b), (_, c), (_, d), (_, e) = document.root.value
    assert a is b and c is d
    assert document.anchored == {id(a)}  # scalars repeat harmlessly
    assert id(e) not in document.anchored


@pytest.mark.parametrize(("text", "message"), [
    ("a: *nowhere\n", "found undefined alias 'nowhere'"),
    ("a: &x 1\nb: &x 2\n", "found duplicate anchor 'x'"),
    ("--- a\n--- b\n", "expected a single document"),
])
def test_composition_errors_keep_their_marks(text: str, message: str):
    loader = _Loader(text)
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        compose(loader)
    assert message in str(caught.value)
    assert caught.value.problem_mark is not None and caught.value.problem_mark.line >= 0


def test_an_empty_stream_has_no_root():
    assert compose(_Loader("# only a comment\n")).root is None
