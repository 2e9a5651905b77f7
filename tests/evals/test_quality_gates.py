"""CI quality gates with the real embedding model: retrieval on the golden set and the model-free
judge on the calibration set must not fall below evals/thresholds.toml."""

from evals.calibration import run_calibration
from evals.golden import load_golden, validate_golden
from evals.run import run_eval
from evals.thresholds import check_calibration, check_thresholds


def test_golden_set_is_valid_and_large_enough(real_services):
    items = load_golden()
    assert validate_golden(items, real_services.retriever.chunks) == []
    kinds = {k: sum(it["kind"] == k for it in items) for k in ("factual", "compare", "scenario", "followup", "out_of_scope")}
    assert len(items) >= 80 and all(n >= 10 for n in kinds.values()), kinds
    files = {s["file"] for it in items for s in it["sources"]}
    assert len(files) == 5  # every notes file is covered


def test_retrieval_meets_the_gates(real_services):
    report = run_eval(real_services, generate=False)
    s = report["summary"]
    print({k: s["retrieval"]["all"][k] for k in ("hit@1", "hit@5", "mrr")}, s["gate_refusal_rate_out_of_scope"])
    assert check_thresholds(s) == []


def test_model_free_judge_meets_its_gate(real_services):
    result = run_calibration(real_services, llm_judge=False)
    print(result["embedding"])
    assert check_calibration(result) == []
