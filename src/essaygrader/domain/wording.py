"""How counts read in messages: "1 essay", "2 essays"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural unless the count is one.

    Args:
        plural: The plural where adding "s" is wrong ("criteria").
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
