"""Push: devices (registerPushDevice, unregisterPushDevice, viewer.devices), the outbox
written with each notification, and its delivery through the webhook sender against a small
HTTP server this test starts (failing, refusing, hanging as told)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.notifications import push, service
from neighbor_api.notifications.models import PushDevice, PushMessage
from tests.conftest import CommandCounter
from tests.notifications.support import World
from tests.reports.support import JINAN_NEIGHBOUR, JINAN_RESIDENT, JINAN_WORKER, object_id

VIEWER_DEVICES = "query ViewerDevices { viewer { id devices { id platform createdAt } } }"


class Gateway:
    """A push gateway stand-in: answers each POST with the next of `answers` (then 200), or
    sleeps `hang` seconds first; keeps what it was sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.hang = 0.0
        self.invalid_tokens: set[str] = set()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if gateway.hang:
                    time.sleep(gateway.hang)
                gateway.received.append(body)
                status = 200
                if body["deviceToken"] in gateway.invalid_tokens:
                    status = 410
                elif gateway.answers:
                    status = gateway.answers.pop(0)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/push"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gateway = Gateway()
    gateway.thread.start()
    yield gateway
    gateway.server.shutdown()
    gateway.server.server_close()


def with_webhook(deps: Deps, gateway: Gateway, **settings: Any) -> Deps:
    """The app as configured with NEIGHBOR_PUSH_WEBHOOK_URL (and other settings)."""
    changed = deps.settings.model_copy(
        update={"push_webhook_url": gateway.url, "push_retry_seconds": 10.0, **settings}
    )
    return dataclasses.replace(deps, settings=changed)


async def register(world: World, phone: str, token: str, platform: str = "ANDROID") -> Any:
    await service.notify(world.deps)  # the demo's own history is told before the phone exists
    data = await world.api.data(
        "RegisterPushDevice", {"input": {"token": token, "platform": platform}},
        token=await world.street.token(phone),
    )  # fmt: skip
    return data["registerPushDevice"]


async def devices(world: World, phone: str) -> list[dict[str, Any]]:
    result = await world.api.execute(VIEWER_DEVICES, token=await world.street.token(phone))
    assert result.errors is None
    assert result.data is not None
    found: list[dict[str, Any]] = result.data["viewer"]["devices"]
    return found


async def accepted_report(world: World) -> str:
    """A report of JINAN_RESIDENT's just accepted, its notifications written."""
    report_id = await world.street.submit(JINAN_RESIDENT)
    await world.street.ok("accept", report_id, JINAN_WORKER)
    await service.notify(world.deps)
    return report_id


# --- Devices ------------------------------------------------------------------------------------


async def test_a_device_is_registered_listed_and_unregistered(world: World) -> None:
    payload = await register(world, JINAN_RESIDENT, "hms-token-0001", "HARMONY")
    assert payload["errors"] == []
    device = payload["device"]
    assert device["platform"] == "HARMONY"
    assert await devices(world, JINAN_RESIDENT) == [device]
    assert await devices(world, JINAN_NEIGHBOUR) == []

    refused = await world.api.data(
        "UnregisterPushDevice", {"input": {"deviceId": device["id"]}},
        token=await world.street.token(JINAN_NEIGHBOUR),
    )  # fmt: skip
    assert [e["code"] for e in refused["unregisterPushDevice"]["errors"]] == ["NOT_FOUND"]
    assert await devices(world, JINAN_RESIDENT) == [device]
    done = await world.api.data(
        "UnregisterPushDevice", {"input": {"deviceId": device["id"]}},
        token=await world.street.token(JINAN_RESIDENT),
    )  # fmt: skip
    assert done["unregisterPushDevice"]["errors"] == []
    assert await devices(world, JINAN_RESIDENT) == []


async def test_a_token_belongs_to_one_user_registering_it_moves_it(world: World) -> None:
    first = await register(world, JINAN_RESIDENT, "shared-phone-token")
    again = await register(world, JINAN_RESIDENT, "shared-phone-token")  # no second device
    assert again["device"]["id"] == first["device"]["id"]
    moved = await register(world, JINAN_NEIGHBOUR, "shared-phone-token", "IOS")
    assert moved["device"]["id"] == first["device"]["id"]
    assert await devices(world, JINAN_RESIDENT) == []
    assert [d["platform"] for d in await devices(world, JINAN_NEIGHBOUR)] == ["IOS"]


async def test_racing_registrations_of_one_token_make_one_device(world: World) -> None:
    tokens = [await world.street.token(p) for p in (JINAN_RESIDENT, JINAN_NEIGHBOUR)]
    results = await asyncio.gather(
        *(
            world.api.op(
                "RegisterPushDevice", {"input": {"token": "racing-token", "platform": "IOS"}},
                token=tokens[i % 2],
            )
            for i in range(6)
        )
    )  # fmt: skip
    assert all(r.errors is None for r in results)
    assert await world.deps.db["push_devices"].count_documents({"token": "racing-token"}) == 1


@pytest.mark.parametrize(
    ("token", "message"),
    [("", "请提供推送令牌"), ("   ", "请提供推送令牌"), ("x" * 10_240, "推送令牌无效")],
)
async def test_an_empty_or_huge_token_is_refused(world: World, token: str, message: str) -> None:
    payload = await register(world, JINAN_RESIDENT, token)
    assert payload["device"] is None
    (error,) = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "token"])
    assert error["message"].startswith(message)
    assert await world.deps.db["push_devices"].count_documents({}) == 0


# --- The outbox and its delivery ----------------------------------------------------------------


async def test_the_outbox_is_written_with_the_notification_one_per_device(world: World) -> None:
    await register(world, JINAN_RESIDENT, "phone-a")
    await register(world, JINAN_RESIDENT, "pad-b", "HARMONY")
    report_id = await accepted_report(world)
    await service.notify(world.deps)  # again: nothing twice

    (notice,) = await world.written("report.accept", object_id(report_id))
    messages = await world.deps.db["push_outbox"].find({"notification_id": notice["_id"]}).to_list()
    assert len(messages) == 2
    assert {m["status"] for m in messages} == {"PENDING"}
    assert {m["title"] for m in messages} == {notice["title"]}


async def test_delivery_retries_with_backoff_and_never_twice(
    world: World, gateway: Gateway
) -> None:
    await register(world, JINAN_RESIDENT, "phone-token-1", "IOS")
    report_id = await accepted_report(world)
    deps = with_webhook(world.deps, gateway)
    gateway.answers = [500, 503]

    assert await service.deliver_push(deps) == 0  # 500: kept, retried in 10 s
    assert await service.deliver_push(deps) == 0  # not due yet: nothing sent
    assert len(gateway.received) == 1
    world.hall.advance(timedelta(seconds=10))
    assert await service.deliver_push(deps) == 0  # 503: retried in 20 s
    world.hall.advance(timedelta(seconds=10))
    assert await service.deliver_push(deps) == 0
    assert len(gateway.received) == 2
    world.hall.advance(timedelta(seconds=10))
    assert await service.deliver_push(deps) == 1
    world.hall.advance(timedelta(hours=1))
    assert await service.deliver_push(deps) == 0  # delivered: never again

    assert len(gateway.received) == 3
    sent = gateway.received[-1]
    (notice,) = await world.written("report.accept", object_id(report_id))
    assert sent == {
        "deviceToken": "phone-token-1",
        "platform": "IOS",
        "title": notice["title"],
        "body": notice["body"],
        "kind": "REPORT_STATUS_CHANGED",
        "subjectId": report_id,
        "notificationId": base64.b64encode(f"Notification:{notice['_id']}".encode()).decode(),
    }
    (message,) = await world.deps.db["push_outbox"].find({}).to_list()
    assert (message["status"], message["attempts"]) == ("SENT", 3)


async def test_a_round_is_delivered_in_a_few_commands_and_each_message_once(
    world: World, gateway: Gateway, command_counter: CommandCounter
) -> None:
    """Three reports accepted, told to a resident with two devices: six messages. Two workers
    racing deliver each once; one worker's round costs the same few commands whatever its
    size: the due messages, their claim, the claimed ones, their devices, their outcomes (one
    bulk write), and the next round's due messages (none)."""
    await register(world, JINAN_RESIDENT, "phone-a")
    await register(world, JINAN_RESIDENT, "pad-b", "HARMONY")
    for _ in range(3):
        await accepted_report(world)
    deps = with_webhook(world.deps, gateway)
    database = deps.db.name
    before = command_counter.counts.get(database, 0)
    assert await service.deliver_push(deps) == 6
    assert command_counter.counts[database] - before == 6

    for _ in range(3):
        await accepted_report(world)
    delivered = await asyncio.gather(service.deliver_push(deps), service.deliver_push(deps))
    assert sum(delivered) == 6
    sent = [(m["notificationId"], m["deviceToken"]) for m in gateway.received]
    assert len(sent) == len(set(sent)) == 12
    statuses = {m["status"] for m in await deps.db["push_outbox"].find().to_list()}
    assert statuses == {"SENT"}


async def test_a_send_that_raises_keeps_what_the_round_sent_before(
    world: World, gateway: Gateway
) -> None:
    """A sender that fails outright in the middle of a round (or a job cancelled there): the
    messages sent before are recorded SENT, so they are never sent again; the rest wait for
    their lease to end."""
    await register(world, JINAN_RESIDENT, "phone-a")
    await register(world, JINAN_RESIDENT, "pad-b", "HARMONY")
    await accepted_report(world)
    webhook = push.WebhookSender(gateway.url, 5.0)

    class BreaksOnTheSecond:
        calls = 0

        async def send(self, message: PushMessage, device: PushDevice) -> tuple[push.Delivery, str]:
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("the sender broke")
            return await webhook.send(message, device)

    with pytest.raises(RuntimeError):
        await service.deliver_push(world.deps, BreaksOnTheSecond())

    statuses = sorted(m["status"] for m in await world.deps.db["push_outbox"].find().to_list())
    assert statuses == ["PENDING", "SENT"]
    assert len(gateway.received) == 1


async def test_a_message_failing_every_time_is_dropped_after_the_last_try(
    world: World, gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    await register(world, JINAN_RESIDENT, "secret-device-token")
    await accepted_report(world)
    deps = with_webhook(world.deps, gateway, push_max_attempts=3)
    gateway.answers = [500] * 10
    for _ in range(6):
        await service.deliver_push(deps)
        world.hall.advance(timedelta(minutes=5))

    assert len(gateway.received) == 3
    (message,) = await world.deps.db["push_outbox"].find({}).to_list()
    assert (message["status"], message["last_error"]) == ("DROPPED", "HTTP 500")
    assert "dropped after 3 attempts" in caplog.text
    assert "secret-device-token" not in caplog.text  # tokens are never logged


async def test_a_device_the_sender_reports_invalid_is_removed(
    world: World, gateway: Gateway
) -> None:
    await register(world, JINAN_RESIDENT, "uninstalled-app")
    await register(world, JINAN_RESIDENT, "still-here")
    await accepted_report(world)
    gateway.invalid_tokens = {"uninstalled-app"}
    assert await service.deliver_push(with_webhook(world.deps, gateway)) == 1

    assert [d["deviceToken"] for d in gateway.received].count("uninstalled-app") == 1
    assert len(await devices(world, JINAN_RESIDENT)) == 1
    statuses = sorted(m["status"] for m in await world.deps.db["push_outbox"].find().to_list())
    assert statuses == ["DROPPED", "SENT"]


async def test_a_hanging_webhook_is_cut_off_and_retried_and_never_slows_requests(
    world: World, gateway: Gateway
) -> None:
    await register(world, JINAN_RESIDENT, "slow-gateway-phone")
    await accepted_report(world)
    gateway.hang = 3.0
    deps = with_webhook(world.deps, gateway, push_webhook_timeout_seconds=0.3)

    delivery = asyncio.create_task(service.deliver_push(deps))
    started = time.perf_counter()
    report_id = await world.street.submit(JINAN_RESIDENT)  # requests go on meanwhile
    await world.street.ok("accept", report_id, JINAN_WORKER)
    requests = time.perf_counter() - started
    assert await delivery == 0
    assert requests < 2.5  # the gateway hangs 3 s: nobody waited for it

    (message,) = await world.deps.db["push_outbox"].find({}).to_list()
    assert (message["status"], message["last_error"]) == ("PENDING", "ReadTimeout")
    assert message["next_at"] > world.deps.clock.now()


async def test_development_logs_pushes_without_tokens(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="neighbor_api.notifications.push")
    await register(world, JINAN_RESIDENT, "dev-phone-token")
    await accepted_report(world)
    assert isinstance(push.sender_for(world.deps.settings), push.LogSender)
    assert await service.deliver_push(world.deps) == 1
    assert "push REPORT_STATUS_CHANGED to ANDROID device" in caplog.text
    assert "dev-phone-token" not in caplog.text
