"""attach(): a subject (a report) takes the actor's own fresh uploads, all of them or none."""

from __future__ import annotations

import asyncio

import pytest
from bson import ObjectId

from neighbor_api.attachments import service
from neighbor_api.attachments.models import Attachment
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.mongo import Session, in_transaction
from neighbor_api.core.policy import SYSTEM, Actor
from tests.attachments.support import stored

FIELD = ("input", "photoIds")


async def attach(
    deps: Deps,
    actor: Actor,
    ids: list[ObjectId],
    *,
    subject_id: ObjectId | None = None,
    session: Session | None = None,
) -> list[Attachment]:
    return await service.attach(
        deps,
        actor,
        attachment_ids=ids,
        subject_id=subject_id or ObjectId(),
        place_path=[ObjectId(), ObjectId()],
        field=FIELD,
        session=session,
    )


def refusal(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[object, ...]]:
    return [(p.code, p.message, p.field) for p in error.value.problems]


async def subject_of(deps: Deps, attachment: Attachment) -> ObjectId | None:
    (current,) = await service.by_ids(deps, [attachment.id])
    return current.subject_id


class TestAttach:
    async def test_attaches_the_actors_own_uploads(self, deps: Deps) -> None:
        actor = Actor(user_id=ObjectId())
        first, second = await stored(deps, actor.user_id), await stored(deps, actor.user_id)
        report_id, place_path = ObjectId(), [ObjectId(), ObjectId()]

        attached = await service.attach(
            deps,
            actor,
            attachment_ids=[second.id, first.id, second.id],
            subject_id=report_id,
            place_path=place_path,
            field=FIELD,
        )

        assert [a.id for a in attached] == [second.id, first.id]
        stored_now = await service.by_ids(deps, [first.id, second.id])
        assert [(a.subject_id, a.place_path) for a in stored_now] == [(report_id, place_path)] * 2
        assert {a.id: a for a in stored_now} == {a.id: a for a in attached}

    async def test_no_ids_is_nothing_to_do(self, deps: Deps) -> None:
        assert await attach(deps, Actor(user_id=ObjectId()), []) == []

    async def test_another_users_upload_is_not_found(self, deps: Deps) -> None:
        theirs = await stored(deps)

        with pytest.raises(DomainError) as refused:
            await attach(deps, Actor(user_id=ObjectId()), [theirs.id])

        assert refusal(refused) == [(ErrorCode.NOT_FOUND, "attachment.not_found", FIELD)]
        assert await subject_of(deps, theirs) is None

    async def test_an_unknown_id_is_not_found(self, deps: Deps) -> None:
        with pytest.raises(DomainError) as refused:
            await attach(deps, Actor(user_id=ObjectId()), [ObjectId()])

        assert refusal(refused) == [(ErrorCode.NOT_FOUND, "attachment.not_found", FIELD)]

    async def test_an_already_attached_upload_is_refused(self, deps: Deps) -> None:
        actor = Actor(user_id=ObjectId())
        upload = await stored(deps, actor.user_id)
        first_report = ObjectId()
        await attach(deps, actor, [upload.id], subject_id=first_report)

        with pytest.raises(DomainError) as refused:
            await attach(deps, actor, [upload.id])

        assert refusal(refused) == [(ErrorCode.INVALID_INPUT, "attachment.already_attached", FIELD)]
        assert await subject_of(deps, upload) == first_report

    async def test_is_all_or_nothing(self, deps: Deps) -> None:
        actor = Actor(user_id=ObjectId())
        mine, theirs = await stored(deps, actor.user_id), await stored(deps)

        with pytest.raises(DomainError):
            await attach(deps, actor, [mine.id, theirs.id])

        assert await subject_of(deps, mine) is None
        assert await subject_of(deps, theirs) is None

    async def test_more_than_nine_is_refused(self, deps: Deps) -> None:
        actor = Actor(user_id=ObjectId())
        uploads = [await stored(deps, actor.user_id) for _ in range(10)]

        with pytest.raises(DomainError) as refused:
            await attach(deps, actor, [u.id for u in uploads])

        assert refusal(refused) == [(ErrorCode.INVALID_INPUT, "attachment.too_many", FIELD)]
        assert [await subject_of(deps, u) for u in uploads] == [None] * 10

    async def test_nine_are_accepted(self, deps: Deps) -> None:
        actor = Actor(user_id=ObjectId())
        uploads = [await stored(deps, actor.user_id) for _ in range(9)]

        attached = await attach(deps, actor, [u.id for u in uploads])

        assert len(attached) == 9

    async def test_is_undone_with_the_callers_transaction(self, deps: Deps) -> None:
        actor = Actor(user_id=ObjectId())
        upload = await stored(deps, actor.user_id)

        async def write_report(session: Session) -> None:
            await attach(deps, actor, [upload.id], session=session)
            raise DomainError.of(ErrorCode.INVALID_INPUT)  # the report's own rules refuse it

        with pytest.raises(DomainError):
            await in_transaction(deps.client, write_report)

        assert await subject_of(deps, upload) is None

    async def test_two_subjects_racing_for_one_upload_one_wins(self, deps: Deps) -> None:
        actor = Actor(user_id=ObjectId())
        upload = await stored(deps, actor.user_id)
        subjects = [ObjectId() for _ in range(4)]

        results = await asyncio.gather(
            *(attach(deps, actor, [upload.id], subject_id=s) for s in subjects),
            return_exceptions=True,
        )

        winners = [s for s, r in zip(subjects, results, strict=True) if isinstance(r, list)]
        assert len(winners) == 1
        assert all(isinstance(r, DomainError) for r in results if not isinstance(r, list))
        assert await subject_of(deps, upload) == winners[0]

    async def test_the_system_may_attach_anyones_upload(self, deps: Deps) -> None:
        upload = await stored(deps)

        await attach(deps, SYSTEM, [upload.id])

        assert await subject_of(deps, upload) is not None


class TestByIds:
    async def test_in_the_order_asked_without_the_missing(self, deps: Deps) -> None:
        first, second = await stored(deps), await stored(deps)

        found = await service.by_ids(deps, [second.id, ObjectId(), first.id])

        assert found == [second, first]
