"""CI quality gates with the real embedding model, on the held-out parts: retrieval on the golden
set and the model-free judge on the calibration set must meet evals/thresholds.toml, and clearly
broken builds must not."""

import pytest

import rag.retriever
from evals.calibration import run_calibration
from evals.golden import SPLITS, load_golden, validate_golden
from evals.judges import Verdict
from evals.run import run_eval
from evals.thresholds import check_calibration, check_thresholds
from rag.retriever import HybridRetriever


def test_golden_set_is_valid_split_and_large_enough(real_services):
    items = load_golden()
    assert validate_golden(items, real_services.retriever.chunks) == []
    for split in SPLITS:
        part = load_golden(split=split)
        kinds = {k: sum(it["kind"] == k for it in part) for k in ("factual", "compare", "scenario", "followup", "out_of_scope")}
        assert len(part) >= 50 and all(n >= 6 for n in kinds.values()), (split, kinds)
    assert len(load_golden(split="tune")) + len(load_golden(split="heldout")) == len(items)
    files = {s["file"] for it in items for s in it["sources"]}
    assert len(files) == 5  # every notes file is covered


def test_retrieval_meets_the_gates_on_the_held_out_part(real_services):
    s = run_eval(real_services, generate=False, split="heldout")["summary"]
    print({k: s["retrieval"]["all"][k] for k in ("hit@1", "hit@5", "mrr")}, s["gate_refusal_rate_out_of_scope"])
    assert check_thresholds(s) == []


def _eval_with(services, **settings) -> dict:
    """The held-out retrieval summary of the same index searched with other settings."""
    retriever = HybridRetriever(settings=services.settings.replace(**settings).retrieval,
                                embeddings=services.embeddings, index=services.index)
    original = services.__dict__.pop("retriever", None)  # the cached one, if built yet
    services.__dict__["retriever"] = retriever
    try:
        return run_eval(services, generate=False, split="heldout")["summary"]
    finally:
        del services.__dict__["retriever"]
        if original is not None:
            services.__dict__["retriever"] = original


def test_a_broken_ranking_fails_the_retrieval_gates(real_services, monkeypatch):
    monkeypatch.setattr(rag.retriever, "RANKING_WEIGHTS", (0.0, 1.0, 0.0))  # BM25 alone
    fails = check_thresholds(_eval_with(real_services))
    assert any(f.startswith("hit@5") for f in fails) and any(f.startswith("mrr") for f in fails), fails


@pytest.mark.parametrize("min_relevance, gate", [(0.0, "gate refusal (out of scope)"), (0.5, "gate false refusal")])
def test_a_wrong_coverage_threshold_fails_the_refusal_gates(real_services, min_relevance, gate):
    fails = check_thresholds(_eval_with(real_services, min_relevance=min_relevance))
    assert [f for f in fails if f.startswith(gate)], fails


def test_model_free_judge_meets_its_gate_on_the_held_out_part(real_services):
    result = run_calibration(real_services, llm_judge=False, split="heldout")
    print(result["embedding"])
    assert check_calibration(result) == []


def test_a_judge_that_believes_every_claim_fails_its_gate(real_services, monkeypatch):
    monkeypatch.setattr("evals.judges.EmbeddingJudge.judge", lambda self, claims, context: [Verdict(True, 1.0) for _ in claims])
    result = run_calibration(real_services, llm_judge=False, split="heldout")
    assert check_calibration(result) == [f"embedding judge accuracy (planted claims) = {result['embedding']['accuracy']} < 0.7"]
