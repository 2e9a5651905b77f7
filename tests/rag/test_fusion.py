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


def test_answer_links_match_a_one_question_at_a_time_reference():
    # the blocked matrix product picks what sorting each question's cosines on their own picks
    import numpy as np

    from rag.fusion import answer_links

    rng = np.random.default_rng(3)
    for trial in range(40):
        n = int(rng.integers(3, 300))
        vecs = rng.standard_normal((n, 16)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        ids = [f"c{i}" for i in range(n)]
        asking = set(rng.choice(ids, size=int(rng.integers(1, n)), replace=False))
        section = lambda c: int(c[1:]) // 3  # noqa: E731
        floor = float(rng.uniform(-0.3, 0.6))
        answered = [i for i, c in enumerate(ids) if c not in asking]
        expected = {}
        for r, cid in enumerate(ids):
            if cid not in asking or not answered:
                continue
            sims = vecs[answered] @ vecs[r]
            picked, seen = [], {section(cid)}
            for j in sorted(range(len(answered)), key=lambda j: -float(sims[j])):
                if sims[j] < floor or len(picked) == 2:
                    break
                if section(ids[answered[j]]) not in seen:
                    seen.add(section(ids[answered[j]]))
                    picked.append(ids[answered[j]])
            expected[cid] = picked
        assert answer_links(vecs, ids, asking, section, 2, floor) == expected, trial
