"""How large and how deep a workflow document may be, checked before or while it is parsed.

Each bound sits far above any real workflow (the examples nest at most 10 levels and stay
under 7 KB; a generated 500-step workflow is 45 KB with about 5,000 nodes) and far below
what would hurt the process. The size is checked before any parsing; nesting, nodes and
aliases as the parser's events arrive (`composer.py`), so deeply nested text never reaches
code that recurses; alias expansions while the values are built (`source.py`).
"""

MAX_BYTES = 1024 * 1024
"""UTF-8 bytes in one document; checked first, so a huge body costs one length check."""

MAX_DEPTH = 64
"""Levels of lists and maps (flow or block) below the document's top-level value."""

MAX_NODES = 100_000
"""Values, keys and aliases in the text, and again in the values that aliases expand to;
1 MiB of one-character list items reaches the bound in well under a second."""

MAX_ALIASES = 500
"""`*alias` references in the text, and expansions of aliased lists and maps when building."""
