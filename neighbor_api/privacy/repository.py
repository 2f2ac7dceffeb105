"""Every MongoDB query of personal data: the access log, and the export's read-only look at
the owners' collections (named by their constants, as stats/ does)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel

from neighbor_api.accounts import repository as accounts
from neighbor_api.attachments import repository as attachments
from neighbor_api.boards import repository as boards
from neighbor_api.core.mongo import Database, Document, register_indexes
from neighbor_api.core.pagination import Page, keyset_page
from neighbor_api.councils import repository as councils
from neighbor_api.memberships import repository as memberships
from neighbor_api.notifications import repository as notifications
from neighbor_api.patrols import repository as patrols
from neighbor_api.points import repository as points
from neighbor_api.privacy.models import PhoneReveal
from neighbor_api.reports import repository as reports
from neighbor_api.rewards import repository as rewards
from neighbor_api.surveys import repository as surveys

REVEALS = "phone_reveals"

register_indexes(
    REVEALS,
    [
        # An admin's log: the entries under their place, newest first.
        IndexModel(
            [("place_path", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)],
            name="place_at",
        ),
        # A person's own: who saw their number (the export).
        IndexModel([("subject_id", ASCENDING), ("at", DESCENDING)], name="subject_at"),
    ],
)


async def insert_reveals(db: Database, reveals: Sequence[PhoneReveal]) -> None:
    if reveals:
        await db[REVEALS].insert_many([r.to_document() for r in reveals], ordered=False)


async def reveals_under(
    db: Database, place_id: ObjectId, *, first: int | None, after: str | None
) -> Page[PhoneReveal]:
    page = await keyset_page(
        db[REVEALS],
        {"place_path": place_id},
        sort=[("at", DESCENDING), ("_id", DESCENDING)],
        first=first,
        after=after,
    )
    return page.map(PhoneReveal.from_document)


# --- The export -----------------------------------------------------------------------------

# What the export reads: (section, collection, the field naming the person, fields left out).
# Secrets are left out (password hash, token hashes); so is what a secret ballot keeps apart
# (the roll never holds a choice; the tallies hold no voter and are not read).
EXPORT_SOURCES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("sessions", accounts.SESSIONS, "user_id", ()),
    ("memberships", memberships.COLLECTION, "user_id", ()),
    ("reports", reports.REPORTS, "reporter_id", ("audience",)),
    ("reportsAssignedToYou", reports.REPORTS, "assignee_id", ("audience",)),
    ("reportComments", reports.COMMENTS, "author_id", ()),
    ("reportEndorsements", reports.ENDORSEMENTS, "user_id", ()),
    ("councilSeats", councils.COUNCILS, "members.user_id", ()),
    ("proposals", councils.PROPOSALS, "author_id", ()),
    ("proposalComments", councils.COMMENTS, "author_id", ()),
    ("electorates", councils.ELECTORS, "user_ids", ()),
    ("votesCast", councils.PARTICIPATIONS, "user_id", ()),
    ("surveysAnswered", surveys.RESPONDENTS, "user_id", ()),
    ("votesCastForOthers", councils.PARTICIPATIONS, "cast_by", ()),
    ("proxiesGiven", councils.PROXIES, "elector_id", ()),
    ("proxiesHeld", councils.PROXIES, "proxy_id", ()),
    ("coSignatures", councils.CO_SIGNATURES, "user_id", ()),
    ("tasks", boards.TASKS, "assignees", ()),
    ("points", points.COLLECTION, "user_id", ()),
    ("taskComments", boards.COMMENTS, "author_id", ()),
    ("redemptions", rewards.REDEMPTIONS, "user_id", ()),
    ("notifications", notifications.NOTIFICATIONS, "user_id", ()),
    ("notificationPreferences", notifications.PREFERENCES, "_id", ()),
    ("pushDevices", notifications.DEVICES, "user_id", ("token",)),
    ("reportsFollowed", reports.FOLLOWS, "user_id", ()),
    ("units", reports.UNITS, "member_ids", ()),
    ("photos", attachments.FILES, "metadata.owner_id", ()),
    ("phoneRevealedTo", REVEALS, "subject_id", ()),
    ("patrols", patrols.PATROLS, "worker_id", ()),
    ("patrolTracks", patrols.TRACKS, "worker_id", ()),
)
USER_LEFT_OUT = ("password_hash", "erasure_lease_until")


async def user_document(db: Database, user_id: ObjectId) -> Document | None:
    projection = {field: 0 for field in USER_LEFT_OUT}
    document: Document | None = await db[accounts.USERS].find_one(
        {"_id": user_id}, projection=projection
    )
    return document


async def export_sections(db: Database, user_id: ObjectId) -> dict[str, list[Any]]:
    sections: dict[str, list[Any]] = {}
    for section, collection, field, left_out in EXPORT_SOURCES:
        projection = {name: 0 for name in left_out} or None
        cursor = db[collection].find({field: user_id}, projection=projection, sort=[("_id", 1)])
        sections[section] = await cursor.to_list()
    return sections
