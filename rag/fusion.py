"""Pure ranking helpers: reciprocal rank fusion and near-duplicate suppression."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60,
                           weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum_i w_i / (k + rank_i(id)), ranks from 1."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def drop_near_duplicates(ids: Sequence[str], similarity: Callable[[str, str], float],
                         threshold: float, limit: int) -> list[str]:
    """Keep ids in order, skipping any too similar to one already kept, until ``limit`` are kept."""
    kept: list[str] = []
    for cid in ids:
        if all(similarity(cid, other) < threshold for other in kept):
            kept.append(cid)
            if len(kept) == limit:
                break
    return kept


def answer_links(vectors, ids: Sequence[str], answerless: set[str], section_of: Callable[[str], object],
                 per_question: int = 2, floor: float = 0.45) -> dict[str, list[str]]:
    """For each chunk that only asks a question (a scenario heading the notes leave unanswered),
    the answered chunks nearest to it by cosine (unit ``vectors``, row i = ``ids[i]``), at most
    ``per_question`` from distinct sections other than its own, each at least ``floor`` similar.
    Retrieval puts them right after the question when it is found, so that a question matching
    only the bare scenario still gets notes that answer it."""
    links: dict[str, list[str]] = {}
    if not answerless:
        return links
    answered = [i for i, cid in enumerate(ids) if cid not in answerless]
    if not answered:
        return links
    # The questions x answered cosines come from one matrix product per block of 256 questions (a
    # matrix-vector pass over every vector per question took ~60 s at 19,100 chunks), and per question
    # only the candidates above the floor are sorted.
    answered_vectors = np.asarray(vectors)[answered]
    rows = [r for r, cid in enumerate(ids) if cid in answerless]
    for start in range(0, len(rows), 256):
        block = rows[start:start + 256]
        for r, sims in zip(block, np.asarray(vectors)[block] @ answered_vectors.T):
            links[ids[r]] = _nearest_answered(sims, ids, answered, ids[r], section_of, per_question, floor)
    return links


def _nearest_answered(sims, ids: Sequence[str], answered: list[int], cid: str, section_of: Callable[[str], object],
                      per_question: int, floor: float) -> list[str]:
    above = np.flatnonzero(sims >= floor)
    picked, sections = [], {section_of(cid)}
    for j in above[np.argsort(-sims[above], kind="stable")]:
        if len(picked) == per_question:
            break
        other = ids[answered[j]]
        if section_of(other) not in sections:
            sections.add(section_of(other))
            picked.append(other)
    return picked
