"""Who a partner system is when it files a report."""

from __future__ import annotations

from neighbor_api.core.policy import Actor, Grant, Role
from neighbor_api.open311.models import ApiKey
from neighbor_api.places.models import Place


def partner_actor(key: ApiKey, community: Place) -> Actor:
    """A partner files as its system account would if it were a resident of the community the
    point falls in: the report is the partner's (named on its timeline), goes to that
    community's staff like any other, and the partner gains no other right anywhere."""
    return Actor(user_id=key.user_id, grants=(Grant(community.id, frozenset({Role.RESIDENT})),))
