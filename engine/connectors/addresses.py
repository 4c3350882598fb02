"""Email addresses as workflows write them, checked before anything reaches a mail server.

A recipient comes from a template (an input, a model's answer, a secret), so it is checked
here rather than refused by the server halfway through a message: `ada@example.org`,
`Ada Lovelace <ada@example.org>`, several of those separated by commas, or a list of them.
The standard library's parsers are lenient (`getaddresses` reads `ada@` as an empty address
and a line break as a second header), so each address it finds is checked again: an ASCII
local part, a domain of dot-separated labels (an internationalized one becomes its IDNA
form), no control characters anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.headerregistry import Address
from email.utils import getaddresses

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
HOW = "write name@example.org or Name <name@example.org>"


class InvalidAddress(ValueError):
    """A text that is not one or more email addresses; the message quotes it."""


def parse_addresses(value: str | Iterable[object]) -> list[Address]:
    """Every address in `value` (a string, possibly comma-separated, or a list of them)."""
    items = [value] if isinstance(value, str) else [str(item) for item in value]
    found: list[Address] = []
    for text in items:
        pairs = [] if _CONTROL.search(text) else getaddresses([text])
        if not pairs:
            raise InvalidAddress(f"{text!r} is not an email address: {HOW}")
        found.extend(_address(name, spec, text) for name, spec in pairs)
    return found


def parse_address(text: str) -> Address:
    """Exactly one address."""
    found = parse_addresses(text)
    if len(found) != 1:
        raise InvalidAddress(f"{text!r} is {len(found)} addresses; one is expected")
    return found[0]


def _address(name: str, spec: str, text: str) -> Address:
    local, _, domain = spec.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = ""
    if not (_LOCAL.fullmatch(local) and _DOMAIN.fullmatch(domain)):
        raise InvalidAddress(f"{text!r} is not an email address: {HOW}")
    return Address(display_name=name, username=local, domain=domain)


__all__ = ["InvalidAddress", "parse_address", "parse_addresses"]
