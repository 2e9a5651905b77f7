"""Swapped terms: an answer that ties a term of the notes to what the notes say about a sibling.

Key points often come as labelled siblings ("Orchestration: Kubeflow, Airflow, Prefect" /
"Monitoring: Prometheus, Grafana"; "Concept Drift: relationship between input and output changes" /
"Data Drift: input data distribution changes").  A confidently wrong answer mixes them up:
"for orchestration, that's really what Prometheus is for"; "data drift is when the relationship
between the inputs and the label changes".  Similarity and word overlap reward that (all the right
words are there), so it is checked on its own: for each clause that names a point's label, the
clause with every label masked out is matched against the points' bodies, also masked; if it is
clearly closer to a sibling's body than to the named point's, and does not name that sibling
too, the clause contradicts the notes.

The 1.5B chat model was tried for this and gave no signal (see README, "Grading"); this check is
narrow by design: on the grading set's tuning part it flagged 3 of 20 confidently wrong answers
and none of the 60 strong, partial or vague ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lexical import words
from rag.vectors import embed_unit

MARGIN = 0.10  # the sibling's body must beat the named point's by this cosine (tuning part)
MIN_SIM = 0.50  # and match the clause at least this well
_MAX_LABEL_WORDS = 4
_LABEL_WITHIN = 60  # a label is what precedes a colon in the first characters of a point


@dataclass(frozen=True)
class Conflict:
    clause: str  # what the candidate said
    term: str  # the label it named
    named: int  # index of the point that label belongs to
    matched: int  # index of the sibling point whose content the clause really states


def label_of(point: str) -> str:
    """The label of a ``"Label: body"`` key point, or ""."""
    head, sep, _ = point[:_LABEL_WITHIN].partition(":")
    head = head.strip()
    return head if sep and head and len(head.split()) <= _MAX_LABEL_WORDS else ""


def _pattern(term: str) -> re.Pattern:
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(term) + r"(?![A-Za-z0-9])", re.I)


def mentions(term: str, text: str) -> bool:
    return bool(_pattern(term).search(text))


def _mask(text: str, terms: list[str]) -> str:
    for t in sorted(terms, key=len, reverse=True):
        text = _pattern(t).sub("it", text)
    return text


def find_conflicts(points: list[str], clauses: list[str], embeddings, margin: float = MARGIN,
                   min_sim: float = MIN_SIM) -> list[Conflict]:
    """Clauses that name one labelled point but state a sibling's content (see the module doc)."""
    labels = [label_of(p) for p in points]
    # a label is a term only where it names its own points, not all of them
    owners = {t: {j for j, p in enumerate(points) if mentions(t, p)} for t in labels if t}
    owners = {t: o for t, o in owners.items() if len(o) < len(points)}
    if len(owners) < 2:
        return []
    terms = list(owners)
    candidates = []
    for clause in clauses:
        named = [t for t in terms if mentions(t, clause)]
        masked = _mask(clause, terms)
        if named and len(words(masked)) >= 4:
            candidates.append((clause, named, masked))
    if not candidates:
        return []
    vecs = embed_unit(embeddings, [_mask(p, terms) for p in points] + [c[2] for c in candidates])
    pv, cv = vecs[: len(points)], vecs[len(points):]
    found: list[Conflict] = []
    for (clause, named, _), v in zip(candidates, cv):
        sims = pv @ v
        best = int(sims.argmax())
        if not labels[best] or mentions(labels[best], clause) or sims[best] < min_sim:
            continue
        for t in named:
            own = owners[t]
            if best not in own and sims[best] - max(sims[j] for j in own) > margin:
                found.append(Conflict(clause, t, min(own), best))
                break
    return found
