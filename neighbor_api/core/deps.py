"""What every service needs: the database, the settings, the clock."""

from __future__ import annotations

from dataclasses import dataclass

from neighbor_api.core.clock import Clock
from neighbor_api.core.mongo import Client, Database
from neighbor_api.settings import Settings


@dataclass(frozen=True)
class Deps:
    client: Client
    db: Database
    settings: Settings
    clock: Clock
