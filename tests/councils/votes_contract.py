"""The operations of the votes contract (schema/operations/votes.graphql) that proxies, paper
ballots and residents' suggestions serve, copied verbatim, one document each: the tests send
exactly what clients send (test_ballots_http checks they are the contract's text)."""

from __future__ import annotations

VOTES: dict[str, str] = {
    "SuggestProposal": """
mutation SuggestProposal($input: SuggestProposalInput!) {
  suggestProposal(input: $input) {
    proposal { id status title coSignatureCount coSignaturesNeeded }
    errors { code message field }
  }
}
""",
    "CoSignProposal": """
mutation CoSignProposal($input: CoSignProposalInput!) {
  coSignProposal(input: $input) {
    proposal { id status coSignatureCount coSignaturesNeeded viewerHasCoSigned }
    errors { code message field }
  }
}
""",
    "AcceptSuggestion": """
mutation AcceptSuggestion($input: AcceptSuggestionInput!) {
  acceptSuggestion(input: $input) {
    proposal { id status }
    errors { code message field }
  }
}
""",
    "AuthorizeProxy": """
mutation AuthorizeProxy($input: AuthorizeProxyInput!) {
  authorizeProxy(input: $input) {
    proxy { id elector { id displayName } proxy { id displayName } createdAt }
    errors { code message field }
  }
}
""",
    "CastProxyVote": """
mutation CastProxyVote($input: CastVoteInput!) {
  castVote(input: $input) {
    proposal { id turnout { voted eligible } }
    errors { code message field }
  }
}
""",
    "RecordPaperBallot": """
mutation RecordPaperBallot($input: RecordPaperBallotInput!) {
  recordPaperBallot(input: $input) {
    proposal { id turnout { voted eligible } }
    errors { code message field }
  }
}
""",
}
