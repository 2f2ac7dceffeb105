"""GraphQL over HTTP: which media type a response uses, and when its status is not 200.

A client whose Accept prefers `application/graphql-response+json` (the GraphQL-over-HTTP
spec's media type) gets it, with the spec's status codes: 2xx once execution started (`data`
present, even null), 400 without `data` for a request error (a document that does not parse or
validate, variables that do not fit, a query over the limits). Any other client
(`application/json`, `*/*`, no Accept) gets `application/json` and 200 for every GraphQL error,
the legacy behaviour the spec prescribes for it.
"""

from __future__ import annotations

from functools import lru_cache

from strawberry.types import ExecutionResult

from neighbor_api.graphql.errors import REQUEST_ERROR_CODES

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


def _weights(accept: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media_type, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        media_type = media_type.lower()
        weights[media_type] = max(weight, weights.get(media_type, 0.0))
    return weights


# Clients send a handful of distinct Accept values: each is read once (asked twice a request).
@lru_cache(maxsize=256)
def prefers_graphql_response(accept: str | None) -> bool:
    """Whether the response should be `application/graphql-response+json`: the client lists
    it, at least as high as `application/json` (itself or through a wildcard)."""
    if not accept:
        return False
    weights = _weights(accept)
    wanted = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    legacy = max(weights.get(name, 0.0) for name in (APPLICATION_JSON, "application/*", "*/*"))
    return wanted > 0 and wanted >= legacy


def is_request_error(result: ExecutionResult) -> bool:
    """Refused before execution: no data, and only path-less errors of the request-error codes
    (an error during execution has a path; UNAUTHENTICATED answers with `data: null`)."""
    return (
        result.data is None
        and bool(result.errors)
        and all(
            error.path is None and (error.extensions or {}).get("code") in REQUEST_ERROR_CODES
            for error in result.errors or ()
        )
    )
