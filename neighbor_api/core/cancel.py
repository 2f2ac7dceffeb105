"""Stopping a background loop that catches the driver's errors.

A driver call can swallow a cancellation: PyMongo 4.20 on Python 3.11, selecting a server that
does not answer, lost it in about half of the stops of a loop under load (its waits use
`asyncio.wait_for`, which on 3.11 can lose a cancellation racing the inner wait: gh-86296). A
loop that catches `Exception` and tries again would then run on, and whoever awaits the
cancelled task waits for ever: an app that cannot shut down. The task still remembers it was
asked to stop (`Task.cancelling()`), so each such loop checks that at every turn."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)


def checkpoint() -> None:
    """Raise `CancelledError` if this task was asked to stop, even if the request was lost."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def stop(*tasks: asyncio.Task[Any]) -> None:
    """Cancel `tasks` and wait until they end. Unlike `await task` under a suppressed
    `CancelledError`, a cancellation of the caller itself (a timeout, a shutdown) goes on up."""
    pending = {task for task in tasks if not task.done()}
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    for task in pending:
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s ended with an error as it stopped", task.get_name(),
                        exc_info=task.exception())  # fmt: skip
