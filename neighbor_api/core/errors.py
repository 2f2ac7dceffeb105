"""Domain errors: what a client did wrong, as a code plus a translatable message.

No GraphQL here. The GraphQL layer turns a `DomainError` into payload `errors` in exactly one
place (`neighbor_api.graphql.errors`), and `Unauthenticated` into a top-level GraphQL error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Every code a mutation payload may carry (the contract's `ErrorCode`)."""

    INVALID_INPUT = "INVALID_INPUT"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    PHONE_TAKEN = "PHONE_TAKEN"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    ALREADY_VOTED = "ALREADY_VOTED"
    HOUSEHOLD_ALREADY_VOTED = "HOUSEHOLD_ALREADY_VOTED"
    VOTING_NOT_OPEN = "VOTING_NOT_OPEN"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    TASK_FULL = "TASK_FULL"
    WIP_LIMIT_REACHED = "WIP_LIMIT_REACHED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    RATE_LIMITED = "RATE_LIMITED"
    INVALID_CODE = "INVALID_CODE"
    CODE_NOT_SENT = "CODE_NOT_SENT"
    POLICY_NOT_ACCEPTED = "POLICY_NOT_ACCEPTED"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    OUT_OF_STOCK = "OUT_OF_STOCK"


# What each code means, for client developers (the SDL's descriptions of `ErrorCode`).
ERROR_CODE_DESCRIPTIONS: Mapping[ErrorCode, str] = {
    ErrorCode.INVALID_INPUT: "A field of the input is malformed, out of range or missing; "
    "`field` names it (an id that is not a valid id of the expected type is one too).",
    ErrorCode.INVALID_CREDENTIALS: "Wrong phone number or password, or a refresh token that "
    "was used, expired or revoked.",
    ErrorCode.PHONE_TAKEN: "An account with this phone number exists.",
    ErrorCode.NOT_FOUND: "No such object, or one the viewer may not see (indistinguishable).",
    ErrorCode.FORBIDDEN: "The viewer sees the object but may not do this; the message says who "
    "may.",
    ErrorCode.ALREADY_MEMBER: "The user is a member of the community or has a pending request.",
    ErrorCode.INVALID_TRANSITION: "The object's current status does not allow this (it may "
    "have just changed).",
    ErrorCode.NOT_ELIGIBLE: "The viewer is not in the electorate fixed when voting opened.",
    ErrorCode.ALREADY_VOTED: "The viewer has voted on this proposal.",
    ErrorCode.HOUSEHOLD_ALREADY_VOTED: "A housemate cast the household's vote.",
    ErrorCode.VOTING_NOT_OPEN: "Voting has not opened, has closed, or is past its closing time.",
    ErrorCode.VERSION_CONFLICT: "The task changed since it was read (`expectedVersion` is "
    "stale); reload and retry.",
    ErrorCode.TASK_FULL: "The task has as many assignees as its capacity.",
    ErrorCode.WIP_LIMIT_REACHED: "The target column holds its work-in-progress limit.",
    ErrorCode.FILE_TOO_LARGE: "The upload is over the size limit.",
    ErrorCode.UNSUPPORTED_FILE_TYPE: "The upload's content is not an accepted image type "
    "(or a PDF document).",
    ErrorCode.RATE_LIMITED: "Too many attempts (failed logins for this phone, requests from "
    "this address, verification codes, uploads today, ...); `retryAfter` says how many seconds "
    "to wait.",
    ErrorCode.INVALID_CODE: "The verification code is wrong, expired, used, for another "
    "purpose or phone, or was tried too often; request a new one.",
    ErrorCode.CODE_NOT_SENT: "The SMS could not be sent; no code was issued, try again later.",
    ErrorCode.POLICY_NOT_ACCEPTED: "The privacy policy changed: accept the current version "
    "(`acceptPolicy`, see `privacyPolicy`) before anything else.",
    ErrorCode.INSUFFICIENT_POINTS: "The viewer's points balance is below the reward's cost; "
    "nothing was spent.",
    ErrorCode.OUT_OF_STOCK: "None of the reward is left; nothing was spent.",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request.

    `message` is a key of the message catalogue (`neighbor_api.core.i18n`); `params` fill its
    placeholders; `field` is the path into the mutation's arguments, e.g. ("input", "phone").
    """

    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)


class DomainError(Exception):
    """A request the rules refuse. Carries one or more problems; changes nothing."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(", ".join(f"{p.code}:{p.message}" for p in problems))
        self.problems = tuple(problems)

    @classmethod
    def of(
        cls,
        code: ErrorCode,
        message: str | None = None,
        *,
        field: Sequence[str] | None = None,
        **params: object,
    ) -> DomainError:
        return cls([Problem(code, message or code.value, tuple(field) if field else None, params)])


def invalid(field: Sequence[str], message: str, **params: object) -> Problem:
    """An INVALID_INPUT problem on one input field."""
    return Problem(ErrorCode.INVALID_INPUT, message, tuple(field), params)


def raise_if(problems: Sequence[Problem]) -> None:
    if problems:
        raise DomainError(problems)


class Unauthenticated(Exception):
    """No valid credentials where they are needed (a GraphQL error, not a payload error)."""

    def __init__(self, message: str = "unauthenticated") -> None:
        super().__init__(message)
        self.message = message
