"""Interview levels: the notes group questions under headings such as "1. Very Basic Level:",
"MLOps Basics", "Fundamental MLOps Concepts" or "Advanced Questions".  A question's level is the
one named by the nearest heading above it; a question under no such heading has none.

One home for the level words and their order; pure (no I/O).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

LEVELS = ("very basic", "basic", "intermediate", "advanced")  # easiest first

# The words (lower case, ASCII) that name each level in a heading.  Matched as whole words, the
# longest first: "very basic" is not "basic", "basically" and "VisualBasic" are neither.
LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "very basic": ("very basic", "very basics"),
    "basic": ("basic", "basics", "beginner", "beginners", "fundamental", "fundamentals", "junior", "entry level"),
    "intermediate": ("intermediate", "mid level"),
    "advanced": ("advanced", "expert", "experts", "senior"),
}

_PHRASE_LEVEL = {p: lv for lv, phrases in LEVEL_WORDS.items() for p in phrases}
_PHRASES = re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, sorted(_PHRASE_LEVEL, key=len, reverse=True)))
                      + r")(?![a-z0-9])")


def _plain(text: str) -> str:
    """Lower case, every run of anything but ASCII letters and digits (markdown ``**``, emoji and
    their mojibake such as "üß∞", punctuation, "-" and "_") as one space."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).split())


def heading_level(heading: str) -> str | None:
    """The level one heading names, or None: none named, or more than one ("Basic to Advanced")."""
    found = {_PHRASE_LEVEL[m.group(1)] for m in _PHRASES.finditer(_plain(heading))}
    return found.pop() if len(found) == 1 else None


def level_of(headings: Sequence[str] | None) -> str | None:
    """The level of a question from its heading path (``QuestionItem.headings``): that of the
    nearest heading above the question naming one, or None.  The path's last element is the
    question's own heading (as ``ingest.questions.topic_of`` reads it) and never counts, so a
    question's wording ("What is a basic ...?") does not give it a level."""
    for heading in reversed(tuple(headings or ())[:-1]):
        if (level := heading_level(heading)) is not None:
            return level
    return None


def parse_level(text: str | None) -> str | None:
    """A level as typed ("Advanced", "very-basic", "beginner") -> its name in ``LEVELS``; None for
    anything else (including "" and "any")."""
    return _PHRASE_LEVEL.get(_plain(text or ""))


def label(level: str | None) -> str:
    """How a level is shown: "Very basic", "Advanced"; "" for None."""
    return level.capitalize() if level else ""


def rank(level: str) -> int:
    """0 for the easiest level; ValueError for a name not in ``LEVELS``."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; levels: {', '.join(LEVELS)}")
    return LEVELS.index(level)


def distance(level: str, other: str | None) -> tuple[int, int]:
    """Sort key of ``other`` for a plan at ``level``: the same level first, then the nearest ones
    (the easier one first on a tie), questions without a level last."""
    if other is None:
        return (len(LEVELS), 0)
    d = rank(other) - rank(level)
    return (abs(d), 0 if d < 0 else 1)
