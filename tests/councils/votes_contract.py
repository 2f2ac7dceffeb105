"""The operations of the second edition's votes contract (../shared/contract/votes.graphql)
that proxies, paper ballots and residents' suggestions serve, copied verbatim, one document
each: the tests send exactly what clients send. (The lead copies the whole file into
schema/operations/ once every part of it has landed; these tests then read it from there.)"""

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
