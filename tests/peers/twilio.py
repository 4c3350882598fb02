"""A fake Twilio REST API on loopback: the Messages API the WhatsApp channel sends through.

    with fake_twilio(ACCOUNT_SID, AUTH_TOKEN) as twilio:    # TWILIO_API_BASE_URL = twilio.url
        twilio.wait_for(1)[0]["Body"]
        twilio.fail(429, 20429, "Too Many Requests")

Also signs inbound webhook requests the way Twilio does (`sign(url, params)`).
"""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from tests.peers.local_server import Received, serve


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    url: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    """Form fields of every accepted Messages.json POST (To, From, Body)."""
    refused: list[Received] = field(default_factory=list)
    failures: list[tuple[int, int, str]] = field(default_factory=list)
    _sids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def fail(self, status: int, code: int, message: str, times: int = 1) -> None:
        self.failures.extend([(status, code, message)] * times)

    def sign(self, url: str, params: dict[str, str], auth_token: str | None = None) -> str:
        return RequestValidator(auth_token or self.auth_token).compute_signature(url, params)

    def bodies(self, to: str | None = None) -> list[str]:
        return [m["Body"] for m in list(self.messages) if to is None or m["To"] == to]

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.messages) < count and time.monotonic() < deadline:
                self._changed.wait(0.05)
        assert len(self.messages) >= count, f"expected {count} message(s), got {self.messages}"
        return list(self.messages)

    def handle(self, request: Received) -> tuple[int, dict, dict]:
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != expected:
            self.refused.append(request)
            return 401, {}, {"code": 20003, "message": "Authenticate", "status": 401}
        if request.method != "POST" or request.path != path:
            self.refused.append(request)
            return 404, {}, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        if self.failures:
            status, code, message = self.failures.pop(0)
            return status, {}, {"code": code, "message": message, "status": status,
                                "more_info": f"https://www.twilio.com/docs/errors/{code}"}
        form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        sid = f"SM{next(self._sids):032x}"
        with self._changed:
            self.messages.append(form)
            self._changed.notify_all()
        return 201, {}, {"sid": sid, "account_sid": self.account_sid, "to": form.get("To"),
                         "from": form.get("From"), "body": form.get("Body"), "status": "queued",
                         "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
                         "uri": f"{path[:-5]}/{sid}.json"}


@contextmanager
def fake_twilio(account_sid: str, auth_token: str) -> Iterator[FakeTwilio]:
    with serve() as server:
        twilio = FakeTwilio(account_sid, auth_token, server.url)
        server.handle = twilio.handle
        yield twilio
