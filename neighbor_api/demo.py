"""The demo street of `neighbor_api/fixtures/demo.json` (package data), loaded through the same
services the API uses."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any

from bson import ObjectId

from neighbor_api.accounts import repository as accounts_repository
from neighbor_api.accounts import service as accounts
from neighbor_api.boards import service as boards
from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import SYSTEM, Role
from neighbor_api.councils import service as councils
from neighbor_api.councils.models import Ballot, CouncilKind, CouncilRole, Electorate, VotingMethod
from neighbor_api.memberships import service as memberships
from neighbor_api.patrols import service as patrols
from neighbor_api.places import service as places
from neighbor_api.places.models import GeoPoint, GeoPolygon, Place, PlaceLevel
from neighbor_api.reports import service as reports
from neighbor_api.reports import units
from neighbor_api.reports.models import ReportCategory, ReportPriority
from neighbor_api.rewards import service as rewards

log = logging.getLogger(__name__)

# Package data: read through importlib.resources, so an installed wheel finds it too.
FIXTURES = files("neighbor_api") / "fixtures" / "demo.json"


def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURES.read_text(encoding="utf-8"))
    return data


async def _create_places(
    deps: Deps, node: dict[str, Any], parent: Place | None, into: dict[str, Place]
) -> None:
    location = node.get("location")
    # A boundary is a ring of [lat, lng] points (like a report's "at"), the first repeated last.
    ring = node.get("boundary")
    place = await places.create_place(
        deps,
        SYSTEM,
        name=node["name"],
        level=PlaceLevel(node["level"]),
        parent_id=parent.id if parent else None,
        location=GeoPoint.at(**location) if location else None,
        code=node.get("code"),
        boundary=GeoPolygon.ring([(lng, lat) for lat, lng in ring]) if ring else None,
    )
    into[place.name] = place
    for child in node.get("children", []):
        await _create_places(deps, child, place, into)


async def load_demo(deps: Deps) -> None:
    """Build the demo street: places, accounts, staff appointments, approved residents."""
    data = demo_data()
    by_name: dict[str, Place] = {}
    await _create_places(deps, data["places"], None, by_name)
    users: dict[str, ObjectId] = {}
    for person in data["users"]:
        signed_in = await accounts.register(
            deps, phone=person["phone"], password=data["password"], display_name=person["name"]
        )
        user_id = signed_in.user.id
        users[person["phone"]] = user_id
        if appoint := person.get("appoint"):
            grid = by_name[appoint["grid"]].id if "grid" in appoint else None
            await memberships.appoint(
                deps,
                SYSTEM,
                user_id=user_id,
                place_id=by_name[appoint["place"]].id,
                roles=[Role(r) for r in appoint["roles"]],
                grid_id=grid,
            )
        if join := person.get("join"):
            member = await memberships.actor_for(deps, user_id)
            request = await memberships.join_community(
                deps,
                member,
                community_id=by_name[join["community"]].id,
                address=join["address"],
                household_code=join["household"],
            )
            worker = await memberships.actor_for(deps, users[join["decidedBy"]])
            await memberships.decide_membership(
                deps,
                worker,
                membership_id=request.id,
                approve=True,
                roles=[Role(r) for r in join["roles"]],
                owned_floor_area=join.get("ownedFloorArea"),
                # The community worker checked the household codes of the demo's residents.
                household_confirmed=bool(join.get("household")),
            )
            if building := join.get("building"):
                await memberships.update_membership(
                    deps, worker, membership_id=request.id, building_id=by_name[building].id
                )
    report_ids: dict[str, ObjectId] = {}
    for sample in data.get("reports", []):
        report_ids[sample["title"]] = await _sample_report(
            deps, sample, community=by_name["金安社区"].id, users=users
        )
    await _patrols(deps, data, by_name=by_name, users=users, report_ids=report_ids)
    await _boards(deps, data, by_name=by_name, users=users, report_ids=report_ids)
    await _rewards(deps, data, by_name=by_name, users=users)
    await _councils(deps, data, by_name=by_name, users=users)
    for spec in data.get("units", []):
        # 吹哨报到's departments of the street and the district, with their officers.
        unit = await units.create_unit(
            deps, SYSTEM, place_id=by_name[spec["place"]].id, name=spec["name"]
        )
        for phone in spec["members"]:
            await units.add_unit_member(deps, SYSTEM, unit_id=unit.id, user_id=users[phone])
    log.info("demo data loaded: %d places, %d accounts", len(by_name), len(users))


async def _sample_report(
    deps: Deps, sample: dict[str, Any], *, community: ObjectId, users: dict[str, ObjectId]
) -> ObjectId:
    """Submit one sample report and take it through its steps, as the people would."""
    reporter = users[sample["by"]]
    entered_by = users.get(sample.get("enteredBy", ""))
    submitter = await memberships.actor_for(deps, entered_by or reporter)
    lat, lng = sample["at"]
    submitted = await reports.submit_report(
        deps,
        submitter,
        community_id=community,
        category=ReportCategory(sample["category"]),
        title=sample["title"],
        description=sample["description"],
        location=GeoPoint.at(lat=lat, lng=lng),
        address=sample.get("address"),
        anonymous=sample.get("anonymous", False),
        on_behalf_of_id=reporter if entered_by else None,
    )
    report_id = submitted.report.id
    worker = await memberships.actor_for(deps, users["13800000001"])
    for step in sample["steps"]:
        verb, _, argument = step.partition(":")
        if verb == "accept":
            await reports.accept_report(
                deps, worker, report_id=report_id, priority=ReportPriority(argument)
            )
        elif verb == "assign":
            await reports.assign_report(
                deps, worker, report_id=report_id, assignee_id=users[argument]
            )
        elif verb == "start":
            await reports.start_report(deps, worker, report_id=report_id)
        elif verb == "resolve":
            await reports.resolve_report(deps, worker, report_id=report_id, note=argument)
        elif verb == "reject":
            await reports.reject_report(deps, worker, report_id=report_id, reason=argument)
        elif verb == "escalate":
            await reports.escalate_report(deps, worker, report_id=report_id, reason=argument)
        elif verb == "rate":
            rating, _, comment = argument.partition(":")
            owner = await memberships.actor_for(deps, reporter)
            await reports.rate_report(
                deps, owner, report_id=report_id, rating=int(rating), comment=comment or None
            )
    return report_id


async def _patrols(
    deps: Deps,
    data: dict[str, Any],
    *,
    by_name: dict[str, Place],
    users: dict[str, ObjectId],
    report_ids: dict[str, ObjectId],
) -> None:
    """The grid workers' sample rounds (巡查), logged as the app logs them after each round."""
    for sample in data.get("patrols", []):
        worker = await memberships.actor_for(deps, users[sample["by"]])
        started = deps.clock.now() - timedelta(hours=sample["startedHoursAgo"])
        await patrols.log_patrol(
            deps,
            worker,
            grid_id=by_name[sample["grid"]].id,
            started_at=started,
            ended_at=started + timedelta(minutes=sample["minutes"]),
            track=[(lat, lng) for lat, lng in sample["track"]],
            note=sample.get("note"),
            finding_ids=[report_ids[title] for title in sample.get("findings", [])],
        )


async def _boards(
    deps: Deps,
    data: dict[str, Any],
    *,
    by_name: dict[str, Place],
    users: dict[str, ObjectId],
    report_ids: dict[str, ObjectId],
) -> None:
    """A board per community (the four default columns) and its sample tasks, taken through
    their steps (claim, submit, approve) by the people of the fixtures."""
    for spec in data.get("boards", []):
        worker = await memberships.actor_for(deps, users[spec["by"]])
        board = await boards.create_board(
            deps, worker, community_id=by_name[spec["community"]].id, name=spec["name"]
        )
        for sample in spec.get("tasks", []):
            days = sample.get("dueInDays")
            task = await boards.create_task(
                deps,
                worker,
                boards.NewTask(
                    board_id=board.id,
                    title=sample["title"],
                    description=sample.get("description"),
                    point_reward=sample.get("pointReward"),
                    capacity=sample.get("capacity"),
                    due_at=deps.clock.now() + timedelta(days=days) if days else None,
                    labels=sample.get("labels", []),
                    source_report_id=report_ids.get(sample.get("fromReport", "")),
                    starts_at=_days(deps, sample.get("startsInDays")),
                    meeting_place=sample.get("meetingPlace"),
                ),
            )
            for step in sample.get("steps", []):
                verb, _, rest = step.partition(":")
                phone, _, note = rest.partition(":")
                person = await memberships.actor_for(deps, users[phone])
                if verb == "claim":
                    await boards.claim_task(deps, person, task_id=task.id)
                elif verb == "submit":
                    await boards.submit_task(deps, person, task_id=task.id, note=note or None)
                elif verb == "approve":
                    await boards.approve_task(deps, person, task_id=task.id)


def _days(deps: Deps, days: int | None) -> datetime | None:
    return deps.clock.now() + timedelta(days=days) if days else None


async def _rewards(
    deps: Deps, data: dict[str, Any], *, by_name: dict[str, Place], users: dict[str, ObjectId]
) -> None:
    """Each community's 爱心超市: the rewards of the fixtures, put on offer by its worker."""
    for spec in data.get("rewards", []):
        worker = await memberships.actor_for(deps, users[spec["by"]])
        await rewards.create_reward(
            deps, worker, community_id=by_name[spec["community"]].id,
            fields=rewards.RewardFields(
                name=spec["name"], description=spec.get("description"), cost=spec["cost"],
                stock=spec["stock"],
            ),
        )  # fmt: skip


async def load_demo_if_empty(deps: Deps) -> bool:
    """Load the demo unless the database already has accounts (so a restart keeps its data)."""
    if await accounts_repository.any_user(deps.db):
        return False
    await load_demo(deps)
    return True


async def _councils(
    deps: Deps, data: dict[str, Any], *, by_name: dict[str, Place], users: dict[str, ObjectId]
) -> None:
    """Each community's council (and 金安里's owners' committee), and a proposal under debate."""
    created: dict[str, ObjectId] = {}
    for spec in data.get("councils", []):
        council = await councils.create_council(
            deps,
            SYSTEM,
            community_id=by_name[spec["community"]].id,
            name=spec["name"],
            kind=CouncilKind(spec["kind"]),
        )
        created[council.name] = council.id
        for phone, role in spec["members"]:
            await councils.set_council_member(
                deps, SYSTEM, council_id=council.id, user_id=users[phone], role=CouncilRole(role)
            )
    for spec in data.get("proposals", []):
        author = await memberships.actor_for(deps, users[spec["by"]])
        await councils.create_proposal(
            deps,
            author,
            council_id=created[spec["council"]],
            title=spec["title"],
            body=spec["body"],
            electorate=Electorate(spec["electorate"]),
            ballot=Ballot(spec["ballot"]),
            method=VotingMethod(spec["method"]),
            quorum_percent=spec.get("quorumPercent"),
            pass_threshold_percent=spec.get("passThresholdPercent"),
        )
