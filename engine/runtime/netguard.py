"""Keeping `http` steps away from the machine's own network (SSRF).

A workflow may be written by a chat model or a stranger, so a URL is not trusted:
its host is resolved here, every address it resolves to must be public, and the
request then goes to that checked address (pinned), so a second DNS answer cannot
swap in a private one. Redirects are followed by the caller, one hop at a time,
each hop checked again. Hosts in `LOOM_HTTP_ALLOW` skip the check (local development).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from ..errors import StepError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "instance-data"})
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Target:
    """Where one request goes: the URL as written, and the checked address to connect to (None if allowed)."""

    url: httpx.URL
    address: str | None

    def request(self, client: httpx.AsyncClient, method: str, headers: dict[str, str], **body) -> httpx.Request:
        """A request to the pinned address that still names the original host (Host header, TLS SNI)."""
        if self.address is None:
            return client.build_request(method, self.url, headers=headers, **body)
        pinned = self.url.copy_with(host=self.address, port=self.url.port)
        host = self.url.host if self.url.port is None else f"{_bracket(self.url.host)}:{self.url.port}"
        headers = {**headers, "Host": host} if not _has(headers, "host") else headers
        extensions = {"sni_hostname": self.url.host} if self.url.scheme == "https" else {}
        return client.build_request(method, pinned, headers=headers, extensions=extensions, **body)


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet: not loopback, private, link-local, metadata, ..."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast and address not in METADATA_ADDRESSES


def is_allowed(url: httpx.URL, allow: frozenset[str]) -> bool:
    """Whether `LOOM_HTTP_ALLOW` names the URL's host, alone or with its port."""
    host = url.host.lower()
    port = url.port or DEFAULT_PORTS.get(url.scheme)
    return bool({host, f"{host}:{port}", f"[{host}]", f"[{host}]:{port}"} & allow)


async def check(url: httpx.URL, allow: frozenset[str]) -> Target:
    """Resolve the URL's host and return where to connect; raise StepError(kind="blocked") if not public."""
    if url.scheme not in DEFAULT_PORTS or not url.host:
        raise StepError(f"cannot request {display_url(url)}: only http and https URLs with a host are supported",
                        "http_error")
    if is_allowed(url, allow):
        return Target(url, None)
    host = url.host.lower().rstrip(".")
    if host in METADATA_HOSTS:
        raise _blocked(host, host, "a cloud metadata service")
    addresses = await resolve(host, url.port or DEFAULT_PORTS[url.scheme])
    for address in addresses:
        if not is_public(address):
            raise _blocked(host, str(address), "not a public address")
    return Target(url, str(addresses[0]))


async def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        # EAI_AGAIN is a resolver hiccup worth retrying; anything else means the name does not exist.
        kind = "http_5xx" if exc.errno == socket.EAI_AGAIN else "http_error"
        raise StepError(f"could not resolve host {host!r}: {exc.strerror}", kind) from None
    # Drop an IPv6 scope id ("fe80::1%eth0") before parsing; the address alone decides.
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


def _blocked(host: str, address: str, why: str) -> StepError:
    return StepError(
        f"refused to connect to {host} ({address}): {why}. Requests to loopback, private, link-local and "
        f"metadata addresses are blocked; for local development add the host to LOOM_HTTP_ALLOW "
        f"(e.g. LOOM_HTTP_ALLOW={host})",
        "blocked",
    )


def _has(headers: dict[str, str], name: str) -> bool:
    return any(key.lower() == name for key in headers)


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def display_url(url: httpx.URL) -> str:
    """The URL without query, fragment or credentials: safe for an error message."""
    return str(url.copy_with(query=None, fragment=None, userinfo=b""))
