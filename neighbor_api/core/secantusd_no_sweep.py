"""SecantusDB's own command line, with the server's TTL sweeper off.

For a server whose clients keep their own clock (the tests, whose clock stands at
2026-11-27): SecantusDB 0.7.0b3 reads `[storage] ttl_sweep_seconds` from its configuration
file but does not pass it on to the server it starts, so `ttl_sweep_seconds = 0` left the
sweeper removing, every 60 s by the real clock, the codes, counters and tokens such a clock
still held valid, and a test failed whenever a sweep fell inside it. This runs the same
`main` with the server's `ttl_sweep_seconds` set: 0 (off), or `SWEEP_SECONDS` from the
environment (tests/platform/test_embedded.py sets 0.5 to see that it reaches the server).
`EmbeddedMongo(ttl_sweep=False)` runs this file by its path (its name says `secantusd`, as
the pid file's check expects).
"""

from __future__ import annotations

import os
from typing import Any

from secantus import cli  # type: ignore[import-untyped]  # SecantusDB ships no types

SWEEP_SECONDS = "NEIGHBOR_TTL_SWEEP_SECONDS"


class _Sweeping(cli.SecantusDBServer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        seconds = float(os.environ.get(SWEEP_SECONDS, "0"))
        super().__init__(*args, **{**kwargs, "ttl_sweep_seconds": seconds})


if __name__ == "__main__":
    cli.SecantusDBServer = _Sweeping
    raise SystemExit(cli.main())
