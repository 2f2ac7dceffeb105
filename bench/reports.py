"""Resident reports over the past year, each taken through the steps its status implies (with
the timeline, priorities, due times, assignees, ratings the services would have written), a
few endorsements and comments, and the number counters the next submit continues from."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from bson import ObjectId

from bench.people import Community
from bench.sink import Sink
from neighbor_api.core.mongo import Document
from neighbor_api.reports.models import NO_DUE_DATE, SLA, Report, ReportPriority, ReportVisibility
from neighbor_api.reports.repository import month_key, totals_id

CATEGORIES: dict[str, tuple[int, tuple[str, ...]]] = {
    "REPAIR": (25, ("楼道灯不亮", "单元门禁损坏", "电梯异响", "水管漏水", "路面破损")),
    "ENVIRONMENT": (20, ("垃圾桶满溢", "绿化带杂草丛生", "楼下有积水", "小区河道有异味")),
    "SAFETY_HAZARD": (8, ("电动车楼道充电", "消防通道被占用", "高空坠物隐患", "井盖松动")),
    "TRAFFIC": (10, ("路口红绿灯故障", "共享单车乱停放", "人行道被占用")),
    "NEIGHBOR_DISPUTE": (7, ("楼上噪音扰民", "邻居占用公共走廊", "宠物扰民")),
    "PROPERTY_MANAGEMENT": (15, ("物业费公示不清", "小区保安脱岗", "停车位管理混乱")),
    "PUBLIC_ORDER": (8, ("夜间广场舞噪音", "流动摊贩占道", "小区内有人乱发广告")),
    "OTHER": (7, ("建议增设休息座椅", "建议增加快递柜", "社区活动室开放时间")),
}
# Recent reports are mostly still being handled; older ones mostly closed.
RECENT = timedelta(days=7)
RECENT_STATUSES = {"SUBMITTED": 30, "ACCEPTED": 15, "ASSIGNED": 20, "IN_PROGRESS": 20,
                   "RESOLVED": 10, "REJECTED": 5}  # fmt: skip
OLDER_STATUSES = {"SUBMITTED": 2, "ACCEPTED": 3, "ASSIGNED": 5, "IN_PROGRESS": 5,
                  "CLOSED": 77, "REJECTED": 8}  # fmt: skip
PRIORITIES = {"LOW": 15, "NORMAL": 60, "HIGH": 20, "URGENT": 5}
# The steps, in order, that lead to each status.
STEPS = ("ACCEPTED", "ASSIGNED", "STARTED", "RESOLVED", "CLOSED")
REACHED = {"SUBMITTED": 0, "ACCEPTED": 1, "ASSIGNED": 2, "IN_PROGRESS": 3, "RESOLVED": 4,
           "CLOSED": 5}  # fmt: skip
STATUS_AFTER = {"ACCEPTED": "ACCEPTED", "ASSIGNED": "ASSIGNED", "STARTED": "IN_PROGRESS",
                "RESOLVED": "RESOLVED", "CLOSED": "CLOSED"}  # fmt: skip
# Hours each step takes after the one before (lower, upper).
STEP_HOURS = {"ACCEPTED": (0.5, 12), "ASSIGNED": (0.1, 4), "STARTED": (0.5, 24),
              "RESOLVED": (2, 72), "CLOSED": (1, 96), "REJECTED": (1, 24)}  # fmt: skip


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _entry(at: datetime, action: str, before: str | None, after: str | None,
           actor: ObjectId | None, note: str | None = None, rating: int | None = None,
           ) -> Document:  # fmt: skip
    return {"at": at, "action": action, "from_status": before, "to_status": after, "note": note,
            "actor_id": actor, "rating": rating}  # fmt: skip


def report(
    rng: random.Random, community: Community, *, created: datetime, number: str, now: datetime
) -> Document:
    category = _pick(rng, {c: w for c, (w, _) in CATEGORIES.items()})
    title = rng.choice(CATEGORIES[category][1])
    private = category == "NEIGHBOR_DISPUTE" or rng.random() < 0.05
    reporter = rng.choice(community.residents)
    entered_by = rng.choice(community.grid_workers) if rng.random() < 0.03 else None
    recent = now - created < RECENT
    target = _pick(rng, RECENT_STATUSES if recent else OLDER_STATUSES)
    worker, assignee = community.worker, rng.choice(community.grid_workers)
    steps = ["REJECTED"] if target == "REJECTED" else list(STEPS[: REACHED[target]])
    offsets, hours = [], 0.0
    for step in steps:
        hours += rng.uniform(*STEP_HOURS[step])
        offsets.append(hours)
    room = (now - created).total_seconds() / 3600 * 0.95
    scale = min(1.0, room / hours) if hours else 1.0
    doc: Document = {
        "status": "SUBMITTED", "priority": None, "accepted_at": None, "due_at": None,
        "due_key": NO_DUE_DATE, "assignee_id": None, "resolved_at": None,
        "resolution_note": None, "resolution_photo_ids": [], "closed_at": None,
        "rejection_reason": None, "satisfaction": None, "ratings": [], "rated_resolution": False,
    }  # fmt: skip
    timeline = [_entry(created, "SUBMITTED", None, "SUBMITTED", entered_by or reporter)]
    at = created
    for step, offset in zip(steps, offsets, strict=True):
        at = created + timedelta(hours=offset * scale)
        before, actor, note = doc["status"], worker, None
        if step == "ACCEPTED":
            priority = _pick(rng, PRIORITIES)
            due = at + SLA[ReportPriority(priority)]
            doc |= {"priority": priority, "accepted_at": at, "due_at": due, "due_key": due}
        elif step == "ASSIGNED":
            doc["assignee_id"] = assignee
        elif step == "STARTED":
            actor = assignee
        elif step == "RESOLVED":
            actor, note = assignee, "已处理完毕，请查看"
            doc |= {"resolved_at": at, "resolution_note": note, "due_key": NO_DUE_DATE}
        elif step == "REJECTED":
            note = "不属于社区受理范围，已告知居民"
            doc |= {"status": "REJECTED", "rejection_reason": note, "closed_at": at,
                    "due_key": NO_DUE_DATE}  # fmt: skip
            timeline.append(_entry(at, "REJECTED", before, "REJECTED", actor, note))
            continue
        else:  # CLOSED: the reporter rates 3-5 (the job would close the unrated ones)
            rating = rng.choice((3, 4, 4, 5, 5, 5))
            satisfaction = {"rating": rating, "comment": None, "rated_at": at}
            doc |= {"satisfaction": satisfaction, "ratings": [satisfaction],
                    "rated_resolution": True, "closed_at": at, "status": "CLOSED"}  # fmt: skip
            timeline.append(_entry(at, "RATED", before, "CLOSED", reporter, None, rating))
            continue
        doc["status"] = STATUS_AFTER[step]
        timeline.append(_entry(at, step, before, doc["status"], actor, note))
    lat = community.lat + rng.uniform(-0.004, 0.004)
    lng = community.lng + rng.uniform(-0.004, 0.004)
    escalated = doc["status"] in RECENT_STATUSES and doc["status"] not in (
        "RESOLVED", "REJECTED") and rng.random() < 0.03  # fmt: skip
    if escalated:
        at = max(at, created + timedelta(minutes=30))
        timeline.append(_entry(at, "ESCALATED", doc["status"], doc["status"], worker,
                               "需街道协调处理"))  # fmt: skip
    return doc | {
        "_id": ObjectId(), "number": number, "community_id": community.id,
        "place_path": community.path, "grid_id": rng.choice(community.grids),
        "reporter_id": reporter, "entered_by_id": entered_by, "category": category,
        "title": title, "description": f"{title}，已经有一段时间了，希望社区尽快处理。",
        "location": {"type": "Point", "coordinates": (lng, lat)},
        "address": f"{community.name}{rng.randint(1, 30)} 号楼附近", "photo_ids": [],
        "anonymous": rng.random() < 0.08, "visibility": "PRIVATE" if private else "COMMUNITY",
        "escalation_level": "STREET" if escalated else "COMMUNITY",
        "escalated_to": [community.path[2]] if escalated else [],
        "endorsement_count": 0, "comment_count": 0, "follower_count": 0,
        "linked_task_count": 0, "timeline": timeline,
        "idempotency": None,
        "created_at": created, "updated_at": at,
    }  # fmt: skip


async def reports(
    sink: Sink, rng: random.Random, communities: list[Community], *, total: int, now: datetime
) -> None:
    """`total` reports spread evenly over the communities and the past year; about one in ten
    endorsed by a neighbour or two, one in twelve with comments."""
    for index, community in enumerate(communities):
        count = total // len(communities) + (index < total % len(communities))
        times = sorted(now - timedelta(days=rng.uniform(0, 365) ** 1.5 / 365**0.5)
                       for _ in range(count))  # fmt: skip
        sequences: dict[int, int] = {}
        # The community's totals, as every report write keeps them (repository.totals_id).
        every: Counter[str] = Counter()
        members: Counter[str] = Counter()
        months: Counter[str] = Counter()
        for created in times:
            sequence = sequences[created.year] = sequences.get(created.year, 0) + 1
            number = f"{community.code}-{created.year}-{sequence:06d}"
            doc = report(rng, community, created=created, number=number, now=now)
            if rng.random() < 0.1:
                endorsers = rng.sample(community.residents, rng.randint(1, 3))
                doc["endorsement_count"] = len(endorsers)
                for user_id in endorsers:
                    await sink.add("report_endorsements", {
                        "_id": ObjectId(), "report_id": doc["_id"], "user_id": user_id,
                        "created_at": created + timedelta(hours=rng.uniform(0.1, 48)),
                    })  # fmt: skip
            if rng.random() < 0.08:
                doc["comment_count"] = rng.randint(1, 2)
                for _ in range(doc["comment_count"]):
                    await sink.add("report_comments", {
                        "_id": ObjectId(), "report_id": doc["_id"],
                        "author_id": rng.choice([community.worker, *community.residents[:20]]),
                        "body": rng.choice(("我也遇到了", "已联系物业", "谢谢社区，处理得很及时")),
                        "created_at": created + timedelta(hours=rng.uniform(0.1, 72)),
                        "idempotency": None,
                    })  # fmt: skip
            # Stored as the repository stores it: with the model's derived fields (who may see
            # it, its map cells; `live_cell` only while open).
            model = Report.model_validate(doc)
            await sink.add("reports", model.to_document())
            every[model.status.value] += 1
            if model.visibility is ReportVisibility.COMMUNITY:
                members[model.status.value] += 1
            months[month_key(model.created_at)] += 1
        if times:
            await sink.add("report_rollups", {
                "_id": totals_id(community.id), "all": dict(every), "members": dict(members),
                "since": times[0], "months": dict(months),
            })  # fmt: skip
        for year, value in sequences.items():
            await sink.add("counters", {"_id": f"report:{community.id}:{year}", "value": value})
