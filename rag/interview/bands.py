"""The score bands of a 0-100 grade: one table for the verdict words, the FSRS rating, the
colours of the app and the "weak topic" line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    floor: int  # lowest score in the band
    verdict: str  # the grader's word
    css: str  # class name of the app's colour for it
    color: str  # the same colour for charts
    rating: str  # FSRS rating name


BANDS = (  # highest first
    Band(85, "strong", "great", "#16a34a", "Easy"),
    Band(60, "good", "good", "#0d9488", "Good"),
    Band(40, "partial", "fair", "#f59e0b", "Hard"),
    Band(0, "weak", "bad", "#ef4444", "Again"),
)
WEAK_BELOW = 60  # a topic whose mean score is under this is weak (the floor of "good")
FAILED_VERDICTS = ("off-topic", "no answer", "too short")  # shown in the lowest band whatever the score


def band(score: float) -> Band:
    for b in BANDS:
        if score >= b.floor:
            return b
    return BANDS[-1]
