"""Input checks shared by every service; problems are collected so a client sees them all."""

from __future__ import annotations

from collections.abc import Sequence

from neighbor_api.core.errors import DomainError, Problem, invalid


class Checks:
    """Collect INVALID_INPUT problems, then `done()` raises them together (if any)."""

    def __init__(self, prefix: Sequence[str] = ("input",)) -> None:
        self.prefix = tuple(prefix)
        self.problems: list[Problem] = []

    def fail(self, field: str, message: str, **params: object) -> None:
        self.problems.append(invalid((*self.prefix, field), message, **params))

    def text(self, value: str | None, field: str, *, max_length: int, required: bool = True) -> str:
        """The trimmed text, checked to be present (if required) and not too long."""
        text = (value or "").strip()
        if required and not text:
            self.fail(field, "text.required")
        elif len(text) > max_length:
            self.fail(field, "text.too_long", max=max_length)
        return text

    def done(self) -> None:
        if self.problems:
            raise DomainError(self.problems)
