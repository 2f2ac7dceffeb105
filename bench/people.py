"""The city's places (厦门市, its six districts, their streets, the communities and grids) and
its people: accounts with one known password, and their memberships, as the services store them.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bson import ObjectId

from bench.sink import Sink
from neighbor_api.core.mongo import Document
from neighbor_api.core.policy import Role
from neighbor_api.settings import Settings

# Real districts and streets (街道, 镇) of Xiamen, with each district's centre (lat, lng).
DISTRICTS: tuple[tuple[str, str, float, float, tuple[str, ...]], ...] = (
    ("思明区", "SM", 24.4453, 118.0823,
     ("中华街道", "鹭江街道", "开元街道", "梧村街道", "筼筜街道", "莲前街道", "嘉莲街道",
      "滨海街道", "厦港街道", "鼓浪屿街道")),
    ("湖里区", "HL", 24.5126, 118.1465,
     ("湖里街道", "殿前街道", "禾山街道", "江头街道", "金山街道")),
    ("集美区", "JM", 24.5758, 118.0971,
     ("集美街道", "侨英街道", "杏林街道", "杏滨街道", "灌口镇", "后溪镇")),
    ("海沧区", "HC", 24.4846, 117.9863, ("海沧街道", "新阳街道", "嵩屿街道", "东孚街道")),
    ("同安区", "TA", 24.7229, 118.1520,
     ("大同街道", "祥平街道", "西柯街道", "新民镇", "洪塘镇", "五显镇")),
    ("翔安区", "XA", 24.6186, 118.2478,
     ("新店街道", "香山街道", "金海街道", "马巷街道", "内厝镇", "大嶝街道")),
)  # fmt: skip
NAME_FIRST = "金安山海湖景莲华福兴和平瑞祥康泰嘉禾滨江东西南北新前后文明东方龙凤仙岳"
NAME_SECOND = "安山湖园里坊溪林桥苑阳景光明福盛丰霞亭屿塘美城"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华志建国栋美晓燕文彬丹玲海峰宇轩"
# Staff of each community: its first accounts (the load generator signs in as them).
WORKER, GRID_WORKERS, COUNCIL_MEMBERS = 0, (1, 2), range(3, 10)
# Residents sharing a flat: a household per two consecutive residents.
HOUSEHOLD_SIZE = 2
# Every generated person accepted the privacy policy in force (else mutations are refused).
POLICY_VERSION: str = Settings.model_fields["privacy_policy_version"].default


@dataclass
class Community:
    id: ObjectId
    name: str
    code: str
    path: list[ObjectId]
    lat: float
    lng: float
    grids: list[ObjectId]
    users: list[ObjectId] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)

    @property
    def worker(self) -> ObjectId:
        return self.users[WORKER]

    @property
    def grid_workers(self) -> list[ObjectId]:
        return [self.users[i] for i in GRID_WORKERS]

    @property
    def residents(self) -> list[ObjectId]:
        return self.users[GRID_WORKERS[-1] + 1 :]

    @property
    def council_members(self) -> list[ObjectId]:
        return [self.users[i] for i in COUNCIL_MEMBERS if i < len(self.users)]


def phone_of(index: int) -> str:
    """The login phone of generated account `index` (stored in E.164 with +86)."""
    return f"139{index:08d}"


def _place(name: str, level: str, parent: ObjectId | None, path: list[ObjectId], *,
           lat: float | None, lng: float | None, code: str | None,
           boundary: Document | None = None) -> Document:  # fmt: skip
    place_id = path[-1]
    return {
        "_id": place_id, "name": name, "level": level, "parent_id": parent, "path": path,
        "location": None if lat is None or lng is None
        else {"type": "Point", "coordinates": (lng, lat)},
        "boundary": boundary, "code": code,
    }  # fmt: skip


# A community's field: the square of ±FIELD_DEGREES around its centre, which holds every
# report generated for it (`reports.py`: ±0.004°); its grids split it into strips west to east.
FIELD_DEGREES = 0.0045


def _rectangle(west: float, south: float, east: float, north: float) -> Document:
    """A GeoJSON polygon (as `GeoPolygon` stores it: one closed ring, counter-clockwise)."""
    ring = ((west, south), (east, south), (east, north), (west, north), (west, south))
    return {"type": "Polygon", "coordinates": (ring,)}


def _field(lat: float, lng: float, strip: int = 0, strips: int = 1) -> Document:
    """The community's field, or the `strip`-th of its `strips` grids' strips."""
    width = 2 * FIELD_DEGREES / strips
    west = lng - FIELD_DEGREES + strip * width
    return _rectangle(west, lat - FIELD_DEGREES, west + width, lat + FIELD_DEGREES)


async def places(sink: Sink, rng: random.Random, count: int) -> list[Community]:
    """The city, its districts and streets, and `count` communities spread over the streets,
    each with its field as boundary and two or three grids splitting it (a submitted report
    is routed to its grid, whose workers are told, as in a real community)."""
    city = ObjectId()
    await sink.add("places", _place("厦门市", "CITY", None, [city], lat=24.4798, lng=118.0894,
                                    code="XM"))  # fmt: skip
    streets: list[tuple[list[ObjectId], float, float]] = []
    for name, code, lat, lng, street_names in DISTRICTS:
        district = ObjectId()
        await sink.add("places", _place(name, "DISTRICT", city, [city, district], lat=lat,
                                        lng=lng, code=code))  # fmt: skip
        for number, street_name in enumerate(street_names, 1):
            street = ObjectId()
            s_lat, s_lng = lat + rng.uniform(-0.03, 0.03), lng + rng.uniform(-0.03, 0.03)
            path = [city, district, street]
            await sink.add("places", _place(street_name, "STREET", district, path, lat=s_lat,
                                            lng=s_lng, code=f"{code}{number:02d}"))  # fmt: skip
            streets.append((path, s_lat, s_lng))
    names = ["".join(pair) for pair in itertools.product(NAME_FIRST, NAME_SECOND)]
    rng.shuffle(names)
    communities = []
    for index in range(count):
        street_path, s_lat, s_lng = streets[index % len(streets)]
        community = ObjectId()
        path = [*street_path, community]
        name = f"{names[index % len(names)]}社区"
        lat, lng = s_lat + rng.uniform(-0.01, 0.01), s_lng + rng.uniform(-0.01, 0.01)
        code = f"C{index:03d}"
        await sink.add("places", _place(name, "COMMUNITY", street_path[-1], path, lat=lat,
                                        lng=lng, code=code, boundary=_field(lat, lng)))  # fmt: skip
        grids = []
        strips = rng.choice((2, 3))
        for number in range(1, strips + 1):
            grid = ObjectId()
            grids.append(grid)
            strip = _field(lat, lng, number - 1, strips)
            await sink.add("places", _place(f"{name}第{'一二三'[number - 1]}网格", "GRID",
                                            community, [*path, grid], lat=None, lng=None,
                                            code=f"{code}-{number}", boundary=strip))  # fmt: skip
        communities.append(Community(community, name, code, path, lat, lng, grids))
    return communities


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


async def people(
    sink: Sink,
    rng: random.Random,
    communities: list[Community],
    *,
    users: int,
    password_hash: str,
    now: datetime,
) -> None:
    """`users` accounts spread evenly over the communities, each an active member of one: a
    community worker, two grid workers, the rest residents (the first seven also council
    members), two residents to a household, the first of each an owner in most flats."""
    per_community = max(users // len(communities), GRID_WORKERS[-1] + 2)
    index = 0
    for community in communities:
        for position in range(per_community):
            user_id, joined = ObjectId(), now - timedelta(days=rng.uniform(30, 900))
            phone = phone_of(index)
            index += 1
            community.users.append(user_id)
            community.phones.append(phone)
            await sink.add("users", {
                "_id": user_id, "phone": f"+86{phone}", "password_hash": password_hash,
                "display_name": _name(rng), "locale": "zh-CN", "created_at": joined,
                "deletion_requested_at": None, "erased_at": None, "show_on_leaderboard": True,
                "consents": [{"policy_version": POLICY_VERSION, "accepted_at": joined}],
            })  # fmt: skip
            await sink.add("memberships", _membership(rng, community, position, user_id, joined))


def _membership(
    rng: random.Random, community: Community, position: int, user_id: ObjectId, joined: datetime
) -> Document:
    grid_id: ObjectId | None = None
    address = household = area = None
    if position == WORKER:
        roles = [Role.COMMUNITY_WORKER]
    elif position in GRID_WORKERS:
        roles = [Role.GRID_WORKER]
        grid_id = community.grids[(position - 1) % len(community.grids)]
    else:
        roles = [Role.RESIDENT, *([Role.COUNCIL_MEMBER] if position in COUNCIL_MEMBERS else [])]
        flat = (position - GRID_WORKERS[-1] - 1) // HOUSEHOLD_SIZE
        building, room = flat // 24 + 1, (flat % 24 // 4 + 1) * 100 + flat % 4 + 1
        address = f"{community.name.removesuffix('社区')}里 {building} 栋 {room} 室"
        household = f"{community.code}-{building}-{room}"
        first_of_flat = (position - GRID_WORKERS[-1] - 1) % HOUSEHOLD_SIZE == 0
        if first_of_flat and rng.random() < 0.7:
            area = round(rng.uniform(55, 140) * 2) / 2
    return {
        "_id": ObjectId(), "user_id": user_id, "place_id": community.id,
        "place_path": community.path, "community_id": community.id, "grid_id": grid_id,
        "status": "ACTIVE", "roles": [r.value for r in roles], "address": address,
        "household_code": household, "household_confirmed": household is not None,
        "building_id": None, "left_at": None,
        "owned_floor_area": area, "open": True, "reason": None,
        "created_at": joined, "decided_at": joined + timedelta(hours=rng.uniform(1, 48)),
        "decided_by": None if position == WORKER else community.users[WORKER],
    }  # fmt: skip
