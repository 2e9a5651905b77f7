"""Pure retrieval and aggregation metrics (no models)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence

from ingest.markdown import strip_inline
from ingest.models import split_heading


def norm_heading(text: str) -> str:
    """Compare headings ignoring case, emphasis, numbering prefixes and punctuation spacing."""
    t = strip_inline(text).lstrip("#").lower()
    t = re.sub(r"^\s*(q:|scenario:|\d+\.)\s*", "", t)
    return re.sub(r"\s+", " ", t).strip(" :")


def matches(hit: dict, source: dict) -> bool:
    """A retrieved chunk answers a golden source when it is in that file under that heading."""
    if hit["file"] != source["file"]:
        return False
    want = norm_heading(source["heading"])
    return any(norm_heading(h) == want for h in split_heading(hit["heading"])[1:])


def first_match_rank(hits: Sequence[dict], sources: Sequence[dict]) -> int | None:
    for rank, hit in enumerate(hits, start=1):
        if any(matches(hit, s) for s in sources):
            return rank
    return None


def retrieval_scores(hits: Sequence[dict], sources: Sequence[dict], precision_k: int) -> dict:
    rank = first_match_rank(hits, sources)
    top = hits[:precision_k]
    found = [s for s in sources if any(matches(h, s) for h in hits[:5])]
    return {
        "hit@1": float(rank is not None and rank <= 1),
        "hit@3": float(rank is not None and rank <= 3),
        "hit@5": float(rank is not None and rank <= 5),
        "mrr": 1.0 / rank if rank else 0.0,
        "context_precision": (sum(any(matches(h, s) for s in sources) for h in top) / len(top)) if top else 0.0,
        "source_recall@5": len(found) / len(sources) if sources else 0.0,
    }


def mean(values: Iterable[float]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(statistics.fmean(vals), 4) if vals else None


def percentile(values: Sequence[float], p: float) -> float | None:
    vals = sorted(values)
    if not vals:
        return None
    i = min(len(vals) - 1, max(0, round(p / 100 * (len(vals) - 1))))
    return round(vals[i], 2)


def aggregate(rows: Sequence[dict], keys: Sequence[str], by: str = "kind") -> dict:
    """{"all": {key: mean}, "<kind>": {...}} over rows that carry the key."""
    out: dict[str, dict] = {"all": {k: mean(r.get(k) for r in rows) for k in keys} | {"n": len(rows)}}
    for group in sorted({r[by] for r in rows}):
        sub = [r for r in rows if r[by] == group]
        out[group] = {k: mean(r.get(k) for r in sub) for k in keys} | {"n": len(sub)}
    return out


def binary_scores(pred: Sequence[bool], gold: Sequence[bool], positive: bool = False) -> dict:
    """Accuracy, precision, recall, F1 with ``positive`` as the class of interest
    (for a faithfulness judge: "not supported", i.e. catching planted claims)."""
    tp = sum(p == positive and g == positive for p, g in zip(pred, gold))
    fp = sum(p == positive and g != positive for p, g in zip(pred, gold))
    fn = sum(p != positive and g == positive for p, g in zip(pred, gold))
    acc = sum(p == g for p, g in zip(pred, gold)) / len(gold) if gold else 0.0
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"accuracy": round(acc, 4), "precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "n": len(gold)}
