"""The rules of the 爱心超市: staff stock a community's rewards; members spend their points on
them; staff hand the goods over or call a redemption off.

A redemption is one transaction: one unit of stock (a conditional `$inc` that passes only while
the reward is on offer and one is left), the points (the account's conditional `$inc` that
passes only while it holds enough: `points/repository.py`), the redemption with its pickup code,
its ledger entry and its event. Either condition failing aborts everything (OUT_OF_STOCK,
INSUFFICIENT_POINTS), and two transactions touching one reward or one account conflict, the
loser running again against what the winner committed: 100 residents racing for 5 units get
exactly 5, a resident racing themself with points for 2 gets exactly 2.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from neighbor_api.core import events
from neighbor_api.core import idempotency as idempotent
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Document, Session, in_transaction
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import Actor, is_system
from neighbor_api.core.validation import Checks
from neighbor_api.places import service as places
from neighbor_api.places.models import PlaceLevel
from neighbor_api.points import repository as points
from neighbor_api.rewards import repository
from neighbor_api.rewards.models import Redemption, RedemptionStatus, Reward

MAX_NAME = 40
MAX_DESCRIPTION = 500
MAX_COST = 100_000
MAX_STOCK = 100_000
MAX_REASON = 200
PICKUP_DIGITS = 6


def _user(actor: Actor) -> ObjectId | None:
    return None if is_system(actor) else actor.user_id


def is_staff(actor: Actor | None, path: list[ObjectId]) -> bool:
    return actor is not None and (is_system(actor) or actor.is_staff(path))


def can_see(actor: Actor | None, path: list[ObjectId]) -> bool:
    """A community's rewards: its members, and staff of the places above it."""
    return actor is not None and (is_system(actor) or actor.is_member(path))


def sees_redemption(actor: Actor | None, redemption: Redemption) -> bool:
    """A redemption (and its pickup code): the resident who made it, and staff."""
    return actor is not None and (
        actor.user_id == redemption.user_id or is_staff(actor, redemption.place_path)
    )


async def _record(
    deps: Deps, actor: Actor, kind: EventKind, subject_id: ObjectId, path: list[ObjectId],
    session: Session, **data: Any,
) -> None:  # fmt: skip
    await events.record(
        deps, kind=kind, subject_id=subject_id, actor_id=_user(actor), place_path=path,
        data=data, session=session,
    )  # fmt: skip


# --- Rewards ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RewardFields:
    name: str | None = None
    description: str | None = None
    cost: int | None = None
    stock: int | None = None


def _checked(fields: RewardFields, checks: Checks, *, creating: bool) -> Document:
    """The fields to write; zero or negative costs and (new) stocks are INVALID_INPUT."""
    values: Document = {}
    if fields.name is not None or creating:
        values["name"] = checks.text(fields.name, "name", max_length=MAX_NAME)
    if fields.description is not None:
        text = checks.text(
            fields.description, "description", max_length=MAX_DESCRIPTION, required=False
        )
        values["description"] = text or None
    if fields.cost is not None or creating:
        if fields.cost is None or not 1 <= fields.cost <= MAX_COST:
            checks.fail("cost", "reward.cost", max=MAX_COST)
        values["cost"] = fields.cost
    if fields.stock is not None or creating:
        low = 1 if creating else 0
        if fields.stock is None or not low <= fields.stock <= MAX_STOCK:
            checks.fail("stock", "reward.stock", min=low, max=MAX_STOCK)
        values["stock"] = fields.stock
    return values


async def create_reward(
    deps: Deps, actor: Actor, *, community_id: ObjectId, fields: RewardFields
) -> Reward:
    """Community staff put a reward on offer: name, description, cost (≥ 1), stock (≥ 1)."""
    checks = Checks()
    values = _checked(fields, checks, creating=True)
    checks.done()
    community = await places.get_place_or_raise(
        deps, community_id, level=PlaceLevel.COMMUNITY, field=("input", "communityId")
    )
    if not is_staff(actor, community.path):
        raise DomainError.of(ErrorCode.FORBIDDEN, "reward.manage_forbidden")
    now = deps.clock.now()
    reward = Reward(
        community_id=community.id, place_path=community.path, created_by=_user(actor),
        created_at=now, updated_at=now, **values,
    )  # fmt: skip

    async def write(session: Session) -> None:
        await repository.insert_reward(deps.db, reward, session=session)
        await _record(
            deps, actor, EventKind.REWARD_CREATED, reward.id, reward.place_path, session,
            name=reward.name, cost=reward.cost, stock=reward.stock,
        )  # fmt: skip

    await in_transaction(deps.client, write)
    return reward


async def get_reward(deps: Deps, actor: Actor | None, reward_id: ObjectId) -> Reward | None:
    found = await repository.rewards_by_ids(deps.db, [reward_id])
    return found[0] if found and can_see(actor, found[0].place_path) else None


async def _reward_or_raise(deps: Deps, actor: Actor, reward_id: ObjectId) -> Reward:
    reward = await get_reward(deps, actor, reward_id)
    if reward is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "reward.not_found", field=("input", "rewardId"))
    return reward


async def update_reward(
    deps: Deps, actor: Actor, *, reward_id: ObjectId, fields: RewardFields
) -> Reward:
    """Staff change a reward on offer (a stock of 0 is allowed: sold out until restocked)."""
    checks = Checks()
    values = _checked(fields, checks, creating=False)
    checks.done()
    reward = await _reward_or_raise(deps, actor, reward_id)
    if not is_staff(actor, reward.place_path):
        raise DomainError.of(ErrorCode.FORBIDDEN, "reward.manage_forbidden")
    values["updated_at"] = deps.clock.now()

    async def write(session: Session) -> Reward:
        updated = await repository.update_reward(
            deps.db, reward.id, condition={"retired": False}, update={"$set": values},
            session=session,
        )  # fmt: skip
        if updated is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "reward.withdrawn")
        await _record(
            deps, actor, EventKind.REWARD_UPDATED, reward.id, reward.place_path, session,
            fields=sorted(k for k in values if k != "updated_at"),
        )  # fmt: skip
        return updated

    return await in_transaction(deps.client, write)


async def retire_reward(deps: Deps, actor: Actor, *, reward_id: ObjectId) -> Reward:
    """Staff withdraw a reward: no longer on offer (pending redemptions stay to be handed over
    or cancelled). Retiring it again changes nothing."""
    reward = await _reward_or_raise(deps, actor, reward_id)
    if not is_staff(actor, reward.place_path):
        raise DomainError.of(ErrorCode.FORBIDDEN, "reward.manage_forbidden")
    if reward.retired:
        return reward

    async def write(session: Session) -> Reward:
        updated = await repository.update_reward(
            deps.db, reward.id, condition={"retired": False},
            update={"$set": {"retired": True, "updated_at": deps.clock.now()}}, session=session,
        )  # fmt: skip
        if updated is None:  # retired meanwhile
            (current,) = await repository.rewards_by_ids(deps.db, [reward.id], session=session)
            return current
        await _record(deps, actor, EventKind.REWARD_RETIRED, reward.id, reward.place_path, session)
        return updated

    return await in_transaction(deps.client, write)


async def rewards_of(
    deps: Deps, actor: Actor | None, *, community_id: ObjectId, retired: bool = False
) -> list[Reward] | None:
    """A community's rewards on offer (staff may ask for the retired too); None for those who
    may not see the community."""
    community = await places.get_place(deps, community_id)
    if (
        community is None
        or community.level is not PlaceLevel.COMMUNITY
        or not can_see(actor, community.path)
    ):
        return None
    return await repository.rewards_of(
        deps.db, community.id, retired=retired and is_staff(actor, community.path)
    )


# --- Redemptions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Redeemed:
    """A redemption, and the reward as the write left it (None: not read)."""

    redemption: Redemption
    reward: Reward | None = None


def _pickup_code() -> str:
    return f"{secrets.randbelow(10**PICKUP_DIGITS):0{PICKUP_DIGITS}d}"


async def redeem_reward(
    deps: Deps, actor: Actor, *, reward_id: ObjectId, idempotency_key: str | None
) -> Redeemed:
    """A member spends points on a reward of their community: in one transaction the stock
    goes down by one (OUT_OF_STOCK if none is left), the points are debited (INSUFFICIENT_POINTS
    if the balance is short), and the redemption is written with a pickup code. A retry with
    the same `idempotencyKey` returns the first redemption and changes nothing."""
    checks = Checks()
    idempotency = idempotent.parse(actor.user_id, idempotency_key, checks)
    checks.done()
    if earlier := await idempotent.earlier(deps, repository.REDEMPTIONS, idempotency):
        return Redeemed(Redemption.from_document(earlier))
    reward = await _reward_or_raise(deps, actor, reward_id)
    if reward.retired:
        raise DomainError.of(
            ErrorCode.INVALID_TRANSITION, "reward.withdrawn", field=("input", "rewardId")
        )
    now = deps.clock.now()
    made: list[Redeemed] = []

    async def write(session: Session) -> None:
        taken = await repository.take_one(deps.db, reward.id, session=session)
        if taken is None:
            (current,) = await repository.rewards_by_ids(deps.db, [reward.id], session=session)
            if current.retired:
                raise DomainError.of(
                    ErrorCode.INVALID_TRANSITION, "reward.withdrawn", field=("input", "rewardId")
                )
            raise DomainError.of(ErrorCode.OUT_OF_STOCK, name=current.name)
        balance = await points.debit(deps.db, actor.user_id, taken.cost, session=session)
        if balance is None:
            raise DomainError.of(ErrorCode.INSUFFICIENT_POINTS, cost=taken.cost)
        redemption = Redemption(
            reward_id=taken.id, community_id=taken.community_id, place_path=taken.place_path,
            user_id=actor.user_id, cost=taken.cost, reward_name=taken.name,
            pickup_code=_pickup_code(), idempotency=idempotency, created_at=now,
        )  # fmt: skip
        await repository.insert_redemption(deps.db, redemption, session=session)
        await points.append(
            deps.db, user_id=actor.user_id, community_id=taken.community_id,
            place_path=taken.place_path, points=-taken.cost, balance=balance,
            reason=points.REDEEMED, at=now, redemption_id=redemption.id, session=session,
        )  # fmt: skip
        await _record(
            deps, actor, EventKind.REDEMPTION_REQUESTED, redemption.id, taken.place_path,
            session, reward_id=taken.id, cost=taken.cost,
        )  # fmt: skip
        made[:] = [Redeemed(redemption, taken)]

    raced = await idempotent.create_once(deps, repository.REDEMPTIONS, idempotency, write)
    return Redeemed(Redemption.from_document(raced)) if raced is not None else made[0]


async def get_redemption(
    deps: Deps, actor: Actor | None, redemption_id: ObjectId
) -> Redemption | None:
    found = await repository.redemptions_by_ids(deps.db, [redemption_id])
    return found[0] if found and sees_redemption(actor, found[0]) else None


async def _redemption_or_raise(deps: Deps, actor: Actor, redemption_id: ObjectId) -> Redemption:
    redemption = await get_redemption(deps, actor, redemption_id)
    if redemption is None:
        raise DomainError.of(
            ErrorCode.NOT_FOUND, "redemption.not_found", field=("input", "redemptionId")
        )
    return redemption


async def fulfil_redemption(deps: Deps, actor: Actor, *, redemption_id: ObjectId) -> Redeemed:
    """Staff hand the goods over (the resident shows the pickup code): PENDING → FULFILLED,
    once (a second time, or after a cancel, is INVALID_TRANSITION)."""
    redemption = await _redemption_or_raise(deps, actor, redemption_id)
    if not is_staff(actor, redemption.place_path):
        raise DomainError.of(ErrorCode.FORBIDDEN, "redemption.fulfil_forbidden")

    async def write(session: Session) -> Redeemed:
        done = await repository.settle(
            deps.db, redemption.id, to=RedemptionStatus.FULFILLED,
            changes={"fulfilled_at": deps.clock.now(), "fulfilled_by": _user(actor)},
            session=session,
        )  # fmt: skip
        if done is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "redemption.not_pending")
        await _record(
            deps, actor, EventKind.REDEMPTION_FULFILLED, done.id, done.place_path, session,
            user_id=done.user_id,
        )  # fmt: skip
        return Redeemed(done)

    return await in_transaction(deps.client, write)


async def cancel_redemption(
    deps: Deps, actor: Actor, *, redemption_id: ObjectId, reason: str | None
) -> Redeemed:
    """Staff, or the resident, call a pending redemption off: the unit goes back to stock and
    the points are refunded, exactly once (the redemption's conditional update lets one cancel
    through, and the ledger's unique (redemption, reason) index would refuse a second refund)."""
    checks = Checks()
    text = checks.text(reason, "reason", max_length=MAX_REASON, required=False)
    checks.done()
    redemption = await _redemption_or_raise(deps, actor, redemption_id)
    now = deps.clock.now()

    async def write(session: Session) -> Redeemed:
        cancelled = await repository.settle(
            deps.db, redemption.id, to=RedemptionStatus.CANCELLED,
            changes={"cancelled_at": now, "cancelled_by": _user(actor),
                     "cancel_reason": text or None},
            session=session,
        )  # fmt: skip
        if cancelled is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "redemption.not_pending")
        await repository.put_back(deps.db, cancelled.reward_id, session=session)
        await points.credit(
            deps.db, user_id=cancelled.user_id, community_id=cancelled.community_id,
            place_path=cancelled.place_path, points=cancelled.cost, reason=points.REFUNDED,
            at=now, redemption_id=cancelled.id, session=session,
        )  # fmt: skip
        await _record(
            deps, actor, EventKind.REDEMPTION_CANCELLED, cancelled.id, cancelled.place_path,
            session, user_id=cancelled.user_id, reason=text or None,
        )  # fmt: skip
        return Redeemed(cancelled)

    return await in_transaction(deps.client, write)


async def community_redemptions(
    deps: Deps,
    actor: Actor,
    *,
    community_id: ObjectId,
    status: RedemptionStatus | None,
    first: int | None,
    after: str | None,
) -> Page[Redemption] | None:
    """A community's redemptions, newest first (staff; None for anyone else)."""
    community = await places.get_place(deps, community_id)
    if (
        community is None
        or community.level is not PlaceLevel.COMMUNITY
        or not is_staff(actor, community.path)
    ):
        return None
    query: Document = {"community_id": community.id}
    if status is not None:
        query["status"] = status.value
    return await repository.redemptions_page(deps.db, query, first=first, after=after)


async def my_redemptions(
    deps: Deps, actor: Actor, *, first: int | None, after: str | None
) -> Page[Redemption]:
    """The viewer's own redemptions, newest first (with their pickup codes)."""
    return await repository.redemptions_page(
        deps.db, {"user_id": actor.user_id}, first=first, after=after
    )
