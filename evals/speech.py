"""The spoken test set and how a transcript is scored against what was said.

Reference texts: the strong and partial answers of the labelled grading set (``evals/data/grading.jsonl``,
its ``tune`` part to choose settings on, its ``heldout`` part for the quoted figures); the bench
synthesises their audio with local voices at run time (no large audio is committed).

- ``normalise``: lower case, "&" -> and, "%" -> percent, hyphens and slashes split words, number words
  up to twenty as digits, other punctuation dropped (so "CI/CD" and "CI-CD" match, "Weights & Biases"
  and "Weights and Biases" too).
- ``word_errors``: word error rate by Levenshtein alignment (substitutions + deletions + insertions over
  reference words), after joining a compound written apart on one side only ("data sets" / "datasets").
- ``term_errors``: the same alignment scored only on the reference words that belong to one of its
  technical terms (``rag.speech.jargon.technical_terms``: MLflow, DVC, S3, Kubernetes...).
- ``grade_gaps``: how far the grade of each transcript is from the grade of the text that was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evals.golden import DATA, in_split, read_jsonl
from rag.lexical import words
from rag.speech.jargon import technical_terms

GRADING = DATA / "grading.jsonl"
SPOKEN_STYLES = ("strong", "partial")
GRADE_MARGIN = 10  # a spoken answer's grade should be within this many points of its typed grade
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


def join_compounds(words_: list[str], vocabulary: set[str]) -> list[str]:
    """Adjacent words whose concatenation is a word of ``vocabulary`` joined ("data sets" -> "datasets",
    "fast api" -> "fastapi"): a compound written apart is one spelling of the same word, not two errors."""
    out: list[str] = []
    i = 0
    while i < len(words_):
        if i + 1 < len(words_) and words_[i] + words_[i + 1] in vocabulary:
            out.append(words_[i] + words_[i + 1])
            i += 2
        else:
            out.append(words_[i])
            i += 1
    return out


def _pair(reference: str, hypothesis: str) -> tuple[list[str], list[str]]:
    """Both normalised, compounds joined, except a technical term of the reference: "ML flow" for
    MLflow is the spelling error the notes' vocabulary is there to prevent."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    terms = {w for t in technical_terms(reference) for w in [*normalise(t), "".join(normalise(t))]}
    return join_compounds(ref, set(hyp) - terms), join_compounds(hyp, set(ref) - terms)


def word_errors(reference: str, hypothesis: str) -> Errors:
    ref, hyp = _pair(reference, hypothesis)
    return Errors(_align(ref, hyp)[0], len(ref))


def term_positions(reference: str, terms: list[str] | None = None) -> set[int]:
    """Indexes (in ``normalise(reference)``) of the words that belong to one of its technical terms
    (``terms``, default: those ``technical_terms`` finds in it)."""
    ref = normalise(reference)
    out: set[int] = set()
    for term in technical_terms(reference) if terms is None else terms:
        seq = normalise(term)
        for i in range(len(ref) - len(seq) + 1):
            if seq and ref[i:i + len(seq)] == seq:
                out.update(range(i, i + len(seq)))
    return out


def term_errors(reference: str, hypothesis: str) -> Errors:
    """Errors on the reference's technical-term words only (each missed or misspelt word counts)."""
    ref, hyp = _pair(reference, hypothesis)
    _, ok = _align(ref, hyp)
    positions = term_positions(" ".join(ref), technical_terms(reference))
    return Errors(sum(not ok[i] for i in positions), len(positions))


def grade_gaps(rows: list[dict], margin: int = GRADE_MARGIN) -> dict:
    """Spoken against typed grades over rows with ``id``, ``text_score`` (the grade of the text read
    aloud) and ``spoken_score`` (the grade of its transcript): the mean and largest absolute gap, the
    mean signed gap (below 0: speaking costs points), the share within ``margin`` points, the two
    largest gaps."""
    if not rows:
        return {"n": 0}
    gaps = [r["spoken_score"] - r["text_score"] for r in rows]
    worst = sorted(rows, key=lambda r: -abs(r["spoken_score"] - r["text_score"]))[:2]
    return {"n": len(rows), "mean_abs_diff": round(sum(map(abs, gaps)) / len(gaps), 2), "max_abs_diff": max(map(abs, gaps)),
            "mean_diff": round(sum(gaps) / len(gaps), 2),
            "within_margin": round(sum(abs(g) <= margin for g in gaps) / len(gaps), 4),
            "worst": [{"id": r["id"], "text_score": r["text_score"], "spoken_score": r["spoken_score"]} for r in worst]}
