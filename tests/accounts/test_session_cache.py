"""The session cache (accounts/sessions.py): no database round trip to authenticate a request
whose session is cached; revocation at once on the instance that wrote it, within the
change stream's delay on the others, within NEIGHBOR_AUTH_CACHE_SECONDS when the stream is down."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId
from websockets.exceptions import ConnectionClosed

from neighbor_api.accounts import security
from neighbor_api.accounts import service as accounts
from neighbor_api.accounts.sessions import SessionWatcher, forget
from neighbor_api.app import create_app
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import Unauthenticated
from neighbor_api.core.policy import SYSTEM, Actor
from neighbor_api.core.session_cache import SessionCache
from neighbor_api.councils import repository as councils_repository
from neighbor_api.councils import service as councils
from neighbor_api.councils.models import Council, CouncilKind, CouncilMember, CouncilRole
from neighbor_api.graphql.auth import SESSION_ENDED_CLOSE_CODE
from neighbor_api.memberships import service as memberships
from neighbor_api.places import service as places
from neighbor_api.places.models import PlaceLevel
from neighbor_api.settings import Settings
from tests.accounts.conftest import assert_unauthenticated
from tests.conftest import Api, CommandCounter, FakeTimer, make_settings
from tests.graphql.conftest import Commands, place_named
from tests.platform.conftest import LiveServer, serve
from tests.platform.test_websocket import run_operation, transport_ws

VIEWER_ID = "{ viewer { id } }"
MEMBERSHIP_STATUSES = "{ viewer { memberships { status } } }"
LOGOUT = "mutation { logout { ok errors { code } } }"
# How long another instance may take to see a revocation through the change stream (the
# bound is well under a second; the deadline leaves room for a busy test machine).
DEADLINE_SECONDS = 10.0


async def sign_up(deps: Deps, phone: str = "13912345678") -> accounts.SignedIn:
    return await accounts.register(
        deps, phone=phone, password="xiamen-jinshan-2026", display_name="陈思远"
    )


@pytest.fixture
def commands(command_counter: CommandCounter, deps: Deps) -> Commands:
    return Commands(command_counter, deps.db.name)


class TestWarmCache:
    async def test_viewer_sends_no_command(self, api: Api, deps: Deps, commands: Commands) -> None:
        token = (await sign_up(deps)).access_token
        first = await api.execute(VIEWER_ID, token=token)
        assert first.errors is None, first.errors

        before = commands.count
        result = await api.execute(VIEWER_ID, token=token)

        assert result.errors is None, result.errors
        assert result.data == first.data
        assert commands.count - before == 0

    async def test_a_cold_cache_costs_one_round_trip(
        self, api: Api, deps: Deps, commands: Commands
    ) -> None:
        token = (await sign_up(deps)).access_token
        await api.execute(VIEWER_ID, token=token)
        deps.sessions.clear()

        before = commands.count
        result = await api.execute(VIEWER_ID, token=token)

        assert result.errors is None, result.errors
        assert commands.count - before == 1

    async def test_concurrent_misses_of_one_session_share_one_round_trip(
        self, api: Api, deps: Deps, commands: Commands
    ) -> None:
        """The entry aged out under the many sockets of one phone: one read, not one each."""
        token = (await sign_up(deps)).access_token
        await api.execute(VIEWER_ID, token=token)
        deps.sessions.clear()

        before = commands.count
        results = await asyncio.gather(*(api.execute(VIEWER_ID, token=token) for _ in range(20)))

        assert [r.errors for r in results] == [None] * 20
        assert commands.count - before == 1

    async def test_a_miss_after_an_invalidation_does_not_join_an_earlier_load(
        self, deps: Deps
    ) -> None:
        signed_in = await sign_up(deps)
        deps.sessions.clear()
        earlier = asyncio.ensure_future(accounts.authenticate(deps, signed_in.access_token))
        await asyncio.sleep(0)  # the earlier load has begun
        claims = security.read_access_token(
            deps.settings, signed_in.access_token, now=deps.clock.now()
        )
        assert claims is not None
        await accounts.logout(deps, session_id=claims.session_id)

        with pytest.raises(Unauthenticated):
            await accounts.authenticate(deps, signed_in.access_token)
        await asyncio.gather(earlier, return_exceptions=True)

    async def test_an_expired_token_is_refused_though_its_session_is_cached(
        self, api: Api, deps: Deps, clock: ManualClock
    ) -> None:
        token = (await sign_up(deps)).access_token
        assert (await api.execute(VIEWER_ID, token=token)).errors is None

        clock.advance(deps.settings.access_token_ttl + timedelta(seconds=1))

        assert_unauthenticated(await api.execute(VIEWER_ID, token=token))

    async def test_authenticate_now_answers_from_the_cache_only(
        self, deps: Deps, clock: ManualClock, commands: Commands
    ) -> None:
        """What a subscription's each event asks (live/resolvers.py): the viewer at once on a
        hit; None (ask `authenticate`) on a miss, after a logout and for an expired token."""
        signed_in = await sign_up(deps)
        token = signed_in.access_token
        claims = security.read_access_token(deps.settings, token, now=clock.now())
        assert claims is not None
        deps.sessions.forget_session(claims.session_id)
        assert accounts.authenticate_now(deps, token) is None  # a miss: no read from here

        viewer = await accounts.authenticate(deps, token)
        before = commands.count
        assert accounts.authenticate_now(deps, token) is viewer
        assert commands.count - before == 0

        clock.advance(deps.settings.access_token_ttl + timedelta(seconds=1))
        assert accounts.authenticate_now(deps, token) is None
        clock.advance(-(deps.settings.access_token_ttl + timedelta(seconds=1)))
        await accounts.logout(deps, session_id=claims.session_id)
        assert accounts.authenticate_now(deps, token) is None

    async def test_a_forged_token_is_refused_without_a_round_trip(
        self, api: Api, deps: Deps, commands: Commands
    ) -> None:
        token = (await sign_up(deps)).access_token
        await api.execute(VIEWER_ID, token=token)

        before = commands.count
        assert_unauthenticated(await api.execute(VIEWER_ID, token=token[:-4] + "AAAA"))
        assert commands.count - before == 0


class TestKeptUsers:
    """The users the DataLoaders and the notifier read are kept like the sessions."""

    async def test_a_kept_user_is_read_without_a_round_trip(
        self, deps: Deps, commands: Commands
    ) -> None:
        user_id = (await sign_up(deps)).user.id
        deps.sessions.clear()
        unknown = ObjectId()

        before = commands.count
        first = await accounts.users(deps, [user_id, unknown])
        assert commands.count - before == 1
        again = await accounts.users(deps, [user_id])

        assert commands.count - before == 1
        assert list(first) == list(again) == [user_id]  # no such user: absent, never kept
        assert again[user_id].display_name == "陈思远"

    async def test_a_changed_name_shows_at_once_on_this_instance(self, deps: Deps) -> None:
        user_id = (await sign_up(deps)).user.id
        assert (await accounts.users(deps, [user_id]))[user_id].display_name == "陈思远"

        await accounts.update_profile(deps, user_id=user_id, display_name="陈思远（金山）")

        assert (await accounts.users(deps, [user_id]))[user_id].display_name == "陈思远（金山）"

    async def test_an_erased_account_is_read_again(self, deps: Deps) -> None:
        user_id = (await sign_up(deps)).user.id
        assert (await accounts.users(deps, [user_id]))[user_id].erased_at is None

        await accounts.erase_account(deps, user_id)

        erased = (await accounts.users(deps, [user_id]))[user_id]
        assert erased.erased_at is not None
        assert erased.display_name == ""

    async def test_turned_off_with_the_session_cache(self, deps: Deps, commands: Commands) -> None:
        off = dataclasses.replace(
            deps,
            settings=deps.settings.model_copy(update={"auth_cache_seconds": 0}),
            sessions=SessionCache(),
        )
        user_id = (await sign_up(off)).user.id

        before = commands.count
        await accounts.users(off, [user_id])
        await accounts.users(off, [user_id])

        assert commands.count - before == 2


class TestRevocationOnThisInstance:
    async def test_logout_refuses_the_same_token_at_once(self, api: Api, deps: Deps) -> None:
        token = (await sign_up(deps)).access_token
        assert (await api.execute(VIEWER_ID, token=token)).errors is None

        logout = await api.execute(LOGOUT, token=token)
        assert logout.data == {"logout": {"ok": True, "errors": []}}

        assert_unauthenticated(await api.execute(VIEWER_ID, token=token))

    async def test_a_reused_refresh_token_ends_the_session_at_once(
        self, api: Api, deps: Deps
    ) -> None:
        first = await sign_up(deps)
        rotated = await accounts.refresh_session(deps, refresh_token=first.refresh_token)
        assert (await api.execute(VIEWER_ID, token=rotated.access_token)).errors is None

        # The first refresh token again: a stolen copy. The whole family is revoked.
        reuse = await api.op("RefreshSession", {"input": {"refreshToken": first.refresh_token}})
        assert (reuse.data or {})["refreshSession"]["errors"][0]["code"] == "INVALID_CREDENTIALS"

        assert_unauthenticated(await api.execute(VIEWER_ID, token=rotated.access_token))

    async def test_a_membership_decision_shows_on_the_next_request(
        self, api: Api, demo: Deps
    ) -> None:
        signed_in = await sign_up(demo)
        community = await place_named(demo, PlaceLevel.COMMUNITY, "金安社区")
        request = await memberships.join_community(
            demo,
            Actor(user_id=signed_in.user.id),
            community_id=community.id,
            address="金安路 5 号",
            household_code=None,
        )
        shown = await api.execute(MEMBERSHIP_STATUSES, token=signed_in.access_token)
        assert shown.data == {"viewer": {"memberships": [{"status": "PENDING"}]}}

        worker = await accounts.users_by_ids(demo, [await user_id_of(demo, "+8613800000001")])
        await memberships.decide_membership(
            demo,
            await memberships.actor_for(demo, worker[0].id),
            membership_id=request.id,
            approve=True,
        )

        shown = await api.execute(MEMBERSHIP_STATUSES, token=signed_in.access_token)
        assert shown.data == {"viewer": {"memberships": [{"status": "ACTIVE"}]}}


async def user_id_of(deps: Deps, phone: str) -> ObjectId:
    document = await deps.db["users"].find_one({"phone": phone}, projection={"_id": 1})
    assert document is not None, phone
    user_id: ObjectId = document["_id"]
    return user_id


# --- Two instances on one database --------------------------------------------------------


@dataclasses.dataclass
class Instance:
    """One app instance (its own session cache and watcher) under a real uvicorn server."""

    deps: Deps
    server: LiveServer
    watcher: SessionWatcher
    http: httpx.AsyncClient

    async def graphql(self, query: str, token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def refuses(self, token: str) -> bool:
        body = await self.graphql(VIEWER_ID, token)
        return [e["extensions"]["code"] for e in body.get("errors") or []] == ["UNAUTHENTICATED"]


@asynccontextmanager
async def instance(settings: Settings, deps: Deps) -> AsyncIterator[Instance]:
    app = create_app(settings, deps=deps)
    async with (
        serve(app) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
    ):
        yield Instance(deps, server, app.state.session_watcher, http)


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Poll `check` until it holds; fail after DEADLINE_SECONDS."""
    async with asyncio.timeout(DEADLINE_SECONDS):
        while True:
            if await check():
                return
            await asyncio.sleep(0.05)


class TestOtherInstances:
    @pytest.fixture
    def timer(self) -> FakeTimer:
        return FakeTimer()

    @pytest.fixture
    async def pair(
        self, settings: Settings, deps: Deps, timer: FakeTimer
    ) -> AsyncIterator[tuple[Instance, Instance]]:
        """Instances A and B on the same database; B's cache ages by `timer`."""
        other = dataclasses.replace(deps, sessions=SessionCache(timer=timer))
        async with instance(settings, deps) as a, instance(settings, other) as b:
            yield a, b

    async def test_logout_on_one_is_refused_by_the_other_within_the_stream_delay(
        self, pair: tuple[Instance, Instance]
    ) -> None:
        a, b = pair
        token = (await sign_up(a.deps)).access_token
        assert "errors" not in await b.graphql(VIEWER_ID, token)
        assert "errors" not in await b.graphql(VIEWER_ID, token)
        assert b.deps.sessions.hits >= 1  # B answers from its cache

        assert (await a.graphql(LOGOUT, token))["data"]["logout"]["ok"] is True

        await eventually(lambda: b.refuses(token))

    async def test_a_membership_change_reaches_the_other(
        self, pair: tuple[Instance, Instance]
    ) -> None:
        a, b = pair
        signed_in = await sign_up(a.deps)
        community = await make_community(a.deps)
        request = await memberships.join_community(
            a.deps,
            Actor(user_id=signed_in.user.id),
            community_id=community,
            address="金安路 5 号",
            household_code=None,
        )

        async def statuses() -> list[str]:
            body = await b.graphql(MEMBERSHIP_STATUSES, signed_in.access_token)
            return [m["status"] for m in body["data"]["viewer"]["memberships"]]

        assert await statuses() == ["PENDING"]
        await memberships.decide_membership(a.deps, SYSTEM, membership_id=request.id, approve=True)

        async def active() -> bool:
            return await statuses() == ["ACTIVE"]

        await eventually(active)

    async def test_a_changed_name_reaches_the_other_within_the_stream_delay(
        self, pair: tuple[Instance, Instance]
    ) -> None:
        a, b = pair
        user_id = (await sign_up(a.deps)).user.id
        assert (await accounts.users(b.deps, [user_id]))[user_id].display_name == "陈思远"

        await accounts.update_profile(a.deps, user_id=user_id, display_name="陈思远（金山）")

        async def renamed() -> bool:
            kept = await accounts.users(b.deps, [user_id])
            return kept[user_id].display_name == "陈思远（金山）"

        await eventually(renamed)

    async def test_a_councils_new_members_reach_the_other_within_the_stream_delay(
        self, pair: tuple[Instance, Instance]
    ) -> None:
        """A council kept by B (councils.service.councils, a collection the watcher follows
        for it: app.KEPT_DOCUMENTS) is dropped when its members change, whoever writes."""
        a, b = pair
        community = await make_community(a.deps)
        council = Council(
            community_id=community, place_path=[community], name="金安社区居民议事会",
            kind=CouncilKind.COMMUNITY_COUNCIL, created_at=a.deps.clock.now(),
        )  # fmt: skip
        await councils_repository.insert_council(a.deps.db, council)
        assert (await councils.councils(b.deps, [council.id]))[council.id].members == []
        since = council.created_at
        member = CouncilMember(user_id=ObjectId(), role=CouncilRole.MEMBER, since=since)

        await councils_repository.set_members(
            a.deps.db, council.id, [member.model_dump()], session=None
        )

        async def changed() -> bool:
            kept = (await councils.councils(b.deps, [council.id]))[council.id]
            return [m.user_id for m in kept.members] == [member.user_id]

        await eventually(changed)

    async def test_with_the_stream_down_a_kept_user_ages_out(
        self, pair: tuple[Instance, Instance], timer: FakeTimer
    ) -> None:
        a, b = pair
        user_id = (await sign_up(a.deps)).user.id
        assert (await accounts.users(b.deps, [user_id]))[user_id].display_name == "陈思远"
        await b.watcher.stop()

        await accounts.update_profile(a.deps, user_id=user_id, display_name="陈思远（金山）")
        kept = await accounts.users(b.deps, [user_id])
        assert kept[user_id].display_name == "陈思远"  # the stated bound ...

        timer.now += b.deps.settings.auth_cache_seconds  # ... until it ends
        kept = await accounts.users(b.deps, [user_id])
        assert kept[user_id].display_name == "陈思远（金山）"

    async def test_with_the_stream_down_the_cache_age_bounds_revocation(
        self, pair: tuple[Instance, Instance], timer: FakeTimer
    ) -> None:
        a, b = pair
        token = (await sign_up(a.deps)).access_token
        assert "errors" not in await b.graphql(VIEWER_ID, token)
        await b.watcher.stop()

        assert (await a.graphql(LOGOUT, token))["data"]["logout"]["ok"] is True
        # B cannot know yet: it still answers from its cache (the stated bound) ...
        assert "errors" not in await b.graphql(VIEWER_ID, token)

        # ... until the entry is NEIGHBOR_AUTH_CACHE_SECONDS old.
        timer.now += b.deps.settings.auth_cache_seconds
        assert await b.refuses(token)

    async def test_each_operation_on_a_socket_is_authorised_as_of_now(
        self, pair: tuple[Instance, Instance]
    ) -> None:
        a, b = pair
        token = (await sign_up(a.deps)).access_token
        async with transport_ws(b.server, {"authorization": f"Bearer {token}"}) as ws:
            (answer, _) = await run_operation(ws, VIEWER_ID, "1")
            assert answer["type"] == "next", answer
            assert "errors" not in answer["payload"], answer

            assert (await a.graphql(LOGOUT, token))["data"]["logout"]["ok"] is True

            async def refused() -> bool:
                try:
                    (answer, *_) = await run_operation(ws, VIEWER_ID, str(ObjectId()))
                except ConnectionClosed:
                    return True
                return "errors" in answer["payload"]

            await eventually(refused)
            async with asyncio.timeout(DEADLINE_SECONDS):
                await ws.wait_closed()
            assert ws.close_code == SESSION_ENDED_CLOSE_CODE

    async def test_an_idle_socket_is_closed_once_its_session_ended(
        self, deps: Deps, pair: tuple[Instance, Instance]
    ) -> None:
        a, _ = pair
        token = (await sign_up(a.deps)).access_token
        pinging = make_settings(ws_ping_seconds=0.2)
        other = dataclasses.replace(deps, sessions=SessionCache())
        async with (
            instance(pinging, other) as c,
            transport_ws(c.server, {"authorization": f"Bearer {token}"}) as ws,
        ):
            assert (await a.graphql(LOGOUT, token))["data"]["logout"]["ok"] is True

            async with asyncio.timeout(DEADLINE_SECONDS):
                with contextlib.suppress(ConnectionClosed):
                    while True:  # the server's pings, until it closes the socket
                        await ws.recv()
            assert ws.close_code == SESSION_ENDED_CLOSE_CODE


async def make_community(deps: Deps) -> ObjectId:
    """A community to join (a street of places made by the system, without the demo)."""
    parent: ObjectId | None = None
    for level, name in (
        (PlaceLevel.CITY, "厦门市"),
        (PlaceLevel.DISTRICT, "湖里区"),
        (PlaceLevel.STREET, "金山街道"),
        (PlaceLevel.COMMUNITY, "金安社区"),
    ):
        place = await places.create_place(deps, SYSTEM, name=name, level=level, parent_id=parent)
        parent = place.id
    assert parent is not None
    return parent


class TestTheCache:
    def test_the_least_recently_used_session_goes_first(self) -> None:
        cache: SessionCache[str] = SessionCache()
        sessions = [ObjectId() for _ in range(3)]
        user = ObjectId()
        for session in sessions[:2]:
            cache.put(session, user, str(session), epoch=cache.epoch, max_size=2)
        assert cache.get(sessions[0], max_age=30) == str(sessions[0])

        cache.put(sessions[2], user, "third", epoch=cache.epoch, max_size=2)

        assert cache.get(sessions[1], max_age=30) is None
        assert cache.get(sessions[0], max_age=30) == str(sessions[0])
        assert len(cache) == 2

    def test_a_load_that_raced_an_invalidation_is_not_kept(self) -> None:
        cache: SessionCache[str] = SessionCache()
        session, user = ObjectId(), ObjectId()
        epoch = cache.epoch  # a request starts reading the database ...
        cache.forget_user(user)  # ... meanwhile the user's memberships change

        cache.put(session, user, "read before the change", epoch=epoch, max_size=10)

        assert cache.get(session, max_age=30) is None

    def test_forgetting_a_user_drops_each_of_their_sessions(self) -> None:
        cache: SessionCache[str] = SessionCache()
        user, other = ObjectId(), ObjectId()
        mine = [ObjectId(), ObjectId()]
        theirs = ObjectId()
        for session in mine:
            cache.put(session, user, "mine", epoch=cache.epoch, max_size=10)
        cache.put(theirs, other, "theirs", epoch=cache.epoch, max_size=10)

        cache.forget_user(user)

        assert [cache.get(s, max_age=30) for s in mine] == [None, None]
        assert cache.get(theirs, max_age=30) == "theirs"

    def test_users_are_kept_aged_and_bounded(self) -> None:
        timer = FakeTimer()
        cache: SessionCache[str] = SessionCache(timer=timer)
        users = [ObjectId() for _ in range(3)]
        for user in users:
            cache.put_document(user, str(user), epoch=cache.epoch, max_size=2)

        assert cache.document(users[0], max_age=30) is None  # the least recently used went first
        assert cache.document(users[1], max_age=30) == str(users[1])
        timer.now += 30
        assert cache.document(users[2], max_age=30) is None

    def test_forgetting_a_user_drops_the_user_too(self) -> None:
        cache: SessionCache[str] = SessionCache()
        user, other = ObjectId(), ObjectId()
        epoch = cache.epoch  # a read of `other` starts ...
        cache.put_document(user, "mine", epoch=cache.epoch, max_size=10)

        cache.forget_user(user)
        cache.put_document(other, "read before", epoch=epoch, max_size=10)  # ... and raced it

        assert cache.document(user, max_age=30) is None
        assert cache.document(other, max_age=30) is None
        cache.put_document(other, "theirs", epoch=cache.epoch, max_size=10)
        cache.clear()
        assert cache.document(other, max_age=30) is None


class TestTheWatcher:
    """What each change of the watched collections drops (accounts/sessions.forget)."""

    @pytest.fixture
    def cache(self) -> SessionCache[str]:
        return SessionCache()

    def cached(self, cache: SessionCache[str]) -> tuple[ObjectId, ObjectId, ObjectId]:
        """A session of a user and a session of someone else, both cached."""
        user, session, other = ObjectId(), ObjectId(), ObjectId()
        cache.put(session, user, "mine", epoch=cache.epoch, max_size=10)
        cache.put(other, ObjectId(), "theirs", epoch=cache.epoch, max_size=10)
        return user, session, other

    @staticmethod
    def change(operation: str, collection: str, key: ObjectId, **extra: Any) -> dict[str, Any]:
        return {
            "operationType": operation,
            "ns": {"db": "neighbor", "coll": collection},
            "documentKey": {"_id": key},
            **extra,
        }

    def test_a_session_revoked_elsewhere(self, cache: SessionCache[str]) -> None:
        _, session, other = self.cached(cache)

        forget(cache, self.change("update", "sessions", session))

        assert cache.get(session, max_age=30) is None
        assert cache.get(other, max_age=30) == "theirs"

    def test_a_new_session_drops_nothing(self, cache: SessionCache[str]) -> None:
        _, session, _ = self.cached(cache)

        forget(cache, self.change("insert", "sessions", ObjectId()))

        assert cache.get(session, max_age=30) == "mine"

    def test_an_account_changed_or_deleted(self, cache: SessionCache[str]) -> None:
        user, session, other = self.cached(cache)
        cache.put_document(user, "the user", epoch=cache.epoch, max_size=10)

        forget(cache, self.change("delete", "users", user))

        assert cache.get(session, max_age=30) is None
        assert cache.document(user, max_age=30) is None
        assert cache.get(other, max_age=30) == "theirs"

    def test_a_membership_changed_names_its_user(self, cache: SessionCache[str]) -> None:
        user, session, other = self.cached(cache)

        membership = self.change(
            "update", "memberships", ObjectId(), fullDocument={"user_id": user}
        )
        forget(cache, membership)

        assert cache.get(session, max_age=30) is None
        assert cache.get(other, max_age=30) == "theirs"

    def test_a_membership_deleted_drops_everything(self, cache: SessionCache[str]) -> None:
        self.cached(cache)

        forget(cache, self.change("delete", "memberships", ObjectId()))

        assert len(cache) == 0

    def test_a_kept_document_changed_drops_it_alone(self, cache: SessionCache[str]) -> None:
        """Another collection the watcher follows for the documents kept by id (a council)."""
        _, session, _ = self.cached(cache)
        council, kept = ObjectId(), ObjectId()
        for key in (council, kept):
            cache.put_document(key, str(key), epoch=cache.epoch, max_size=10)

        forget(cache, self.change("update", "councils", council))

        assert cache.document(council, max_age=30) is None
        assert cache.document(kept, max_age=30) == str(kept)
        assert cache.get(session, max_age=30) == "mine"

    def test_a_dropped_collection_drops_everything(self, cache: SessionCache[str]) -> None:
        self.cached(cache)

        forget(cache, {"operationType": "drop", "ns": {"db": "neighbor", "coll": "sessions"}})

        assert len(cache) == 0

    async def test_reopening_the_stream_drops_everything(
        self, deps: Deps, settings: Settings
    ) -> None:
        """Changes made while no stream was open are unknown: start from the database."""
        async with instance(settings, deps) as running:
            token = (await sign_up(deps)).access_token
            assert "errors" not in await running.graphql(VIEWER_ID, token)
            await running.watcher.stop()
            assert len(deps.sessions) == 1

            await running.watcher.start()

            assert len(deps.sessions) == 0
            assert "errors" not in await running.graphql(VIEWER_ID, token)
