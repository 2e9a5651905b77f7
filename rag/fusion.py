"""Pure ranking helpers: reciprocal rank fusion and near-duplicate suppression."""

from __future__ import annotations

from collections.abc import Callable, Sequence


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
    for r, cid in enumerate(ids):
        if cid not in answerless:
            continue
        sims = vectors[answered] @ vectors[r]
        picked, sections = [], {section_of(cid)}
        for j in sorted(range(len(answered)), key=lambda j: -float(sims[j])):
            if float(sims[j]) < floor or len(picked) == per_question:
                break
            other = ids[answered[j]]
            if section_of(other) not in sections:
                sections.add(section_of(other))
                picked.append(other)
        links[cid] = picked
    return links
