"""Account deletion (注销): deleteAccount with a DELETE_ACCOUNT code over HTTP ends every
session at once; the erasure job (driven here with the test's clock) then erases the name,
phone, password, consents, memberships' address and household code, leaving no trace of them
anywhere in the raw storage; reports stay with 已注销用户 as their reporter, cast votes keep
counting, and the phone can register again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from neighbor_api.accounts import service as accounts
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.jobs import run_once
from neighbor_api.graphql.relay import from_global_id
from neighbor_api.jobs import JOBS
from neighbor_api.privacy import service as privacy
from tests.conftest import Api
from tests.councils.support import Hall
from tests.privacy.support import (
    NAME,
    PASSWORD,
    PHONE,
    Resident,
    call,
    delete_code,
    resident_with_a_footprint,
    traces,
)

ERASE = [job for job in JOBS if job.name == "erase-deleted-accounts"]


@pytest.fixture
async def hall(api: Api, deps: Deps) -> Hall:
    return await Hall.open(api, deps)


@pytest.fixture
async def resident(hall: Hall, http: httpx.AsyncClient) -> Resident:
    return await resident_with_a_footprint(hall, http)


async def delete(http: httpx.AsyncClient, token: str, code: str, **kw: str) -> dict[str, object]:
    body = await call(http, "DeleteAccount", {"input": {"code": code}}, token=token, **kw)
    assert "errors" not in body, body
    payload: dict[str, object] = body["data"]["deleteAccount"]
    return payload


def user_oid(global_id: str) -> object:
    return from_global_id(global_id, "User")


class TestDeleteAccount:
    async def test_every_session_ends_at_once(
        self, http: httpx.AsyncClient, hall: Hall, resident: Resident
    ) -> None:
        other_device = (
            await hall.api.data("Login", {"input": {"phone": PHONE, "password": PASSWORD}})
        )["login"]["accessToken"]

        payload = await delete(
            http, resident.token, await delete_code(http, resident.token, hall.deps)
        )

        assert payload == {"errors": []}
        for token in (resident.token, other_device):
            body = await call(http, "Viewer", token=token)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
        login = await call(http, "Login", {"input": {"phone": PHONE, "password": PASSWORD}})
        assert [e["code"] for e in login["data"]["login"]["errors"]] == ["INVALID_CREDENTIALS"]
        stored = await hall.deps.db["sessions"].count_documents(
            {"user_id": user_oid(resident.user_id), "revoked_at": None}
        )
        assert stored == 0

    @pytest.mark.parametrize(
        ("locale", "code", "message"),
        [
            pytest.param(None, "123456", "验证码", id="wrong-code-zh"),
            pytest.param("en", "123456", "code", id="wrong-code-en"),
            pytest.param("en", "12ab", "code", id="malformed-code-en"),
        ],
    )
    async def test_a_wrong_code_changes_nothing(
        self,
        http: httpx.AsyncClient,
        hall: Hall,
        resident: Resident,
        locale: str | None,
        code: str,
        message: str,
    ) -> None:
        await delete_code(http, resident.token, hall.deps)

        payload = await delete(http, resident.token, code, **({"locale": locale} if locale else {}))

        [error] = payload["errors"]  # type: ignore[misc]
        assert error["code"] == "INVALID_CODE"
        assert error["field"] == ["input", "code"]
        assert message in error["message"].lower() or message in error["message"]
        body = await call(http, "Viewer", token=resident.token)
        assert body["data"]["viewer"]["displayName"] == NAME
        user = await hall.deps.db["users"].find_one({"_id": user_oid(resident.user_id)})
        assert user is not None
        assert user.get("deletion_requested_at") is None

    async def test_a_code_for_another_purpose_is_refused(
        self, http: httpx.AsyncClient, hall: Hall, resident: Resident
    ) -> None:
        from tests.conftest import request_code
        from tests.privacy.support import sender

        login_code = await request_code(
            sender(http, resident.token), PHONE, "LOGIN", clock=hall.deps.clock
        )

        payload = await delete(http, resident.token, login_code)

        assert [e["code"] for e in payload["errors"]] == ["INVALID_CODE"]  # type: ignore[attr-defined]

    async def test_deleting_twice_is_a_clear_error(
        self, http: httpx.AsyncClient, hall: Hall, resident: Resident
    ) -> None:
        code = await delete_code(http, resident.token, hall.deps)
        assert await delete(http, resident.token, code) == {"errors": []}

        # Through the API, the deleted account's token no longer authenticates anything.
        again = await call(
            http, "DeleteAccount", {"input": {"code": code}}, token=resident.token, locale="en"
        )
        assert [e["extensions"]["code"] for e in again["errors"]] == ["UNAUTHENTICATED"]
        # A request that got past authentication just before (a race) is refused by the rule.
        with pytest.raises(DomainError) as refused:
            await accounts.request_deletion(
                hall.deps,
                user_id=user_oid(resident.user_id),
                code=code,  # type: ignore[arg-type]
            )
        assert refused.value.problems[0].code is ErrorCode.INVALID_TRANSITION
        assert refused.value.problems[0].message == "account.already_deleted"

    async def test_two_racing_deletions_delete_once(
        self, http: httpx.AsyncClient, hall: Hall, resident: Resident
    ) -> None:
        code = await delete_code(http, resident.token, hall.deps)

        first, second = await asyncio.gather(
            delete(http, resident.token, code), delete(http, resident.token, code)
        )

        outcomes = sorted(str(p["errors"]) for p in (first, second))
        assert outcomes[0] == "[]"
        assert "INVALID_CODE" in outcomes[1] or "INVALID_TRANSITION" in outcomes[1]
        events = await hall.deps.db["events"].count_documents(
            {"kind": "user.deletion_requested", "subject_id": user_oid(resident.user_id)}
        )
        assert events == 1


class TestErasure:
    async def test_no_trace_of_the_person_remains_and_what_the_community_needs_stays(
        self, http: httpx.AsyncClient, hall: Hall, resident: Resident, deps: Deps
    ) -> None:
        assert isinstance(deps.clock, ManualClock)
        before = await traces(deps)
        assert all(before.values()), before
        await delete(http, resident.token, await delete_code(http, resident.token, hall.deps))

        deps.clock.advance(timedelta(minutes=1))
        assert await run_once(deps, ERASE) == {"erase-deleted-accounts": 1}

        assert await traces(deps) == {"name": [], "phone": [], "home": [], "household": []}
        # The report stays, by 已注销用户 / "Deleted user", with no number.
        worker = await hall.token("13800000001")
        for locale, shown in ((None, "已注销用户"), ("en", "Deleted user")):
            body = await call(
                http,
                "ReportDetail",
                {"id": resident.report_id, "commentsFirst": 5},
                token=worker,
                locale=locale,
            )
            report = body["data"]["report"]
            assert report["title"] == "金湖路路灯不亮"
            assert report["reporter"]["displayName"] == shown
            comment = report["comments"]["edges"][0]["node"]
            assert comment["body"] == "晚上路过要小心。"
            assert comment["author"]["displayName"] == shown
        # The vote still counts (its roll entry stays; the choice was never stored with it).
        closed = await hall.close(resident.proposal_id)
        assert closed["status"] == "CLOSED"
        counts = await hall.counts(resident.proposal_id)
        assert counts["赞成"] == 1
        # The membership ended, without its address or household.
        membership = await deps.db["memberships"].find_one({"user_id": user_oid(resident.user_id)})
        assert membership is not None
        assert (membership["status"], membership["address"], membership["household_code"]) == (
            "LEFT",
            None,
            None,
        )
        # Sessions and refresh tokens are gone.
        assert (
            await deps.db["sessions"].count_documents({"user_id": user_oid(resident.user_id)}) == 0
        )
        assert (
            await deps.db["refresh_tokens"].count_documents({"user_id": user_oid(resident.user_id)})
            == 0
        )

    async def test_the_phone_can_register_again(
        self, http: httpx.AsyncClient, hall: Hall, resident: Resident, deps: Deps
    ) -> None:
        assert isinstance(deps.clock, ManualClock)
        await delete(http, resident.token, await delete_code(http, resident.token, hall.deps))
        deps.clock.advance(timedelta(minutes=1))
        await run_once(deps, ERASE)

        again = await hall.api.register(PHONE, "a-new-start-2026", "欧阳新")

        assert again["errors"] == []
        assert again["viewer"]["id"] != resident.user_id

    async def test_several_instances_erase_once(
        self, http: httpx.AsyncClient, hall: Hall, resident: Resident, deps: Deps
    ) -> None:
        assert isinstance(deps.clock, ManualClock)
        await delete(http, resident.token, await delete_code(http, resident.token, hall.deps))
        deps.clock.advance(timedelta(minutes=1))

        done = await asyncio.gather(*(privacy.erase_deleted_accounts(deps) for _ in range(4)))

        assert sum(done) == 1
        erased = await deps.db["events"].count_documents({"kind": "user.erased"})
        assert erased == 1
        assert await privacy.erase_deleted_accounts(deps) == 0

    async def test_an_interrupted_erasure_is_taken_over_once_its_lease_expires(
        self, http: httpx.AsyncClient, hall: Hall, resident: Resident, deps: Deps
    ) -> None:
        assert isinstance(deps.clock, ManualClock)
        await delete(http, resident.token, await delete_code(http, resident.token, hall.deps))
        user_id = user_oid(resident.user_id)
        # An instance took it and died.
        assert await accounts.claim_erasure(deps, user_id, lease=privacy.ERASURE_LEASE)  # type: ignore[arg-type]

        assert await privacy.erase_deleted_accounts(deps) == 0
        deps.clock.advance(privacy.ERASURE_LEASE + timedelta(seconds=1))
        assert await privacy.erase_deleted_accounts(deps) == 1
        assert (await traces(deps))["phone"] == []
