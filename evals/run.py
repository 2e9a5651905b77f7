"""The evaluation runner: retrieval (no LLM), then generation with faithfulness judges.

Usable as ``coach eval`` or ``python -m evals.run``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from evals.golden import load_golden
from evals.judges import EmbeddingJudge, LLMJudge, split_claims, split_sentences
from evals.metrics import aggregate, mean, percentile, retrieval_scores
from evals.ragas_judge import RagasFaithfulness, make_ragas_judge
from rag.citations import CITATION
from rag.interview.grading import grade_answer
from rag.prompts import is_refusal as refusal_text
from rag.vectors import cosine

RETRIEVAL_KEYS = ["hit@1", "hit@3", "hit@5", "mrr", "context_precision", "source_recall@5"]
GEN_KEYS = ["faithfulness_embedding", "faithfulness_llm", "judge_agreement", "citation_precision",
            "key_point_recall", "answer_relevance", "total_ms", "first_token_ms"]


def is_refusal(answer) -> bool:
    return (not answer.covered) or refusal_text(answer.answer)


def _retrieval_row(services, item: dict, k: int) -> dict:
    r = services.retriever.search(item["question"], item.get("history") or [], k=max(k, 5))
    row = {"id": item["id"], "kind": item["kind"], "question": item["question"], "gate_refused": not r.covered,
           "best_cosine": round(r.best_vector, 4), "retrieval_ms": round(r.ms, 2),
           "hits": [f"{h.chunk.heading}" for h in r.hits[:5]]}
    if item["kind"] != "out_of_scope":
        row.update(retrieval_scores([h.to_dict() for h in r.hits], item["sources"], precision_k=k))
    return row


def _citation_precision(answer: str, blocks: dict[int, str], judge: EmbeddingJudge) -> float | None:
    """Share of (sentence, cited block) pairs where the block supports the sentence."""
    checks = []
    for sent in split_sentences(answer):
        nums = [int(n) for m in CITATION.finditer(sent) for n in m.group(1).replace(";", ",").split(",") if n.strip()]
        claim = CITATION.sub("", sent).strip()
        for n in nums:
            if n in blocks and claim:
                checks.append(judge.judge([claim], blocks[n])[0].supported)
    return sum(checks) / len(checks) if checks else None


def _generation_row(services, item: dict, emb_judge: EmbeddingJudge, llm_judge: LLMJudge | None,
                    ragas: RagasFaithfulness | None = None) -> dict:
    ans = services.chain.ask(item["question"], item.get("history") or [])
    refused = is_refusal(ans)
    row = {"answer": ans.answer, "refused": refused, "retried": ans.retried, "total_ms": ans.timings.get("total_ms"),
           "first_token_ms": ans.timings.get("first_token_ms"), "completion_tokens": ans.timings.get("completion_tokens")}
    if item["kind"] == "out_of_scope" or refused:
        return row
    claims = split_claims(ans.answer)
    emb = emb_judge.judge(claims, ans.context)
    row["claims"] = [{"text": c, "embedding": e.supported} for c, e in zip(claims, emb)]
    row["faithfulness_embedding"] = sum(v.supported for v in emb) / len(emb) if emb else None
    if llm_judge is not None and claims:
        llm = llm_judge.judge(claims, ans.context)
        for c, v in zip(row["claims"], llm):
            c["llm"] = v.supported
        row["faithfulness_llm"] = sum(v.supported for v in llm) / len(llm)
        row["judge_agreement"] = sum(a.supported == b.supported for a, b in zip(emb, llm)) / len(llm)
    if ragas is not None:
        row["faithfulness_ragas"] = ragas.score(item["question"], ans.answer, ans.context)
    blocks = {h.n: h.chunk.text for h in ans.sources}
    row["citation_precision"] = _citation_precision(ans.answer, blocks, emb_judge)
    if item.get("key_points"):  # the interviewer's grader: is each golden key point covered by the answer?
        grade = grade_answer(ans.answer, item["question"], item["key_points"], services.embeddings)
        row["key_point_recall"] = len(grade.covered) / len(grade.points)
    row["answer_relevance"] = round(cosine(services.embeddings, item["question"], ans.answer), 4)
    return row


def run_eval(services, *, kinds: list[str] | None = None, limit: int | None = None, k: int | None = None,
             split: str | None = None, generate: bool = True, llm_judge: bool = True,
             progress: Callable[[int, int], None] | None = None) -> dict:
    settings = services.settings
    k = k or settings.answer.context_k
    items = load_golden(kinds=kinds, limit=limit, split=split)
    emb_judge = EmbeddingJudge(services.embeddings)
    judge = LLMJudge(services.chat_model) if (generate and llm_judge) else None
    ragas, ragas_note = make_ragas_judge(settings.judge, settings.chat, services.chat_model) if generate else (None, "")
    rows, t0 = [], time.perf_counter()
    for i, item in enumerate(items, start=1):
        row = _retrieval_row(services, item, k)
        if generate:
            row.update(_generation_row(services, item, emb_judge, judge, ragas))
        rows.append(row)
        if progress:
            progress(i, len(items))
    in_scope = [r for r in rows if r["kind"] != "out_of_scope"]
    oos = [r for r in rows if r["kind"] == "out_of_scope"]
    refusal_key = "refused" if generate else "gate_refused"
    summary = {
        "retrieval": aggregate(in_scope, RETRIEVAL_KEYS) if in_scope else {},
        "retrieval_ms_p50": percentile([r["retrieval_ms"] for r in rows], 50),
        "retrieval_ms_p95": percentile([r["retrieval_ms"] for r in rows], 95),
        "refusal_rate_out_of_scope": mean(float(r[refusal_key]) for r in oos),
        "false_refusal_rate": mean(float(r[refusal_key]) for r in in_scope),
        "gate_refusal_rate_out_of_scope": mean(float(r["gate_refused"]) for r in oos),
        "gate_false_refusal_rate": mean(float(r["gate_refused"]) for r in in_scope),
    }
    if generate:
        summary["retried_rate"] = mean(float(r.get("retried", False)) for r in in_scope)
        answered = [r for r in in_scope if not r.get("refused")]
        keys = GEN_KEYS + (["faithfulness_ragas"] if ragas else [])
        summary["generation"] = aggregate(answered, keys) if answered else {}
        claims = [c for r in answered for c in r.get("claims", [])]
        summary["claims"] = len(claims)
        summary["faithfulness_embedding_claims"] = mean(float(c["embedding"]) for c in claims)
        if judge:
            summary["faithfulness_llm_claims"] = mean(float(c["llm"]) for c in claims if "llm" in c)
            summary["judge_agreement_claims"] = mean(float(c["llm"] == c["embedding"]) for c in claims if "llm" in c)
        summary["ragas"] = _ragas_summary(ragas, ragas_note, answered)
        if ragas is not None:
            ragas.close()
    return {
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "settings": {"llm_provider": settings.chat.llm_provider, "local_model": settings.chat.local_model,
                     "openai_model": settings.chat.openai_model if settings.chat.llm_provider == "openai" else None,
                     "k": k, "context_k": settings.answer.context_k, "min_relevance": settings.retrieval.min_relevance,
                     "context_token_budget": settings.answer.context_token_budget},
        "items": len(rows), "kinds": kinds or "all", "split": split or "all", "generate": generate,
        "seconds": round(time.perf_counter() - t0, 1),
        "summary": summary, "rows": rows,
    }


def _ragas_summary(ragas: RagasFaithfulness | None, note: str, answered: list[dict]) -> str:
    if ragas is None:
        return note
    scored = [r["faithfulness_ragas"] for r in answered if r.get("faithfulness_ragas") is not None]
    text = f"ran with {note}: faithfulness {mean(scored)} over {len(scored)} of {len(answered)} answers"
    if ragas.errors:
        text += f"; {len(ragas.errors)} failed (first: {ragas.errors[0]})"
    return text
