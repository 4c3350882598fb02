"""Hostile YAML documents, shared by the loader's tests and the API's.

Each generator puts the attack on line 3, after two ordinary lines, so a test can check
that the problem points at the attack and not at the top of the file.
"""

from __future__ import annotations

HEAD = "loom: 1\nname: deep\n"
"""Two ordinary lines before every attack."""

VALID_STEP = "steps:\n  - id: a\n    type: reply\n    text: "
"""A valid workflow up to its reply text, which the text-only cases fill in."""


def flow_sequences(levels: int) -> str:
    """`[[[...]]]`: the document that crashed libyaml's C composer at about 30,000 levels."""
    return HEAD + "steps: " + "[" * levels + "]" * levels + "\n"


def flow_mappings(levels: int) -> str:
    """`{a: {a: ... 1}}`."""
    return HEAD + "steps: " + "{a: " * levels + "1" + "}" * levels + "\n"


def block_sequences(levels: int) -> str:
    """`- - - x`: compact nested block sequences, two characters a level, all on one line."""
    return HEAD + "steps:\n" + "- " * levels + "x\n"


def block_mappings(levels: int) -> str:
    """`? ? ? x`: compact nested block mappings (explicit keys), two characters a level."""
    return HEAD + "steps:\n" + "? " * levels + "x\n"


def indented_mappings(levels: int) -> str:
    """Block mappings nested by indentation, one space a level: the text grows with the square
    of the depth, so past about 1,400 levels the size limit refuses it before any parsing."""
    return HEAD + "steps:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(levels)) + " " * (levels + 1) + "x\n"


def mixed(levels: int) -> str:
    """Block sequences and mappings 20 levels deep, then flow sequences and mappings to `levels`
    (flow collections cannot hold block ones, so block comes first)."""
    flow = (levels - 20) // 2
    return HEAD + "steps:\n" + "- ? " * 10 + "[{a: " * flow + "1" + "}]" * flow + "\n"


def unclosed(levels: int) -> str:
    """`[[[[` with no end: a truncated or hostile body must fail on depth, not read to the end."""
    return HEAD + "steps: " + "[" * levels


NESTINGS = {
    "flow sequences": flow_sequences,
    "flow mappings": flow_mappings,
    "block sequences": block_sequences,
    "block mappings": block_mappings,
    "mixed": mixed,
    "unclosed": unclosed,
}


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """Each anchor a list of `width` aliases of the one before: width**levels strings."""
    text = 'lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, levels + 1):
        items = ", ".join([f"*lol{level - 1}"] * width)
        text += f"lol{level}: &lol{level} [{items}]\n"
    return text


def many_aliases(count: int) -> str:
    """One anchor, `count` aliases of it on line 3."""
    return HEAD + "a: &a x\nb: [" + ", ".join(["*a"] * count) + "]\n"


def wide_list(items: int) -> str:
    """A flat list of one-character items: many nodes, no depth."""
    return HEAD + "steps: [" + "1," * items + "]\n"
