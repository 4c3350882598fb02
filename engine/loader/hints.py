""""Did you mean" suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    options = list(candidates)
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    options = sorted(set(candidates))
    match = closest(word, options)
    if match:
        return f"did you mean '{match}'?"
    if options and len(options) <= 25:
        return "expected one of: " + ", ".join(options)
    return None


def explained_by_typos(given: Iterable[str], known: Iterable[str]) -> set[str]:
    """Known names that a misspelt given name stands for: `urll` given explains `url` missing."""
    options = list(known)
    return {match for name in given if name not in options and (match := closest(name, options))}
