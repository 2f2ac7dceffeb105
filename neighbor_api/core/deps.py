"""What every service needs: the database, the settings, the clock; the instance's session
cache (invalidated by the writes that end a session or change a viewer's roles)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from neighbor_api.core.clock import Clock
from neighbor_api.core.mongo import Client, Database
from neighbor_api.core.rate_limit import Limiter
from neighbor_api.core.session_cache import SessionCache
from neighbor_api.settings import Settings


@dataclass(frozen=True)
class Deps:
    client: Client
    db: Database
    settings: Settings
    clock: Clock
    # session id -> the viewer (accounts/sessions.py); one per instance, never shared.
    sessions: SessionCache[Any] = field(default_factory=SessionCache, compare=False)

    @property
    def limiter(self) -> Limiter:
        """The rate limiter (core/rate_limit.py): `await deps.limiter.hit(key, limit, window)`."""
        return Limiter(self.db, self.clock)
