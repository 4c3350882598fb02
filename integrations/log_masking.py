"""Every secret value masked in every log record the server writes, whoever logs it.

Libraries log what they are given: httpx logs each request's URL at INFO (a query-string
token, the Telegram bot token in the Bot API path), a driver quotes a URL in an exception.
Rather than hunt each logger, the log-record factory is wrapped, once per process: each
record that is created (only records some logger is enabled for are created) has its message
and its traceback text masked before any handler sees it. Each running server adds where its
secret values come from; they are read again at most once a second, so a secret set while the
server runs is masked too.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable

from engine.runtime.scrub import Scrubber

REFRESH_SECONDS = 1.0

Values = Callable[[], Iterable[str]]


class _Masking:
    def __init__(self) -> None:
        self.sources: list[Values] = []
        self._scrubber = Scrubber(())
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self._last: dict[int, list[str]] = {}

    def changed(self) -> None:
        self._read_at = float("-inf")
        self._last.clear()

    def scrubber(self) -> Scrubber:
        now = time.monotonic()
        if now - self._read_at >= REFRESH_SECONDS:
            with self._lock:
                if now - self._read_at >= REFRESH_SECONDS:
                    self._read_at = now
                    self._scrubber = Scrubber(self._values())
        return self._scrubber

    def _values(self) -> list[str]:
        values: list[str] = []
        for index, source in enumerate(list(self.sources)):
            # A log call must never raise: a store that cannot be read now keeps its last values.
            with contextlib.suppress(Exception):
                self._last[index] = list(source())
            values.extend(self._last.get(index, ()))
        return values

    def mask(self, record: logging.LogRecord) -> None:
        if not self.sources:
            return
        scrub = self.scrubber()
        if not scrub:
            return
        message = record.getMessage()
        masked = scrub.text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub.text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub.text(record.stack_info)


_masking = _Masking()
_installed = threading.Lock()
_factory_set = False


def install(values: Values) -> Callable[[], None]:
    """Mask `values()` in every log record from now on; returns the function that stops it."""
    global _factory_set
    with _installed:
        if not _factory_set:
            previous = logging.getLogRecordFactory()

            def factory(*args, **kwargs) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                _masking.mask(record)
                return record

            logging.setLogRecordFactory(factory)
            _factory_set = True
        _masking.sources.append(values)
        _masking.changed()

    def uninstall() -> None:
        with _installed:
            if values in _masking.sources:
                _masking.sources.remove(values)
                _masking.changed()

    return uninstall
