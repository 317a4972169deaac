"""Secrets never reach a log: every record of the process is redacted when it is made.

A logger's filter only sees that logger's own records, so a token in an exception message
logged by `bot.*`, by asyncio ("Task exception was never retrieved") or by a library would
pass untouched. A log record factory sees every record, of every logger, before any handler.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Final

REDACTED: Final = "[REDACTED]"
# Shorter strings would redact ordinary words; real tokens and API keys are far longer.
MIN_SECRET_CHARS: Final = 8


class _Redactor:
    """The process's secrets and the record factory that hides them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.secrets: set[str] = set()
        self.pattern: re.Pattern[str] | None = None
        self.installed = False

    def add(self, secrets: tuple[str | None, ...]) -> None:
        """Register secrets; install the record factory on the first one."""
        with self.lock:
            new = {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS} - self.secrets
            if not new:
                return
            self.secrets.update(new)
            ordered = sorted(self.secrets, key=len, reverse=True)
            self.pattern = re.compile("|".join(re.escape(s) for s in ordered))
            if self.installed:
                return
            previous = logging.getLogRecordFactory()

            def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                self.record(record)
                return record

            logging.setLogRecordFactory(factory)
            self.installed = True

    def text(self, text: str) -> str:
        """`text` with every registered secret replaced."""
        pattern = self.pattern
        return text if pattern is None or not text else pattern.sub(REDACTED, text)

    def record(self, record: logging.LogRecord) -> None:
        """Redact a record's message, its traceback and its stack in place."""
        pattern = self.pattern
        if pattern is None:
            return
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return
        if pattern.search(message):
            record.msg = pattern.sub(REDACTED, message)
            record.args = None
        if record.exc_info and not record.exc_text:
            trace = logging.Formatter().formatException(record.exc_info)
            if pattern.search(trace):
                record.exc_text = pattern.sub(REDACTED, trace)
        if record.stack_info and pattern.search(record.stack_info):
            record.stack_info = pattern.sub(REDACTED, record.stack_info)


_REDACTOR: Final = _Redactor()


def redact_secrets(*secrets: str | None) -> None:
    """Redact these strings from every log record from now on (the first call installs it)."""
    _REDACTOR.add(secrets)


def redact(text: str) -> str:
    """`text` with every registered secret replaced."""
    return _REDACTOR.text(text)
