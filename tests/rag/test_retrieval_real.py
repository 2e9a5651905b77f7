"""Integration: the real MiniLM model and a real Chroma store over the real notes."""


def _titles(hits):
    return [h.chunk.heading.lower() for h in hits]


def test_compare_question_retrieves_both_sides(real_services):
    hits = real_services.retriever.search("explain canary vs blue-green", k=5).hits
    titles = _titles(hits)
    assert any("canary deployment" in t for t in titles), titles
    assert any("blue-green deployment" in t for t in titles), titles


def test_followup_retrieves_canary_rollback_content(real_services):
    r = real_services.retriever.search("and how do you roll it back?", ["explain canary vs blue-green"], k=5)
    assert len(r.queries) == 2 and r.covered
    top = r.hits[:3]
    assert any("canary" in h.chunk.heading.lower() and "rollback" in h.section_text.lower() for h in top), _titles(top)


def test_out_of_scope_questions_are_not_covered(real_services):
    for q in ("what is the time complexity of quicksort?", "how does Raft leader election work?",
              "what's the capital of France?"):
        r = real_services.retriever.search(q)
        assert not r.covered, (q, r.best_vector)
        assert r.nearest_topics  # the refusal can still name the nearest topics


def test_notes_own_questions_are_covered(real_services):
    bank = real_services.question_bank()
    assert len(bank) >= 120
    covered = [real_services.retriever.search(q.question).covered for q in bank]
    assert sum(covered) / len(covered) >= 0.95


def test_no_mojibake_in_any_citation(real_services):
    for c in real_services.retriever.chunks:
        for bad in ("üöÄ", "üß", "‚Ä", "Ô∏"):
            assert bad not in c.heading and bad not in c.text
