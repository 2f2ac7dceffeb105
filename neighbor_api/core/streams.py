"""Following a change stream for as long as the app runs: the live hub's tails and the session
cache's watcher. Opened at start (so every later write is seen; an unreachable database does
not stop the start, the loop retries), read in a task, reopened after a failure with a
doubling back-off. A follower says how its stream opens and what each change does."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from pymongo.errors import PyMongoError

from neighbor_api.core import cancel

log = logging.getLogger(__name__)

RETRY_INITIAL_SECONDS = 0.1
RETRY_MAX_SECONDS = 5.0


class ChangeFollower:
    """One change stream read in a task. Subclasses open it (`_open`) and take each change, or
    `None` when the stream had nothing within its wait (`_take`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._stream: Any = None
        self._task: asyncio.Task[None] | None = None
        # Times the stream was opened again after a failure.
        self.reopened = 0

    async def _open(self) -> Any:
        raise NotImplementedError

    def _take(self, change: Mapping[str, Any] | None, stream: Any) -> None:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self.running:
            return
        try:
            self._stream = await self._open()
        except PyMongoError:  # the database is unreachable: the app starts, the loop retries
            log.warning("%s: change stream not open yet; retrying", self.name, exc_info=True)
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await cancel.stop(task)
        await self._close()

    async def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with suppress(PyMongoError):
                await stream.close()

    async def _run(self) -> None:
        delay = RETRY_INITIAL_SECONDS
        while True:
            cancel.checkpoint()
            try:
                if self._stream is None:
                    self._stream = await self._open()
                    self.reopened += 1
                    log.info("%s: change stream reopened", self.name)
                change = await self._stream.try_next()
                delay = RETRY_INITIAL_SECONDS
                self._take(change, self._stream)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away or the stream broke: reopen
                cancel.checkpoint()  # unless this task was stopped and the driver lost the request
                log.warning(
                    "%s: change stream failed; reopening in %.1fs", self.name, delay, exc_info=True
                )
                await self._close()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
