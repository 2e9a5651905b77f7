"""The spoken test set and how a transcript is scored against what was said.

Reference texts: the strong and partial answers of the labelled grading set (``evals/data/grading.jsonl``,
its ``tune`` part to choose settings on, its ``heldout`` part for the quoted figures); the bench
synthesises their audio with local voices at run time (no large audio is committed).

- ``normalise``: lower case, "&" -> and, "%" -> percent, hyphens and slashes split words, number words
  up to twenty as digits, other punctuation dropped (so "CI/CD" and "CI-CD" match, "Weights & Biases"
  and "Weights and Biases" too).
- ``word_errors``: word error rate by Levenshtein alignment (substitutions + deletions + insertions over
  reference words), and which reference words were recognised.
- ``term_errors``: the same alignment scored only on the reference words that belong to one of its
  technical terms (``rag.speech.jargon.technical_terms``: MLflow, DVC, S3, Kubernetes...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evals.golden import DATA, in_split, read_jsonl
from rag.lexical import words
from rag.speech.jargon import technical_terms

GRADING = DATA / "grading.jsonl"
SPOKEN_STYLES = ("strong", "partial")
_NUMBERS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}


def spoken_items(split: str | None = "heldout", limit: int | None = None) -> list[dict]:
    """The reference answers to speak: ``id``, ``qid``, ``style``, ``text``."""
    rows = [r for r in in_split(read_jsonl(GRADING), split) if r.get("style") in SPOKEN_STYLES]
    items = [{"id": r["id"], "qid": r["qid"], "style": r["style"], "text": r["answer"]} for r in rows]
    return items[:limit] if limit else items


def spoken_form(text: str) -> str:
    """What a person reads aloud for ``text``: "CI/CD" is said "CI CD", "&" is said "and"."""
    return re.sub(r"(?<=\w)/(?=\w)", " ", text).replace("&", " and ")


def normalise(text: str) -> list[str]:
    text = text.replace("&", " and ").replace("%", " percent ")
    text = re.sub(r"(?<=\w)[-/](?=\w)", " ", text)
    return [_NUMBERS.get(w, w) for w in words(text)]


@dataclass(frozen=True)
class Errors:
    errors: int
    words: int

    @property
    def rate(self) -> float | None:
        return self.errors / self.words if self.words else None

    def __add__(self, other: "Errors") -> "Errors":
        return Errors(self.errors + other.errors, self.words + other.words)


def _align(ref: list[str], hyp: list[str]) -> tuple[int, list[bool]]:
    """Edit distance of ``hyp`` from ``ref`` and, for each reference word, was it matched exactly."""
    n, m = len(ref), len(hyp)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]))
    ok = [False] * n
    i, j = n, m
    while i > 0 and j > 0:
        if d[i][j] == d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            ok[i - 1] = ref[i - 1] == hyp[j - 1]
            i, j = i - 1, j - 1
        elif d[i][j] == d[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return d[n][m], ok


def word_errors(reference: str, hypothesis: str) -> Errors:
    ref, hyp = normalise(reference), normalise(hypothesis)
    return Errors(_align(ref, hyp)[0], len(ref))


def term_positions(reference: str) -> set[int]:
    """Indexes (in ``normalise(reference)``) of the words that belong to one of its technical terms."""
    ref = normalise(reference)
    out: set[int] = set()
    for term in technical_terms(reference):
        seq = normalise(term)
        for i in range(len(ref) - len(seq) + 1):
            if seq and ref[i:i + len(seq)] == seq:
                out.update(range(i, i + len(seq)))
    return out


def term_errors(reference: str, hypothesis: str) -> Errors:
    """Errors on the reference's technical-term words only (each missed or misspelt word counts)."""
    ref = normalise(reference)
    _, ok = _align(ref, normalise(hypothesis))
    positions = term_positions(reference)
    return Errors(sum(not ok[i] for i in positions), len(positions))
