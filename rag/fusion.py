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
