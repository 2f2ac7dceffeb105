"""Logging, configured once (`configure_logging`, called by the CLI): JSON lines in production,
plain text in development, every line with its request id, and secrets masked.

What the app logs never includes tokens, passwords, codes or phone numbers on purpose;
`RedactSecrets` is the safeguard for what slips through anyway (an exception's message, a
client-chosen path): it masks mainland mobile numbers, `Bearer ...` values, JWT-looking
strings and `password=...`-style values in every line's message, extra fields and traceback.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from typing import Any, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

from neighbor_api.settings import Settings

# The request being served, set by the request middleware (and inherited by the tasks a
# request starts, e.g. a WebSocket's operations).
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
MASK = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(request_id)s %(message)s"
# uvicorn adds an ANSI-coloured copy of some messages; JSON lines leave it out.
JSON_LEFT_OUT = (*RESERVED_ATTRS, "color_message")
_SECRETS = (
    # An 11-digit mainland mobile number, with or without +86, not inside a longer token
    # (but after a percent-escape: %2213800000001%22 in a URL).
    (
        re.compile(
            r"(?:(?<![0-9A-Za-z])|(?<=%[0-9A-Fa-f]{2}))(?:\+?86[- ]?)?1[3-9]\d{9}(?![0-9A-Za-z])"
        ),
        MASK,
    ),
    (re.compile(r"(?i:(?<![A-Za-z0-9])bearer\s+[^\s\"',;]+)"), f"Bearer {MASK}"),
    (re.compile(r"(?a:(?<![\w-])eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*)"), MASK),
    (
        re.compile(
            r"(?i:((?:password|passwd|secret|token|signature)[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s\"',;&}]+)"
        ),
        rf"\1{MASK}",
    ),
)
# Any of them: one search tells a line with nothing to mask (nearly all) from the others.
_ANY_SECRET = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _SECRETS))
# The attributes every LogRecord has; anything else on a record came in through `extra`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    if _ANY_SECRET.search(text) is None:
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Masks secrets in a record's message and string extras (on the handler, so it sees every
    logger's records; the formatters below mask tracebacks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: log the format alone
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


class TextFormatter(logging.Formatter):
    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact(super().formatStack(stack_info))


class JsonLinesFormatter(OrjsonFormatter):
    def formatException(self, ei: Any) -> str:
        return redact(logging.Formatter.formatException(self, ei))

    def formatStack(self, stack_info: str) -> str:
        return redact(logging.Formatter.formatStack(self, stack_info))


class AddRequestId(logging.Filter):
    """Adds the current request's id (or "-") to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get() or "-"
        return True


def handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """The one handler: JSON or text, with the request id and redaction."""
    output = logging.StreamHandler(stream or sys.stderr)
    if settings.json_logs:
        output.setFormatter(
            JsonLinesFormatter(
                JSON_FIELDS,
                timestamp="time",  # ISO 8601, UTC
                rename_fields={"levelname": "level", "name": "logger"},
                reserved_attrs=JSON_LEFT_OUT,
            )
        )
    else:
        output.setFormatter(TextFormatter(TEXT_FORMAT))
    output.addFilter(AddRequestId())
    output.addFilter(RedactSecrets())
    return output


def configure_logging(settings: Settings, *, level: int = logging.INFO) -> None:
    """Route every logger (uvicorn's too) through the one handler. uvicorn's access log is
    left off (`serve` passes `access_log=False`): it would log query strings, which carry
    GraphQL variables and attachment signatures; the request middleware logs each request
    without its query string instead."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler(settings))
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
