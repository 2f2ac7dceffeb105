"""The personal-data access log: each full phone number shown to someone other than its owner."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId

from neighbor_api.core.models import StoredModel
from neighbor_api.core.policy import PhoneNeed


class PhoneReveal(StoredModel):
    """Who saw whose full phone number, why (through which report or membership) and when."""

    viewer_id: ObjectId
    subject_id: ObjectId  # whose number
    reason: PhoneNeed
    object_id: ObjectId  # the report or membership it was shown through
    community_id: ObjectId | None = None
    # The community's place path: the admins of any place on it read the entry.
    place_path: list[ObjectId]
    at: datetime
