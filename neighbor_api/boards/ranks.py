"""Lexicographic ranks: a card's position in its column as a string, so that putting a card
between two others writes only that card (fractional indexing over base-36 digits).

A rank never ends in "0", which guarantees there is always a rank strictly between two
different ranks. Ranks grow by about one character every five insertions at the same spot;
past MAX_RANK_LENGTH the column is rebalanced (`spread`).
"""

from __future__ import annotations

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
# Longer than this, and the column's ranks are spread out again.
MAX_RANK_LENGTH = 24


def _midpoint(low: str, high: str | None) -> str:
    """A rank strictly between `low` ("" is the start) and `high` (None is the end)."""
    if high is not None:
        common = 0
        while common < len(high) and (low[common] if common < len(low) else "0") == high[common]:
            common += 1
        if common > 0:
            return high[:common] + _midpoint(low[common:], high[common:])
    digit_low = DIGITS.index(low[0]) if low else 0
    digit_high = DIGITS.index(high[0]) if high is not None else BASE
    if digit_high - digit_low > 1:
        return DIGITS[(digit_low + digit_high + 1) // 2]
    if high is not None and len(high) > 1:
        return high[:1]
    return DIGITS[digit_low] + _midpoint(low[1:], None)


def between(low: str | None, high: str | None) -> str:
    """A rank after `low` and before `high` (None: the start / the end of the column).
    `low` must sort strictly before `high`."""
    if low is not None and high is not None and not low < high:
        raise ValueError(f"rank {low!r} is not before {high!r}")
    return _midpoint(low or "", high)


def spread(count: int) -> list[str]:
    """`count` short ranks, evenly spaced, in order (a rebalanced column)."""
    width = 1
    while BASE**width < 4 * (count + 1):
        width += 1
    step = BASE**width // (count + 1)
    ranks: list[str] = []
    for position in range(1, count + 1):
        value = position * step
        digits = []
        for _ in range(width):
            value, digit = divmod(value, BASE)
            digits.append(DIGITS[digit])
        ranks.append("".join(reversed(digits)).rstrip("0"))
    return ranks
