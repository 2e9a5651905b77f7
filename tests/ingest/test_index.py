"""Incremental indexing against a real Chroma store, with fake embeddings (no model)."""

import json

import pytest

from core.errors import CorpusError
from rag.services import build_services
from core.settings import Settings


@pytest.fixture
def services(tmp_path, small_corpus, fake_embeddings):
    return build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data"), embeddings=fake_embeddings)


def test_first_run_embeds_everything_and_writes_snapshot(services, fake_embeddings):
    r = services.ingest()
    assert r.files == 2 and r.chunks > 10
    assert r.added == r.chunks == r.embedded and r.unchanged == 0 and r.deleted == 0
    snap = services.index.snapshot()
    assert len(snap.chunks) == r.chunks and snap.vectors.shape == (r.chunks, fake_embeddings.dim)
    assert all("ü" not in c.heading for c in snap.chunks)  # mojibake never reaches citations
    assert len(services.index.questions()) == r.questions >= 15
    assert len(services.index.store.get()["ids"]) == r.chunks
    assert services.index.version() == r.version


def test_unchanged_rerun_embeds_nothing(services, fake_embeddings):
    first = services.ingest()
    calls = fake_embeddings.calls
    again = services.ingest()
    assert again.embedded == 0 and fake_embeddings.calls == calls
    assert again.unchanged == first.chunks and again.added == again.updated == again.deleted == 0
    assert again.version == first.version


def test_changed_answer_reembeds_only_that_chunk(services, small_corpus):
    first = services.ingest()
    note = small_corpus / "003_eba972981bf49b22.txt"
    note.write_text(note.read_text().replace("doesn't bloat the Git server", "keeps the Git server small"))
    r = services.ingest()
    assert r.updated == 1 and r.embedded == 1 and r.added == 0 and r.deleted == 0
    assert r.unchanged == first.chunks - 1 and r.version != first.version


def test_removed_file_is_deleted_and_new_file_added(services, small_corpus):
    first = services.ingest()
    (small_corpus / "003_eba972981bf49b22.txt").unlink()
    (small_corpus / "new.md").write_text("# New\n\n### 1. What is a canary?\n\n**Answer:** A small first rollout to a few users.\n")
    (small_corpus / "diagram.png").write_bytes(b"\x89PNG")
    r = services.ingest()
    assert r.added == 1 and r.deleted > 0 and r.files == 2
    assert any("diagram.png" in w for w in r.warnings)
    ids = set(services.index.store.get()["ids"])
    assert len(ids) == first.chunks - r.deleted + 1


def test_missing_or_empty_corpus_is_a_clear_error(tmp_path, fake_embeddings):
    s = build_services(Settings(corpus_dir=tmp_path / "nope", data_dir=tmp_path / "d"), embeddings=fake_embeddings)
    with pytest.raises(CorpusError, match="nope"):
        s.ingest()
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x.pdf").write_bytes(b"%PDF")
    s = build_services(Settings(corpus_dir=tmp_path / "empty", data_dir=tmp_path / "d"), embeddings=fake_embeddings)
    with pytest.raises(CorpusError):
        s.ingest()


def test_undecodable_bytes_do_not_lose_the_note(services, small_corpus):
    (small_corpus / "broken.md").write_bytes(b"# Broken\n\n**Q:** What is drift?\n**Answer:**\n\n> Change \xff\xfe in data \x81.\n")
    r = services.ingest()
    assert r.files == 3
    assert any(q.question == "What is drift?" for q in services.question_bank())


def _build_in_another_process(corpus: str, data: str) -> int:
    from conftest import FakeEmbeddings

    services = build_services(Settings(corpus_dir=corpus, data_dir=data), embeddings=FakeEmbeddings())
    return services.ingest().chunks


def test_an_index_rebuilt_by_another_process_is_read_and_rebuilt_here(services, small_corpus, tmp_path):
    """`coach ingest` in a terminal while the app runs: the app must read the new version, and its own
    re-index must still work (Chroma's cached handles in this process are stale then)."""
    import multiprocessing

    services.ingest()
    assert services.retriever.search("What is a feature flag?").hits  # this process holds its handles now
    (small_corpus / "extra.md").write_text("# Extra\n\n### 1. What is a feature flag?\n\n**Answer:** A switch for code paths.\n")
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        chunks = pool.apply(_build_in_another_process, (str(small_corpus), str(services.settings.paths.data_dir)))
    assert len(services.index.snapshot().chunks) == chunks
    assert services.retriever.search("What is a feature flag?").hits[0].chunk.file == "extra.md"
    (small_corpus / "extra.md").unlink()
    report = services.ingest()  # the Notes tab's re-index, in this process
    assert report.deleted == 1 and report.embedded == 0
    assert all(c.file != "extra.md" for c in services.index.snapshot().chunks)


def test_notes_that_all_come_out_blank_never_empty_the_store(services, small_corpus):
    first = services.ingest()
    for note in small_corpus.iterdir():
        note.write_text("\n\n---\n\n", encoding="utf-8")  # every note now parses to nothing
    with pytest.raises(CorpusError, match="no text in the notes"):
        services.ingest()
    assert len(services.index.store.get()["ids"]) == first.chunks  # nothing was deleted
    assert services.index.version() == first.version and services.retriever.search("model registry").hits
