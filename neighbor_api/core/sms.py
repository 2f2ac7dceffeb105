"""Sending verification codes by SMS: one interface, the sender chosen by settings.

- `DevelopmentSender` writes the code to the server log (the default outside production; the
  app refuses to start with it in production, `check_can_start`). It is the only place a code
  is ever logged.
- `WebhookSender` POSTs `{"phone", "code", "purpose"}` as JSON to `NEIGHBOR_SMS_WEBHOOK_URL`
  (tests point it at a small HTTP server that captures codes; a relay in front of a gateway
  can receive it too). A timeout, a refused connection or a non-2xx answer is `SmsNotSent`.
- A real gateway (Aliyun SMS `SendSms`, Tencent Cloud SMS `SendSms`) plugs in here: a class
  with `async def send(self, message)` raising `SmsNotSent` on failure, a value of
  `SmsSenderKind` (settings.py) and a branch in `sender()`; its credentials and template ids
  become settings. Nothing else changes.

Phones are never logged (the development sender shows the last four digits only).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import urllib.parse
from dataclasses import dataclass
from typing import Protocol

from neighbor_api.settings import Environment, Settings, SmsSenderKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CodeMessage:
    phone: str  # E.164
    code: str
    purpose: str  # REGISTER, LOGIN, RESET_PASSWORD, CHANGE_PHONE, DELETE_ACCOUNT
    locale: str = "zh-CN"


class SmsNotSent(Exception):
    """The sender could not hand the message over (the reason is for the log, never a code)."""


class SmsSender(Protocol):
    async def send(self, message: CodeMessage) -> None:
        """Deliver `message`, or raise SmsNotSent."""


def masked(phone: str) -> str:
    """What a log may show of a phone: its last four digits."""
    return f"…{phone[-4:]}" if len(phone) >= 4 else "…"


class DevelopmentSender:
    """Writes the code to the log, for a developer at the console. Never in production."""

    async def send(self, message: CodeMessage) -> None:
        log.warning(
            "development SMS sender: verification code %s for %s (%s)",
            message.code,
            masked(message.phone),
            message.purpose,
        )


class WebhookSender:
    """POSTs the message as JSON to a URL (timeouts and non-2xx answers are failures)."""

    def __init__(self, url: str, timeout_seconds: float) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds

    def _post(self, body: bytes) -> None:
        url = urllib.parse.urlsplit(self.url)
        connection_type = (
            http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_type(url.netloc, timeout=self.timeout_seconds)
        path = url.path or "/"
        if url.query:
            path = f"{path}?{url.query}"
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": "neighbor-api"},
            )
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            raise SmsNotSent(f"webhook unreachable: {type(error).__name__}") from None
        finally:
            connection.close()
        if not 200 <= status < 300:
            raise SmsNotSent(f"webhook answered {status}")

    async def send(self, message: CodeMessage) -> None:
        body = json.dumps(
            {
                "phone": message.phone,
                "code": message.code,
                "purpose": message.purpose,
                "locale": message.locale,
            }
        ).encode()
        try:
            await asyncio.wait_for(
                asyncio.to_thread(self._post, body), timeout=self.timeout_seconds + 1
            )
        except TimeoutError:
            raise SmsNotSent("webhook timed out") from None


def sender(settings: Settings) -> SmsSender:
    """The sender the settings choose."""
    kind = settings.sms_sender_kind
    if kind is SmsSenderKind.WEBHOOK:
        if not settings.sms_webhook_url:
            raise RuntimeError("NEIGHBOR_SMS_SENDER=webhook needs NEIGHBOR_SMS_WEBHOOK_URL")
        return WebhookSender(settings.sms_webhook_url, settings.sms_webhook_timeout_seconds)
    return DevelopmentSender()


def check_can_start(settings: Settings) -> None:
    """Refuse to start a production server whose codes would only reach its log."""
    kind = settings.sms_sender_kind
    if settings.environment is Environment.PRODUCTION and kind is SmsSenderKind.DEVELOPMENT:
        raise RuntimeError(
            "production refuses the development SMS sender (it only logs codes): "
            "set NEIGHBOR_SMS_WEBHOOK_URL or a gateway's NEIGHBOR_SMS_SENDER"
        )
    if kind is SmsSenderKind.WEBHOOK and not settings.sms_webhook_url:
        raise RuntimeError("NEIGHBOR_SMS_SENDER=webhook needs NEIGHBOR_SMS_WEBHOOK_URL")
