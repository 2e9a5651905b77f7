"""Judge calibration on labelled claims: ``planted`` ones (true sentences of the notes with a
lexical swap) and ``real`` ones (the chain's own answers on the golden held-out questions, labelled
by careful reading as supported, unsupported-but-true or false; evals/FORMAT.md)."""

from __future__ import annotations

from collections.abc import Callable

from evals.golden import CLAIM_SETS, in_split, read_jsonl
from evals.judges import EmbeddingJudge, LLMJudge
from evals.metrics import binary_scores


def run_calibration(services, *, llm_judge: bool = True, limit: int | None = None, split: str | None = None,
                    claims_set: str = "planted", progress: Callable[[int, int], None] | None = None) -> dict:
    items = in_split(read_jsonl(CLAIM_SETS[claims_set]), split)
    items = items[:limit] if limit else items
    judges = [EmbeddingJudge(services.embeddings)] + ([LLMJudge(services.chat_model)] if llm_judge else [])
    gold: list[bool] = []
    preds: dict[str, list[bool]] = {j.name: [] for j in judges}
    for i, item in enumerate(items, start=1):
        claims = [c["text"] for c in item["claims"]]
        gold += [bool(c["supported"]) for c in item["claims"]]
        for j in judges:
            preds[j.name] += [v.supported for v in j.judge(claims, item["context"])]
        if progress:
            progress(i, len(items))
    # positive class = "not supported": the judge's job is to catch planted claims
    out = {name: binary_scores([not p for p in ps], [not g for g in gold], positive=True) for name, ps in preds.items()}
    if len(judges) == 2:
        a, b = preds["embedding"], preds["llm"]
        out["agreement"] = round(sum(x == y for x, y in zip(a, b)) / len(a), 4)
    out["claims_set"] = claims_set
    out["split"] = split or "all"
    out["claims"] = len(gold)
    out["unsupported_claims"] = sum(not g for g in gold)
    return out
