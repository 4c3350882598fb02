"""What every API route depends on: the server's `Loom`, and a valid API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from ..context import Loom
from ..keys import ApiKey


def get_loom(request: Request) -> Loom:
    return request.app.state.loom


def require_api_key(request: Request) -> ApiKey:
    """`Authorization: Bearer <key>` with an active key, else 401."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    key = get_loom(request).keys.verify(token.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid API key is required: "
                            "`Authorization: Bearer <key>` (create one with `loom keys create NAME`)",
                            headers={"WWW-Authenticate": "Bearer"})
    request.state.api_key = key
    return key


LoomDep = Annotated[Loom, Depends(get_loom)]
KeyDep = Annotated[ApiKey, Depends(require_api_key)]

__all__ = ["KeyDep", "LoomDep", "get_loom", "require_api_key"]
