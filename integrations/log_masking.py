"""Every secret value masked in every log record the server writes, whoever logs it.

Libraries log what they are given: httpx logs each request's URL at INFO (a query-string
token, the Telegram bot token in the Bot API path), a driver quotes a URL in an exception.
Rather than hunt each logger, the server wraps the log-record factory: each record that is
created (only records some logger is enabled for are created) has its message and its
traceback text masked before any handler sees it. The secret values are read again at most
once a second, so a secret set while the server runs is masked too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from engine.errors import LoomError
from engine.runtime.scrub import Scrubber

REFRESH_SECONDS = 1.0

Values = Callable[[], Iterable[str]]
log = logging.getLogger("loomwork")


class _Masking:
    def __init__(self, values: Values) -> None:
        self._values = values
        self._scrubber = Scrubber(())
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def scrubber(self) -> Scrubber:
        now = time.monotonic()
        if now - self._read_at >= REFRESH_SECONDS:
            with self._lock:
                if now - self._read_at >= REFRESH_SECONDS:
                    self._read_at = now
                    try:
                        self._scrubber = Scrubber(self._values())
                    except LoomError:
                        log.warning("cannot read the secrets to mask in the log; masking the last ones read")
        return self._scrubber

    def mask(self, record: logging.LogRecord) -> None:
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


def install(values: Values) -> Callable[[], None]:
    """Mask `values()` in every log record from now on; returns the function that undoes it."""
    masking = _Masking(values)
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        masking.mask(record)
        return record

    logging.setLogRecordFactory(factory)

    def uninstall() -> None:
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(previous)

    return uninstall
