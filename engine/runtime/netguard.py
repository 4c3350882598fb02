"""Keeping workflows away from the machine's own network (SSRF).

A workflow may be written by a chat model or a stranger, so a URL is not trusted:
its host is resolved here, every address it resolves to must be public (`addresses.refusal`:
globally routable unicast, and so must be any IPv4 address an IPv6 form carries), and the
request then goes to that checked address (pinned), so a second DNS answer cannot
swap in a private one. Redirects are followed by the caller, one hop at a time,
each hop checked again. Hosts in `LOOM_HTTP_ALLOW` skip the check: the operator opens
them on purpose (a local Ollama, a test server on 127.0.0.1).

`check_api_base` applies the same check to an `llm` step's `api_base`, once per attempt,
before the model is called. LiteLLM makes that request, so it is not pinned, and it follows redirects itself
(measured with LiteLLM 1.106: a 307/308 from the base re-sends the prompt to any Location,
Anthropic's `x-api-key` header with it; httpx drops only `Authorization` across origins).
So the check refuses a base URL that names or resolves to a non-public address, not a
public server that redirects or re-points its name between the check and the call.
A provider's default base (no `api_base`: `OPENAI_API_BASE`, Ollama's localhost:11434)
is set by the operator, not the workflow, and is not checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from ..errors import ErrorKind, StepError
from .addresses import METADATA_ADDRESSES, IPAddress, is_public, literal_address, refusal

__all__ = ["METADATA_ADDRESSES", "METADATA_HOSTS", "Target", "check", "check_api_base", "display_url", "is_allowed",
           "is_public", "refusal", "resolve"]

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "instance-data"})
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
        why = refusal(address)
        if why is not None:
            raise _blocked(host, str(address), f"not a public address: {why}")
    return Target(url, str(addresses[0]))


async def check_api_base(api_base: str, allow: frozenset[str]) -> None:
    """Refuse a model's base URL set by a workflow, as `check` refuses a URL: the prompt and the key go there.

    Only `blocked` keeps its kind; an unusable URL is the workflow's mistake (`error`), and a
    name that does not resolve fails as the provider call would have (`llm_error`)."""
    try:
        url = httpx.URL(api_base)
    except httpx.InvalidURL as exc:
        raise StepError(f"api_base is not a URL: {exc}", ErrorKind.ERROR) from None
    if url.scheme not in DEFAULT_PORTS or not url.host:
        # The value may be a secret: say what is wrong with it without repeating it.
        raise StepError(f"api_base must be an http:// or https:// URL with a host (its scheme is {url.scheme!r})",
                        ErrorKind.ERROR)
    try:
        await check(url, allow)
    except StepError as exc:
        if exc.kind is ErrorKind.BLOCKED:
            raise StepError(f"api_base: {exc.message}", ErrorKind.BLOCKED) from None
        raise StepError(f"api_base: {exc.message}", ErrorKind.LLM_ERROR) from None


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` stands for: read from the host itself when it is a number, else from DNS."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
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
        f"refused to connect to {host} ({address}): {why}. Requests to loopback, private, link-local, "
        f"metadata and other non-public addresses are blocked; to allow this host on purpose (a local "
        f"model server, a test server), the operator adds it to LOOM_HTTP_ALLOW (e.g. LOOM_HTTP_ALLOW={host})",
        ErrorKind.BLOCKED,
    )


def _has(headers: dict[str, str], name: str) -> bool:
    return any(key.lower() == name for key in headers)


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def display_url(url: httpx.URL) -> str:
    """The URL without query, fragment or credentials: safe for an error message."""
    return str(url.copy_with(query=None, fragment=None, userinfo=b""))
