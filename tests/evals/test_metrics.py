from evals.golden import validate_golden
from evals.judges import split_claims
from evals.metrics import aggregate, binary_scores, matches, norm_heading, retrieval_scores
from evals.report import better, compare
from ingest.models import Chunk


def _hit(file, *heads):
    return {"file": file, "heading": " > ".join((file, *heads))}


def test_heading_matching_ignores_numbering_and_emphasis():
    assert norm_heading("**9. What is canary?**") == norm_heading("What is canary?")
    assert norm_heading("Scenario: Your model drops") == norm_heading("Your model drops")
    assert matches(_hit("a.txt", "Top", "9. What is canary?"), {"file": "a.txt", "heading": "What is canary?"})
    assert not matches(_hit("b.txt", "9. What is canary?"), {"file": "a.txt", "heading": "What is canary?"})


def test_retrieval_scores():
    hits = [_hit("a", "x"), _hit("a", "canary"), _hit("a", "blue-green")]
    src = [{"file": "a", "heading": "canary"}, {"file": "a", "heading": "blue-green"}]
    s = retrieval_scores(hits, src, precision_k=3)
    assert s["hit@1"] == 0 and s["hit@3"] == 1 and s["mrr"] == 0.5
    assert abs(s["context_precision"] - 2 / 3) < 1e-9 and s["source_recall@5"] == 1.0


def test_aggregate_by_kind_and_binary_scores():
    rows = [{"kind": "a", "m": 1.0}, {"kind": "a", "m": 0.0}, {"kind": "b", "m": 1.0}]
    agg = aggregate(rows, ["m"])
    assert agg["all"]["m"] == round(2 / 3, 4) and agg["a"]["n"] == 2
    s = binary_scores([True, False, True, False], [True, True, False, False], positive=True)
    assert s["accuracy"] == 0.5 and s["precision"] == 0.5 and s["recall"] == 0.5


def test_claims_drop_citations_and_refusals():
    claims = split_claims("Canary shifts 5% of traffic first [1]. It rolls back automatically [2][3]. My notes don't cover that. Ok.")
    assert claims == ["Canary shifts 5% of traffic first.", "It rolls back automatically."]


def test_validator_names_each_problem():
    chunks = [Chunk("1", "a.txt", ("Top", "9. What is canary?"), "t")]
    items = [
        {"id": "g1", "kind": "factual", "question": "q", "sources": [{"file": "a.txt", "heading": "What is canary?"}],
         "key_points": ["x", "y", "z"]},
        {"id": "g2", "kind": "factual", "question": "q", "sources": [{"file": "a.txt", "heading": "Nope"}], "key_points": ["x"]},
        {"id": "g3", "kind": "followup", "question": "q", "history": [], "sources": [{"file": "z.txt", "heading": "x"}],
         "key_points": ["x", "y", "z"]},
        {"id": "g4", "kind": "out_of_scope", "question": "q", "sources": [], "key_points": []},
    ]
    for it in items:
        it["split"] = "tune"
    items.append({"id": "g5", "split": "train", "kind": "out_of_scope", "question": "q", "sources": [], "key_points": []})
    errors = validate_golden(items, chunks)
    assert [e for e in errors if e.startswith("g5")] == ["g5: split 'train' not one of ('tune', 'heldout')"]
    assert any("g2" in e and "Nope" in e for e in errors) and any("g2" in e and "3-6" in e for e in errors)
    assert any("g3" in e and "history" in e for e in errors) and any("g3" in e and "z.txt" in e for e in errors)
    assert not any(e.startswith(("g1", "g4")) for e in errors)


def test_compare_reports():
    a = {"summary": {"retrieval": {"all": {"mrr": 0.8}}, "x": 1}}
    b = {"summary": {"retrieval": {"all": {"mrr": 0.9}}, "y": 2}}
    rows = {r[0]: r for r in compare(a, b)}
    assert rows["retrieval.all.mrr"][3] == 0.1 and rows["x"][2] is None



def test_better_knows_which_way_is_up():
    assert better("retrieval.all.mrr", 0.1) is True and better("faithfulness_llm_claims", -0.02) is False
    assert better("false_refusal_rate", 0.01) is False and better("generation.all.first_token_ms", -120.0) is True
    assert better("claims", -64) is None and better("generation.all.n", 1) is None and better("x", 0) is None


def _summary(hit5=0.96, mrr=0.81, oos=1.0, false=0.0, faith=None) -> dict:
    s = {"retrieval": {"all": {"hit@5": hit5, "mrr": mrr}}, "gate_refusal_rate_out_of_scope": oos,
         "gate_false_refusal_rate": false}
    if faith is not None:
        s.update(generation={"all": {"faithfulness_llm": faith}}, refusal_rate_out_of_scope=oos, false_refusal_rate=false)
    return s


def test_threshold_checker_passes_a_good_summary_and_names_each_failed_gate():
    from evals.thresholds import check_thresholds

    assert check_thresholds(_summary()) == [] and check_thresholds(_summary(faith=0.9)) == []
    assert check_thresholds(_summary(hit5=0.8)) == ["hit@5 = 0.8 < 0.9"]
    assert check_thresholds(_summary(mrr=0.7, oos=0.5)) == ["mrr = 0.7 < 0.75", "gate refusal (out of scope) = 0.5 < 0.8"]
    assert check_thresholds(_summary(false=0.1)) == ["gate false refusal = 0.1 > 0.05"]
    assert check_thresholds(_summary(faith=0.5)) == ["faithfulness (chat-model judge, mean per answer) = 0.5 < 0.85"]
    assert check_thresholds({"retrieval": {}}) == ["hit@5 = None < 0.9", "mrr = None < 0.75"]  # a missing figure fails
