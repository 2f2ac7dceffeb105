"""The operations of the votes contract (schema/operations/votes.graphql) that proxies, paper
ballots and residents' suggestions serve, by name: the tests send exactly what clients send
(the contract's file, with the operation's name)."""

from __future__ import annotations

from tests.conftest import OPERATIONS

VOTES: dict[str, str] = {
    name: OPERATIONS[name]
    for name in (
        "SuggestProposal",
        "CoSignProposal",
        "AcceptSuggestion",
        "AuthorizeProxy",
        "CastProxyVote",
        "RecordPaperBallot",
    )
}
