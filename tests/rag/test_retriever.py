"""Hybrid retrieval logic with fake embeddings and a real Chroma store."""

import pytest

from core.errors import IndexNotBuilt
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
