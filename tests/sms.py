"""A small SMS gateway for tests: an HTTP server in a thread that the webhook SMS sender
POSTs to (`NEIGHBOR_SMS_WEBHOOK_URL`), keeping every message so a test can read the code a
person received. It can also answer with an error or too slowly, to test failures."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from neighbor_api.accounts.phones import normalize_phone


class SmsCapture:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.status = 200  # what the gateway answers
        self.delay_seconds = 0.0  # how long it takes to answer
        self._lock = threading.Lock()
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if capture.delay_seconds:
                    time.sleep(capture.delay_seconds)
                with capture._lock:
                    if capture.status < 300:
                        capture.messages.append(body)
                self.send_response(capture.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/sms"

    def sent_to(self, phone: str, purpose: str | None = None) -> list[dict[str, Any]]:
        """The messages sent to `phone` (any format), oldest first."""
        e164 = normalize_phone(phone) or phone
        with self._lock:
            return [
                m
                for m in self.messages
                if m.get("phone") == e164 and (purpose is None or m.get("purpose") == purpose)
            ]

    def code(self, phone: str, purpose: str) -> str:
        """The latest code sent to `phone` for `purpose` (the test fails if none was)."""
        sent = self.sent_to(phone, purpose)
        assert sent, f"no {purpose} code was sent to …{phone[-4:]}"
        code: str = sent[-1]["code"]
        return code

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


_shared: SmsCapture | None = None


def shared() -> SmsCapture:
    """The test session's gateway (started on first use, a daemon thread)."""
    global _shared
    if _shared is None:
        _shared = SmsCapture()
    return _shared
