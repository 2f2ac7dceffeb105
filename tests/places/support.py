"""Helpers shared by the places and memberships tests: demo ids, accounts and documents.

Global ids are opaque: every id here comes from a query result, never from parsing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from graphql import ExecutionResult

from neighbor_api.core.deps import Deps
from tests.conftest import Api

# Demo accounts (neighbor_api/fixtures/demo.json).
JINAN_WORKER = "13800000001"  # 林美华, community worker of 金安社区
JINAN_GRID_WORKER = "13800000002"  # 陈志强, grid worker of 金安社区第一网格
JINAN_CHAIR = "13800000003"  # 黄国栋, resident and council member of 金安社区
JINAN_RESIDENT = "13800000004"  # 王丽娟, resident of 金安社区, household A
JINAN_NEIGHBOUR = "13800000006"  # 李秀英, resident of 金安社区, household B
JINSHAN_WORKER = "13800000010"  # 郑晓燕, community worker of 金山社区
JINSHAN_RESIDENT = "13800000011"  # 吴建华, resident of 金山社区
HULI_ADMIN = "13800000099"  # 蔡文彬, admin of 湖里区

# 金山社区's own location; 金安社区 is about a kilometre north-east of it.
AT_JINSHAN = {"lat": 24.5029, "lng": 118.1771}

PASSWORD = "xiamen-huli-2026"

# A user or membership as seen by node(id:), with the fields the permission rules guard.
NODE_DETAILS = """
query NodeDetails($id: ID!) {
  node(id: $id) {
    __typename
    ... on User { id displayName phone memberships { id status } }
    ... on Membership { id status address ownedFloorArea reason user { id displayName } }
  }
}
"""


@dataclass
class DemoPlaces:
    """Global ids of the demo street's places, by name."""

    ids: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


async def demo_places(api: Api) -> DemoPlaces:
    """Every demo place's id, found the way a client would: nearby communities, then up/down."""
    data = await api.data("NearbyCommunities", {"near": AT_JINSHAN, "first": 10})
    ids: dict[str, str] = {}
    for edge in data["communities"]["edges"]:
        community = (await api.data("Community", {"id": edge["node"]["id"]}))["community"]
        ids[community["name"]] = community["id"]
        for level in ("street", "district", "city"):
            ids[community[level]["name"]] = community[level]["id"]
        for grid in community["grids"]:
            ids[grid["name"]] = grid["id"]
    return DemoPlaces(ids)


@dataclass
class Person:
    """A signed-in user: their token, global id and memberships as their viewer shows them."""

    token: str
    id: str
    display_name: str
    memberships: list[dict[str, Any]]

    @property
    def membership_id(self) -> str:
        (membership,) = self.memberships
        return str(membership["id"])


async def viewer(api: Api, token: str) -> Person:
    data = (await api.data("Viewer", token=token))["viewer"]
    return Person(token, data["id"], data["displayName"], data["memberships"])


async def sign_in(api: Api, phone: str) -> Person:
    return await viewer(api, await api.login(phone))


async def register(api: Api, phone: str, name: str) -> Person:
    payload = await api.register(phone, PASSWORD, name)
    assert payload["errors"] == [], payload
    return await viewer(api, payload["accessToken"])


async def join(
    api: Api, person: Person, community_id: str, address: str, household: str | None = None
) -> dict[str, Any]:
    """joinCommunity's payload."""
    data = await api.data(
        "JoinCommunity",
        {"input": {"communityId": community_id, "address": address, "householdCode": household}},
        token=person.token,
    )
    payload: dict[str, Any] = data["joinCommunity"]
    return payload


async def decide(api: Api, token: str, membership_id: str, **fields: Any) -> dict[str, Any]:
    """decideMembership's payload."""
    data = await api.data(
        "DecideMembership", {"input": {"membershipId": membership_id, **fields}}, token=token
    )
    payload: dict[str, Any] = data["decideMembership"]
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    """The codes of a mutation payload's `errors`."""
    return [error["code"] for error in payload["errors"]]


def error_codes(result: ExecutionResult) -> list[str | None]:
    """The `extensions.code` of each GraphQL error of a result."""
    return [(error.extensions or {}).get("code") for error in result.errors or []]


async def user_object_id(deps: Deps, phone: str) -> ObjectId:
    """The stored id of the user with a mainland `phone` (for counting their documents)."""
    user = await deps.db["users"].find_one({"phone": f"+86{phone}"})
    assert user is not None
    object_id: ObjectId = user["_id"]
    return object_id
