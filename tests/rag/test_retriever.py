"""Hybrid retrieval logic with fake embeddings and a real Chroma store."""

import pytest

from core.errors import IndexNotBuilt
from rag.retriever import HybridRetriever
from rag.services import build_services
from core.settings import Settings

HIT_KEYS = {"file", "heading", "text", "score", "chunk_id"}


def test_hits_carry_the_documented_fields(fake_services):
    r = fake_services.retriever.search("What is a model registry?", k=3)
    assert 1 <= len(r.hits) <= 3
    d = r.hits[0].to_dict()
    assert HIT_KEYS <= set(d)
    assert d["heading"].startswith(d["file"] + " > ")
    assert "model registry" in d["heading"].lower()


def test_bm25_and_vectors_built_once_per_index_version(fake_services, small_corpus):
    r = fake_services.retriever
    snap = r.searchable()
    r.search("model drift")
    assert r.searchable() is snap  # not rebuilt per query
    (small_corpus / "extra.md").write_text("# Extra\n\n### 1. What is a feature flag?\n\n**Answer:** A switch for code paths.\n")
    fake_services.ingest()
    assert r.searchable() is not snap and r.searchable().version != snap.version
    assert "feature flag" in r.search("What is a feature flag?").hits[0].chunk.heading.lower()


def test_near_duplicate_sections_do_not_crowd_the_top(fake_services, small_corpus):
    text = (small_corpus / "001_96c6a94c357aef9e.txt").read_text()
    (small_corpus / "copy_of_001.md").write_text(text)  # the same notes again under another name
    fake_services.ingest()
    hits = fake_services.retriever.search("What is a model registry?", k=5).hits
    texts = [h.chunk.text for h in hits]
    assert len(texts) == len(set(texts))


def test_one_hit_per_section(fake_services):
    hits = fake_services.retriever.search("how do you monitor ML models in production", k=5).hits
    keys = [(h.chunk.file, h.chunk.headings) for h in hits]
    assert len(keys) == len(set(keys))


def test_not_built_yet_is_a_clear_error(tmp_path, fake_embeddings, small_corpus):
    s = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "none"), embeddings=fake_embeddings)
    with pytest.raises(IndexNotBuilt, match="coach ingest"):
        s.retriever.search("anything")


def test_langchain_retriever_interface(fake_services):
    docs = fake_services.retriever.invoke("What is a model registry?")
    assert docs and docs[0].metadata["chunk_id"] and docs[0].page_content


def _retriever(services, **settings) -> HybridRetriever:
    return HybridRetriever(settings=services.settings.replace(**settings).retrieval, embeddings=services.embeddings,
                           index=services.index)


def test_dedup_threshold_decides_whether_a_copied_note_is_shown_twice(fake_services, small_corpus):
    text = (small_corpus / "001_96c6a94c357aef9e.txt").read_text()
    (small_corpus / "copy_of_001.md").write_text(text)
    fake_services.ingest()
    q = "What is a model registry?"
    deduped = [h.chunk.text for h in _retriever(fake_services, dedup_threshold=0.92).search(q, k=5).hits]
    kept = [h.chunk.text for h in _retriever(fake_services, dedup_threshold=1.0).search(q, k=5).hits]
    assert len(deduped) == len(set(deduped)) and len(kept) > len(set(kept))


def test_followup_below_decides_when_the_previous_turn_is_searched_too(fake_services):
    q, history = "What is model monitoring in production?", ["What is a model registry?"]  # reads as a new question
    assert len(_retriever(fake_services, followup_below=0.0).search(q, history).queries) == 1
    assert _retriever(fake_services, followup_below=1.0).search(q, history).queries == [q, f"{history[0]} {q}"]
    assert len(_retriever(fake_services, followup_below=0.0).search("and that?", history).queries) == 2  # reads as one


def test_an_unanswered_scenario_brings_the_sections_that_answer_it(fake_services, small_corpus):
    (small_corpus / "scenarios.md").write_text(
        "# Scenarios\n\n### Scenario 9: A bad model in the registry\n\n"
        "**Question:** A model registry is a centralized repository to store, version, manage, and promote ML "
        "models; it supports lineage tracking and rollback. A bad model went out: what now?\n")
    fake_services.ingest()
    q = "scenario 9 a bad model in the registry what now"
    hits = fake_services.retriever.search(q, k=3).hits
    heads = [h.chunk.headings[-1] for h in hits]
    assert heads[0].startswith("Scenario 9")
    linked = fake_services.retriever.searchable().links[hits[0].chunk_id]
    assert linked and hits[1].chunk_id == linked[0]  # its answer comes right after it
    assert "registry" in hits[1].chunk.heading.lower()
    assert hits[1].vector_score >= hits[0].vector_score  # it stands in for the scenario in the context cut


def test_top_indices_is_a_stable_descending_sort_cut_at_k():
    import numpy as np

    from rag.retriever import top_indices

    rng = np.random.default_rng(0)
    for trial in range(500):
        scores = rng.standard_normal(int(rng.integers(1, 60))).astype(np.float32)
        if trial % 2:
            scores = np.round(scores)  # many ties: kept in index order
        k = int(rng.integers(0, 70))
        assert top_indices(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist(), trial
