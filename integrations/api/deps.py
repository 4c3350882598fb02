"""What every API route depends on: the server's `Loom`, a valid API key, and its rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from ..context import Loom
from ..keys import ApiKey
from ..ratelimit import RateLimiter


def get_loom(request: Request) -> Loom:
    return request.app.state.loom


def bearer_key(request: Request) -> ApiKey | None:
    """The active key in `Authorization: Bearer <key>`, or None (no header, another scheme, unknown, revoked)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return get_loom(request).keys.verify(token.strip()) if scheme.lower() == "bearer" else None


def unauthorized(detail: str | None = None) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail or "a valid API key is required: "
                         "`Authorization: Bearer <key>` (create one with `loom keys create NAME`)",
                         headers={"WWW-Authenticate": "Bearer"})


def rate_limiter(loom: Loom) -> RateLimiter | None:
    """The server's limiter, made from `LOOM_RATE_LIMIT` on first use (a test may put its own in extras)."""
    if "ratelimit" not in loom.extras:
        loom.extras["ratelimit"] = RateLimiter.from_env()
    return loom.extras["ratelimit"]


def enforce_rate_limit(loom: Loom, caller: str) -> None:
    """429 with `Retry-After` when `caller` has spent its bucket."""
    limiter = rate_limiter(loom)
    wait = limiter.take(caller) if limiter is not None else 0.0
    if wait > 0:
        seconds = max(1, int(wait + 0.999))
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"rate limit exceeded: {limiter.rate:g} requests a second with bursts of "
                            f"{limiter.burst}; retry in {seconds} s", headers={"Retry-After": str(seconds)})


def require_api_key(request: Request) -> ApiKey:
    """`Authorization: Bearer <key>` with an active key, else 401; then the key's rate limit, else 429."""
    key = bearer_key(request)
    if key is None:
        raise unauthorized()
    enforce_rate_limit(get_loom(request), f"key:{key.id}")
    request.state.api_key = key
    return key


LoomDep = Annotated[Loom, Depends(get_loom)]
KeyDep = Annotated[ApiKey, Depends(require_api_key)]

__all__ = ["KeyDep", "LoomDep", "bearer_key", "enforce_rate_limit", "get_loom", "require_api_key", "unauthorized"]
