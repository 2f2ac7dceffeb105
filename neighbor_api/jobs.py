"""The app's background jobs (each feature's job functions, with how often they run)."""

from __future__ import annotations

from datetime import timedelta

from neighbor_api.attachments import service as attachments
from neighbor_api.core.deps import Deps
from neighbor_api.core.jobs import Job
from neighbor_api.councils import service as councils
from neighbor_api.notifications import service as notifications
from neighbor_api.privacy import service as privacy
from neighbor_api.reports import service as reports
from neighbor_api.surveys import service as surveys

UNREFERENCED_ATTACHMENTS_KEPT = timedelta(days=1)


async def _remove_unreferenced_attachments(deps: Deps) -> int:
    return await attachments.remove_unreferenced(deps, older_than=UNREFERENCED_ATTACHMENTS_KEPT)


JOBS = (
    Job("close-unrated-reports", timedelta(minutes=5), reports.close_unrated),
    Job("close-due-votes", timedelta(seconds=30), councils.close_due),
    # Every few seconds: notifications follow their events closely (notifications/service.py).
    Job("notify", timedelta(seconds=3), notifications.notify),
    # Due soon, overdue, closing soon: recorded once each, then told by the notifier.
    Job("remind", timedelta(minutes=1), notifications.remind),
    # The push outbox: in the background, so a slow or failing webhook never slows requests.
    Job("deliver-push", timedelta(seconds=5), notifications.deliver_push),
    Job("remove-unreferenced-attachments", timedelta(hours=1), _remove_unreferenced_attachments),
    # Deleted accounts' personal data is erased within a minute or two (privacy/service.py).
    Job("erase-deleted-accounts", timedelta(minutes=1), privacy.erase_deleted_accounts),
    # Surveys scheduled to open later: their opening is recorded once, then told (notify).
    Job("announce-surveys", timedelta(seconds=30), surveys.announce_due),
)
