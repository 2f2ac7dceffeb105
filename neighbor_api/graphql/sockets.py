"""The instance's caps on WebSockets, so that no client can take what others need.

- Connections per user (the account named in connection_init), and anonymous connections
  (connection_init without a token) per client address: over either, the socket is closed
  with TOO_MANY_CONNECTIONS_CLOSE_CODE (1013, "try again later") instead of being
  acknowledged. A socket that never sends connection_init is closed after 10 s (4408).
- Operations in flight (subscriptions, and queries or mutations sent over the socket) per
  connection and per user across their connections: over either, the `subscribe` is answered
  with an `error` message, code TOO_MANY_SUBSCRIPTIONS, and the connection stays open.

Counted per instance, in memory: one event loop, so a check and its count happen together (no
await between them), and a slot is given back when its connection or operation ends however it
ends. No subscription holds a database connection (they ride the live hub, live/hub.py): what a
client's subscriptions cost the database is bounded by these caps.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from neighbor_api.settings import Settings

TOO_MANY_CONNECTIONS_CLOSE_CODE = 1013
TOO_MANY_CONNECTIONS_REASON = "too many connections"


@dataclass
class SocketCaps:
    """The counts, and which slot each open connection holds (by a key of the caller's: the
    connection's context, by id)."""

    per_connection: int
    per_user: int
    connections_per_user: int
    anonymous_connections_per_address: int
    connections: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    owners: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: Settings) -> SocketCaps:
        return cls(
            per_connection=settings.max_subscriptions_per_connection,
            per_user=settings.max_subscriptions_per_user,
            connections_per_user=settings.max_connections_per_user,
            anonymous_connections_per_address=settings.max_anonymous_connections_per_address,
        )

    def open(self, connection: int, address: str | None) -> bool:
        """An anonymous connection is acknowledged: False when its address has all it may."""
        key = f"address:{address or '-'}"
        if not _take(self.connections, key, self.anonymous_connections_per_address):
            return False
        self.owners[connection] = key
        return True

    def sign_in(self, connection: int, user_id: object) -> bool:
        """connection_init named an account: the connection counts as the user's. False when
        the user has all they may."""
        key = f"user:{user_id}"
        if not _take(self.connections, key, self.connections_per_user):
            return False
        self.owners[connection] = key
        return True

    def close(self, connection: int) -> None:
        key = self.owners.pop(connection, None)
        if key is not None:
            _give_back(self.connections, key)

    def start(self, connection: int) -> str | None:
        """An operation starts on the connection: the key to `finish` it with, or None when
        its owner (the user, or the address) has all they may in flight."""
        key = self.owners.get(connection)
        if key is None or not _take(self.operations, key, self.per_user):
            return None
        return key

    def finish(self, key: str) -> None:
        _give_back(self.operations, key)


def _take(counter: Counter[str], key: str, limit: int) -> bool:
    if counter[key] >= limit:
        return False
    counter[key] += 1
    return True


def _give_back(counter: Counter[str], key: str) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]
