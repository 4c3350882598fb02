"""`X-Loom-Signature`: HMAC-SHA256 signatures of webhook deliveries, inbound and outbound.

    X-Loom-Signature: t=1767225600,v1=5257a869...

`v1` is the hex HMAC-SHA256, keyed with a shared secret, of `"<t>.<raw body>"`. Signing the
time with the body bounds a replay to the tolerance window (300 s); within that window a
captured request can be sent again, which is what `Idempotency-Key` answers. Several `v1`
values may be given (a sender rotating its secret); one matching is enough. The same
scheme signs the results this server POSTs to a run's `callback_url`, keyed with
`LOOM_SECRET_KEY`, so a receiver checks both directions with one function.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Loom-Signature"
TOLERANCE_SECONDS = 300
_MAX_HEADER = 1024


class SignatureError(Exception):
    """The signature is missing, malformed, outside the time tolerance, or does not match."""


def sign(secret: str | bytes, body: bytes, timestamp: int | None = None) -> str:
    """The header value for `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={_digest(secret, t, body)}"


def verify(header: str | None, body: bytes, secret: str | bytes, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> int:
    """Check `header` against `body`; return its timestamp, or raise SignatureError saying why."""
    if not header:
        raise SignatureError(f"missing {HEADER} header (t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>)")
    if len(header) > _MAX_HEADER:
        raise SignatureError(f"{HEADER} is longer than {_MAX_HEADER} characters")
    timestamp, candidates = _parse(header)
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"{HEADER} timestamp {timestamp} is more than {tolerance} s from the server's "
                             f"clock ({int(now)}); sign each delivery when it is sent")
    expected = _digest(secret, timestamp, body)
    # Compare against every candidate, without stopping early, so timing says nothing about which matched.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(candidate, expected)
    if not matched:
        raise SignatureError(f"{HEADER} does not match the body: sign '<t>.<raw body>' with the shared secret")
    return timestamp


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            if not value.isascii() or not value.isdigit() or len(value) > 12:
                raise SignatureError(f"{HEADER}: t must be unix seconds, got {value[:20]!r}")
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise SignatureError(f"{HEADER} must read t=<unix seconds>,v1=<hex signature>")
    return timestamp, candidates


def _digest(secret: str | bytes, timestamp: int, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


__all__ = ["HEADER", "TOLERANCE_SECONDS", "SignatureError", "sign", "verify"]
