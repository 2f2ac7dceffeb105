"""Push senders: how an outbox message reaches a phone, chosen by settings.

- `NEIGHBOR_PUSH_WEBHOOK_URL` set: `WebhookSender` POSTs JSON (`deviceToken`, `platform`,
  `title`, `body`, `kind`, `subjectId`, `notificationId`) to it: the adapter where vendor
  channels plug in (Huawei Push Kit for HARMONY, Xiaomi/OPPO/vivo for ANDROID, APNs for IOS,
  or an aggregator such as Getui or JPush). A 2xx is delivered; 404 or 410 says the token is no
  longer valid (the device is removed); anything else, a timeout or a refused connection is
  retried later.
- Unset: `LogSender` writes one log line per message (kind, platform, device id, title: never
  the token), for development.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Protocol

import httpx

from neighbor_api.core.ids import global_id
from neighbor_api.notifications.models import PushDevice, PushMessage
from neighbor_api.settings import Settings

log = logging.getLogger(__name__)

# HTTP statuses by which the webhook says the device's token is no longer valid.
INVALID_TOKEN_STATUSES = frozenset({404, 410})


class Delivery(StrEnum):
    SENT = "SENT"
    RETRY = "RETRY"
    INVALID_DEVICE = "INVALID_DEVICE"


class PushSender(Protocol):
    async def send(self, message: PushMessage, device: PushDevice) -> tuple[Delivery, str]:
        """Deliver one message to one device: the outcome and a short reason (for the log)."""
        ...


def payload(message: PushMessage, device: PushDevice) -> dict[str, str]:
    return {
        "deviceToken": device.token,
        "platform": device.platform.value,
        "title": message.title,
        "body": message.body,
        "kind": message.kind.value,
        "subjectId": global_id(message.subject_type, message.subject_id),
        "notificationId": global_id("Notification", message.notification_id),
    }


class LogSender:
    async def send(self, message: PushMessage, device: PushDevice) -> tuple[Delivery, str]:
        log.info(
            "push %s to %s device %s: %s",
            message.kind.value, device.platform.value, device.id, message.title,
        )  # fmt: skip
        return Delivery.SENT, "logged"


class WebhookSender:
    def __init__(self, url: str, timeout_seconds: float) -> None:
        self._url = url
        self._timeout = timeout_seconds

    async def send(self, message: PushMessage, device: PushDevice) -> tuple[Delivery, str]:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._url, json=payload(message, device))
        except httpx.HTTPError as error:
            return Delivery.RETRY, type(error).__name__
        if response.is_success:
            return Delivery.SENT, str(response.status_code)
        if response.status_code in INVALID_TOKEN_STATUSES:
            return Delivery.INVALID_DEVICE, str(response.status_code)
        return Delivery.RETRY, f"HTTP {response.status_code}"


def sender_for(settings: Settings) -> PushSender:
    if settings.push_webhook_url:
        return WebhookSender(settings.push_webhook_url, settings.push_webhook_timeout_seconds)
    return LogSender()
