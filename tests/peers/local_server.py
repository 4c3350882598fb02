"""A real HTTP peer on loopback, scripted by the test: the model provider, a web page, a webhook receiver.

    server.script((200, {}, {"ok": True}))      # answer every request like this
    server.requests[0].json()                    # what arrived
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, dict[str, str], bytes | str | dict | list]


@dataclass
class LocalServer:
    """Answers each request with `handle(request)`; `requests` records what arrived."""

    port: int = 0
    handle: Callable[[Received], Answer] = lambda request: (200, {}, b"")
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *answers: Answer) -> None:
        """Answer the next requests in order; the last answer repeats."""
        queue = list(answers)
        self.handle = lambda request: queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                               self.rfile.read(length))
            server.requests.append(request)
            status, headers, body = server.handle(request)
            if isinstance(body, dict | list):
                body, headers = json.dumps(body).encode(), {"Content-Type": "application/json", **headers}
            body = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler



@contextmanager
def serve() -> Iterator[LocalServer]:
    peer = LocalServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(peer))
    peer.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        httpd.shutdown()
        httpd.server_close()
