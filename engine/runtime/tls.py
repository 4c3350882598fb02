"""One TLS context for every outbound HTTPS client the process makes.

httpx builds a new `ssl.SSLContext` for every client it creates, which costs about 35 ms
of CPU here (loading the CA bundle): per `http` step, per message sent. Built once, shared.
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def tls_context() -> ssl.SSLContext:
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


__all__ = ["tls_context"]
