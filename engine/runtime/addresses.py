"""Which IP addresses a workflow may reach: the decision behind the SSRF guard (`netguard`).

One rule for every address a request could go to: it must be globally routable unicast,
and every IPv4 address an IPv6 form carries must pass the same rule, because a packet to
the IPv6 form can end up at the IPv4 address (the kernel for IPv4-mapped, a NAT64 gateway,
a 6to4 relay, a Teredo server). Python's `is_global` is the safety net, but it differs
between Python versions and treats `::127.0.0.1`, `64:ff9b::127.0.0.1`, `fec0::1` or a
multicast group as global, so the named ranges below decide first and give the reason.

A host written as a number (`2130706433`, `0x7f.1`, `017700000001`) is read the way the C
resolver reads it (`inet_aton`), so the decision needs no DNS and sees what the socket would.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)

_V4_RANGES: tuple[tuple[IPv4Network | IPv6Network, str], ...] = tuple((IPv4Network(net), name) for net, name in (
    ("0.0.0.0/8", "'this network'"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared address space (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("240.0.0.0/4", "reserved"),
))
_V6_RANGES: tuple[tuple[IPv4Network | IPv6Network, str], ...] = tuple((IPv6Network(net), name) for net, name in (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("::ffff:0:0:0/96", "IPv4-translated"),
    ("::/96", "IPv4-compatible"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("100::/64", "discard-only"),
    ("2001::/32", "Teredo"),
    ("2001:2::/48", "benchmarking"),
    ("2001:10::/28", "ORCHID"),
    ("2001:20::/28", "ORCHIDv2"),
    ("2001:db8::/32", "documentation"),
    ("2001::/23", "IETF protocol assignments"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "segment routing SIDs"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
))
NAT64 = IPv6Network("64:ff9b::/96")
"""The well-known NAT64 prefix: how an IPv6-only host behind DNS64 reaches IPv4 sites, so it is
judged by the IPv4 address it carries (Python files it under the reserved `::/8`)."""

_CARRY_LOW_32 = (
    (IPv6Network("::ffff:0:0/96"), "IPv4-mapped"),
    (IPv6Network("::ffff:0:0:0/96"), "IPv4-translated"),
    (NAT64, "NAT64"),
    (IPv6Network("64:ff9b:1::/48"), "local-use NAT64"),
)
"""Forms whose last 32 bits are an IPv4 address (for the local-use NAT64 /48, as a /96 inside it)."""
_COMPATIBLE = IPv6Network("::/96")


def refusal(address: IPAddress) -> str | None:
    """Why no request may go to `address`, e.g. "6to4 address embedding 127.0.0.1 (loopback)"; None if public.

    The embedded IPv4 addresses are judged first, so the reason names the address that would
    really be reached rather than only the IPv6 form it hides in."""
    if isinstance(address, IPv6Address):
        address = IPv6Address(int(address))  # a zone id ("%eth0") names an interface, not another address
        for form, inner in embedded_ipv4(address):
            why = _why_not(inner)
            if why is not None:
                return f"{form} address embedding {inner} ({why})"
    return _why_not(address)


def is_public(address: IPAddress) -> bool:
    """Whether a request may go to `address` without the operator's allow-list."""
    return refusal(address) is None


def embedded_ipv4(address: IPv6Address) -> list[tuple[str, IPv4Address]]:
    """Every IPv4 address an IPv6 form carries, with the form's name."""
    low = IPv4Address(int(address) & 0xFFFFFFFF)
    found = [(form, low) for network, form in _CARRY_LOW_32 if address in network]
    if address in _COMPATIBLE and int(address) > 1:  # `::` and `::1` are addresses of their own
        found.append(("IPv4-compatible", low))
    if address.sixtofour is not None:
        found.append(("6to4", address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo
        found += [("Teredo server", server), ("Teredo client", client)]
    return found


def _why_not(address: IPAddress) -> str | None:
    """The class that keeps `address` off the public internet, or None for a public unicast address."""
    if address in METADATA_ADDRESSES:
        return "cloud metadata service"
    if isinstance(address, IPv4Address):
        return _named(address, _V4_RANGES) or _unusual(address)
    if address in NAT64:  # judged by the IPv4 address it carries, which `refusal` checked
        return None
    return _named(address, _V6_RANGES) or _unusual(address)


def _named(address: IPAddress, ranges: tuple[tuple[IPv4Network | IPv6Network, str], ...]) -> str | None:
    return next((name for network, name in ranges if address in network), None)


def _unusual(address: IPAddress) -> str | None:
    """Python's verdict on what the named ranges leave out: multicast, reserved, not global."""
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    return None if address.is_global else "not globally routable"


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host names without DNS (IPv4, IPv6, numeric IPv4 forms); None for a name."""
    host = host.strip("[]").rstrip(".")
    host = host.split("%", 1)[0] if ":" in host else host  # "fe80::1%eth0", or "%25eth0" from a URL
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return _inet_aton(host)


def _inet_aton(host: str) -> IPv4Address | None:
    """`inet_aton`'s reading of 1 to 4 numbers (decimal, 0x hex, 0 octal), the last filling the rest."""
    parts = host.split(".")
    numbers = [_number(part) for part in parts]
    if not 1 <= len(parts) <= 4 or any(n is None for n in numbers):
        return None
    *head, last = [n for n in numbers if n is not None]
    if any(n > 0xFF for n in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    value = last
    for index, number in enumerate(head):
        value |= number << (8 * (3 - index))
    return IPv4Address(value)


def _number(part: str) -> int | None:
    """One part of a numeric IPv4 host: 0x hex, 0 octal, else decimal; None when it is not a number."""
    if part[:2].lower() == "0x":
        base, digits = 16, part[2:]
    elif part.startswith("0") and len(part) > 1:
        base, digits = 8, part[1:]
    else:
        base, digits = 10, part
    if not (digits.isascii() and digits.isalnum()):
        return None
    try:
        return int(digits, base)
    except ValueError:
        return None
