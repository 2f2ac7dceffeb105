"""Each community's council with proposals in every stage (the votes of the open and closed
ones as the roll, electors and tally shards the services write), and its task board with cards
in every column (the approved ones with their points ledger entries)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bson import ObjectId

from bench.people import Community
from bench.sink import Sink
from neighbor_api.boards.models import Submission
from neighbor_api.boards.ranks import spread
from neighbor_api.boards.service import DEFAULT_COLUMNS
from neighbor_api.core.mongo import Document
from neighbor_api.councils.models import Proposal
from neighbor_api.councils.repository import TALLY_SHARDS
from neighbor_api.councils.service import decide, results_of
from neighbor_api.points.repository import TASK_APPROVED

# (status, ballot, electorate, share of the electorate that has voted)
PROPOSALS = (
    ("CLOSED", "OPEN", "COUNCIL_MEMBERS", 0.9),
    ("CLOSED", "SECRET", "RESIDENTS", 0.6),
    ("VOTING", "SECRET", "RESIDENTS", 0.35),
    ("VOTING", "OPEN", "RESIDENTS", 0.35),
    ("DELIBERATION", "SECRET", "RESIDENTS", 0.0),
    ("WITHDRAWN", "OPEN", "RESIDENTS", 0.0),
)
TOPICS = ("关于增设电动自行车集中充电桩的议案", "关于小区公共收益使用方案的议案",
          "关于改造社区老年活动中心的议案", "关于调整垃圾分类投放时间的议案",
          "关于加装电梯费用分摊的议案", "关于增设儿童游乐设施的议案")  # fmt: skip
# Residents the generator never lets vote: the load generator's voters (`castVote`).
UNVOTED_RESIDENTS = 20
# Cards per column kind on each board.
CARDS = {"TODO": 10, "DOING": 6, "REVIEW": 3, "DONE": 5}
STATUS_OF = {"TODO": "OPEN", "DOING": "IN_PROGRESS", "REVIEW": "IN_REVIEW", "DONE": "DONE"}
TASKS = ("清理楼道杂物", "陪伴独居老人", "绿化带补种", "协助垃圾分类督导", "社区图书角整理",
         "维修单车棚", "防汛沙袋搬运", "小区消防巡查")  # fmt: skip


async def councils(
    sink: Sink, rng: random.Random, communities: list[Community], *, now: datetime
) -> None:
    for community in communities:
        members = community.council_members
        council_id = ObjectId()
        roles = ["CHAIR", "SECRETARY", *["MEMBER"] * len(members)]
        since = now - timedelta(days=200)
        await sink.add("councils", {
            "_id": council_id, "community_id": community.id, "place_path": community.path,
            "name": f"{community.name}居民议事会", "kind": "COMMUNITY_COUNCIL",
            "members": [{"user_id": u, "role": r, "since": since}
                        for u, r in zip(members, roles, strict=False)],
            "created_at": since,
        })  # fmt: skip
        for number, spec in enumerate(PROPOSALS):
            await _proposal(sink, rng, community, council_id, number, spec, now=now)


async def _proposal(
    sink: Sink,
    rng: random.Random,
    community: Community,
    council_id: ObjectId,
    number: int,
    spec: tuple[str, str, str, float],
    *,
    now: datetime,
) -> None:
    status, ballot, electorate, turnout = spec
    created = now - timedelta(days=(len(PROPOSALS) - number) * 20 + rng.uniform(0, 10))
    voting = status in ("VOTING", "CLOSED")
    opens = created + timedelta(days=7) if voting else None
    closes = (opens + timedelta(days=7) if status == "CLOSED" else now + timedelta(days=30)) \
        if opens else None  # fmt: skip
    options = [{"id": ObjectId(), "label": None, "key": key} for key in ("yes", "no", "abstain")]
    voters = community.council_members if electorate == "COUNCIL_MEMBERS" else community.residents
    doc: Document = {
        "_id": ObjectId(), "council_id": council_id, "community_id": community.id,
        "place_path": community.path, "author_id": community.worker,
        "title": TOPICS[number % len(TOPICS)],
        "body": "经居民代表提议，现提交议事会讨论并表决，请大家充分发表意见。",
        "status": status, "ballot": ballot, "electorate": electorate,
        "method": "YES_NO_ABSTAIN", "matter": "ORDINARY", "options": options, "max_choices": 1,
        "quorum_percent": 50.0, "pass_threshold_percent": 50.0, "voting_opens_at": opens,
        "voting_closes_at": closes, "eligible_count": len(voters) if voting else None,
        "eligible_area_centi": 0 if voting else None, "closed_at": None, "outcome": None,
        "quorum_reached": None, "voted_count": None, "voted_area_centi": None, "results": None,
        "comment_count": 0, "idempotency": None, "created_at": created,
        "updated_at": opens or created,
    }  # fmt: skip
    if not voting:
        await sink.add("proposals", doc)
        return
    assert opens is not None
    assert closes is not None
    shards: list[dict[str, int]] = [{} for _ in range(TALLY_SHARDS)]
    for position, user_id in enumerate(voters):
        await sink.add("electors", {"_id": ObjectId(), "proposal_id": doc["_id"],
                                    "voter_key": f"user:{user_id}", "user_ids": [user_id],
                                    "area_centi": 0})  # fmt: skip
        may_vote = electorate == "COUNCIL_MEMBERS" or position >= UNVOTED_RESIDENTS
        if not may_vote or rng.random() >= turnout:
            continue
        choice = str(rng.choices(options, weights=(6, 3, 1))[0]["id"])
        shard = shards[rng.randrange(TALLY_SHARDS)]
        shard[choice] = shard.get(choice, 0) + 1
        await sink.add("participations", {
            "_id": ObjectId(), "proposal_id": doc["_id"], "voter_key": f"user:{user_id}",
            "user_id": user_id, "area_centi": 0,
            "cast_at": opens + (min(closes, now) - opens) * rng.random(),
            "choice_ids": [ObjectId(choice)] if ballot == "OPEN" else None, "idempotency": None,
        })  # fmt: skip
    for index, counts in enumerate(shards):
        await sink.add("tallies", {
            "_id": f"{doc['_id']}:{index}", "proposal_id": doc["_id"],
            "open": status == "VOTING", "counts": counts, "areas": {},
            "voters": sum(counts.values()),
        })  # fmt: skip
    if status == "CLOSED":
        totals: dict[str, dict[str, int]] = {"counts": {}, "areas": {}}
        for counts in shards:
            for option, count in counts.items():
                totals["counts"][option] = totals["counts"].get(option, 0) + count
        voted = sum(totals["counts"].values())
        proposal = Proposal.model_validate(doc)
        results = results_of(proposal, totals)
        decision = decide(proposal, results, voted=voted, voted_area=0)
        doc |= {
            "closed_at": closes, "outcome": decision.outcome.value,
            "quorum_reached": decision.quorum_reached, "voted_count": voted,
            "voted_area_centi": 0, "results": [r.model_dump() for r in results],
            "updated_at": closes,
        }  # fmt: skip
    await sink.add("proposals", doc)


async def boards(
    sink: Sink, rng: random.Random, communities: list[Community], *, now: datetime
) -> None:
    for community in communities:
        board_id, opened = ObjectId(), now - timedelta(days=180)
        columns: list[Document] = [
            {"id": ObjectId(), "name": name, "kind": kind.value, "wip_limit": None}
            for name, kind in DEFAULT_COLUMNS
        ]
        await sink.add("boards", {
            "_id": board_id, "community_id": community.id, "place_path": community.path,
            "name": f"{community.name}微治理任务看板", "columns": columns,
            "created_by": community.worker, "created_at": opened,
        })  # fmt: skip
        by_kind = {column["kind"]: column["id"] for column in columns}
        for column in columns:
            for rank in spread(CARDS[column["kind"]]):
                await _task(sink, rng, community, board_id, by_kind, column, rank, now=now)


async def _task(
    sink: Sink,
    rng: random.Random,
    community: Community,
    board_id: ObjectId,
    by_kind: dict[str, ObjectId],
    column: Document,
    rank: str,
    *,
    now: datetime,
) -> None:
    kind, worker = column["kind"], community.worker
    created = now - timedelta(days=rng.uniform(1, 60))
    capacity = rng.choice((1, 1, 2, 3, 5))
    reward = rng.choice((10, 20, 30, 50, 100))
    history = [{"at": created, "action": "CREATED", "actor_id": worker, "from_column_id": None,
                "to_column_id": by_kind["TODO"], "note": None}]  # fmt: skip
    assignees: list[ObjectId] = []
    submission: Document | None = None
    approved = None
    at = created
    steps = {"TODO": (), "DOING": ("CLAIMED",), "REVIEW": ("CLAIMED", "SUBMITTED"),
             "DONE": ("CLAIMED", "SUBMITTED", "APPROVED")}[kind]  # fmt: skip
    # Each step's move: (from the column of this kind, to the column of that kind).
    moves = {"CLAIMED": ("TODO", "DOING"), "SUBMITTED": ("DOING", "REVIEW"),
             "APPROVED": ("REVIEW", "DONE")}  # fmt: skip
    for step in steps:
        at += timedelta(hours=rng.uniform(1, 20))
        actor = worker if step == "APPROVED" else None
        if step == "CLAIMED":
            assignees = rng.sample(community.residents, rng.randint(1, capacity))
        actor = actor or assignees[0]
        if step == "SUBMITTED":
            submission = Submission(note="已完成，请验收", submitted_at=at,
                                    submitted_by=assignees[0]).model_dump()  # fmt: skip
        if step == "APPROVED":
            approved = at
        history.append({"at": at, "action": step, "actor_id": actor,
                        "from_column_id": by_kind[moves[step][0]],
                        "to_column_id": by_kind[moves[step][1]],
                        "note": None})  # fmt: skip
    task_id = ObjectId()
    await sink.add("tasks", {
        "_id": task_id, "board_id": board_id, "column_id": column["id"],
        "title": rng.choice(TASKS), "community_id": community.id,
        "place_path": community.path, "rank": rank,
        "description": "欢迎邻居们认领，一起把社区变得更好。",
        "status": STATUS_OF[kind], "point_reward": reward, "capacity": capacity,
        "due_at": created + timedelta(days=14),
        "labels": rng.sample(["环境", "助老", "安全", "文化"], 1),
        "assignees": assignees, "creator_id": worker, "source_report_id": None,
        "source_proposal_id": None, "version": len(history), "submission": submission,
        "submissions": [submission] if submission else [],
        "history": history, "idempotency": None, "approved_at": approved,
        "created_at": created, "updated_at": at,
    })  # fmt: skip
    if approved is not None:
        for user_id in assignees:
            await sink.add("points_ledger", {
                "_id": ObjectId(), "user_id": user_id, "community_id": community.id,
                "place_path": community.path, "points": reward, "task_id": task_id,
                "reason": TASK_APPROVED, "at": approved,
            })  # fmt: skip
