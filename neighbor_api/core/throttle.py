"""Per-address rate limit of anonymous GraphQL requests over HTTP (no `Authorization`).

Each anonymous request counts one against its client address in a fixed window of a minute,
in the database (`core/rate_limit.py` Limiter: one atomic `find_one_and_update` with `$inc`), so the
limit holds across instances and under concurrency: of N requests at once exactly the limit
pass. Past it the request is refused before anything runs: RATE_LIMITED, HTTP 429 with
`Retry-After`. Signed-in requests are not counted here (the WebSocket has its own caps,
graphql/sockets.py). The address is the request context's (`Context.client_address`, set in
one place by the endpoint), never read from headers here.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from neighbor_api.core.deps import Deps

WINDOW = timedelta(minutes=1)

log = logging.getLogger("neighbor_api.throttle")


async def anonymous_wait(deps: Deps, address: str | None) -> int | None:
    """Count an anonymous request from `address`: None if it may run, else the seconds until
    the window ends (it is over the limit). A limit of 0 turns the limit off. It fails open:
    when the counter cannot be written, the request runs (and fails itself if it needs the
    database) rather than every anonymous request becoming an internal error."""
    limit = deps.settings.anonymous_requests_per_minute
    if limit <= 0:
        return None
    try:
        decision = await deps.limiter.hit(f"anonymous:address:{address or '-'}", limit, WINDOW)
    except Exception as error:  # the database unreachable: the request says what it needs
        log.warning("anonymous request not counted: %s", type(error).__name__)
        return None
    return None if decision.allowed else decision.retry_after_seconds
