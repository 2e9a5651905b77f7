from rag.fusion import drop_near_duplicates, reciprocal_rank_fusion


def test_rrf_rewards_agreement_between_rankings():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "a"]], k=60)
    assert [i for i, _ in fused][0] == "b"
    assert {i for i, _ in fused} == {"a", "b", "c"}


def test_rrf_scores_follow_formula_and_weights():
    fused = dict(reciprocal_rank_fusion([["a"], ["a", "b"]], k=10, weights=[2.0, 1.0]))
    assert abs(fused["a"] - (2 / 11 + 1 / 11)) < 1e-12
    assert abs(fused["b"] - 1 / 12) < 1e-12


def test_item_in_one_ranking_only_still_counts():
    fused = reciprocal_rank_fusion([["x", "y"], []])
    assert [i for i, _ in fused] == ["x", "y"]


def test_near_duplicates_do_not_crowd_the_top():
    sims = {frozenset("ab"): 0.97, frozenset("ac"): 0.2, frozenset("bc"): 0.1,
            frozenset("ad"): 0.1, frozenset("bd"): 0.1, frozenset("cd"): 0.95}
    kept = drop_near_duplicates(list("abcd"), lambda x, y: sims[frozenset(x + y)], 0.9, limit=3)
    assert kept == ["a", "c"]  # b duplicates a, d duplicates c


def test_dedup_stops_at_limit():
    assert drop_near_duplicates(list("abcdef"), lambda x, y: 0.0, 0.9, limit=2) == ["a", "b"]


def test_answer_links_pick_nearest_answered_sections_once_each():
    import numpy as np

    from rag.fusion import answer_links

    ids = ["q", "a1", "a1b", "a2", "far"]
    vecs = np.array([[1, 0, 0], [0.9, 0.44, 0], [0.95, 0.31, 0], [0.8, 0, 0.6], [0, 0, 1]], dtype=float)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    section = {"q": "S", "a1": "A", "a1b": "A", "a2": "B", "far": "C"}.get
    links = answer_links(vecs, ids, {"q"}, section, per_question=2, floor=0.5)
    assert links == {"q": ["a1b", "a2"]}  # a1 shares a1b's section; "far" is below the floor
    assert answer_links(vecs, ids, set(), section) == {}
    assert answer_links(vecs, ids, {"q"}, section, per_question=2, floor=0.99) == {"q": []}
