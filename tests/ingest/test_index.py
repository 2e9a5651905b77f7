"""Incremental indexing against a real Chroma store, with fake embeddings (no model)."""

import json
import shutil

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


# ---- damage and odd files: a way out, never a traceback


def _chroma_file(services):
    return services.settings.paths.data_dir / "chroma" / "chroma.sqlite3"


def test_an_emptied_store_is_repaired_by_the_next_ingest(services, fake_embeddings):
    first = services.ingest()
    _chroma_file(services).write_bytes(b"")  # 0 bytes: the records still list every chunk
    services.index._store = None
    r = services.ingest()
    assert r.embedded == first.chunks  # the lost chunks are embedded again, not skipped
    assert any(f"{first.chunks} chunks the records listed were missing" in w for w in r.warnings)
    assert len(services.index.store.get()["ids"]) == first.chunks
    assert services.ingest().embedded == 0  # and the next run is back to incremental


def test_a_half_cut_store_names_the_rebuild_which_repairs_it(services):
    from core.errors import IndexDamaged

    first = services.ingest()
    path = _chroma_file(services)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(IndexDamaged, match=r"coach ingest --rebuild"):
        services.ingest()
    assert services.index.snapshot().version == first.version  # readers keep the last good version
    r = services.ingest(rebuild=True)
    assert r.embedded == r.chunks == first.chunks and r.version == first.version
    assert services.ingest().embedded == 0


@pytest.mark.parametrize("damage", ["index.json", "chunks.jsonl", "vectors"])
def test_damaged_snapshot_files_are_a_clear_error_and_rebuild_clears_it(services, damage):
    from core.errors import IndexDamaged

    services.ingest()
    folder = services.settings.paths.data_dir
    target = next(folder.glob("vectors-*.npz")) if damage == "vectors" else folder / damage
    target.write_bytes(target.read_bytes()[:40])
    services.index._snapshot = None
    with pytest.raises(IndexDamaged, match=r"coach ingest --rebuild"):
        services.index.snapshot()
    services.ingest(rebuild=True)
    services.index._snapshot = None
    assert len(services.index.snapshot().chunks) > 10


def test_an_unreadable_note_is_skipped_with_a_warning_and_keeps_its_last_chunks(services, small_corpus, monkeypatch):
    import errno

    import ingest.index as index_module

    first = services.ingest()
    bad = "003_eba972981bf49b22.txt"
    kept = sum(c.file == bad for c in services.index.snapshot().chunks)
    real = index_module.read_note

    def read(path):
        if path.name == bad:
            raise OSError(errno.EIO, "Input/output error")
        return real(path)

    monkeypatch.setattr(index_module, "read_note", read)
    (small_corpus / "new.md").write_text("# New\n\n### 1. What is a canary?\n\n**Answer:** A small first rollout to a few users.\n")
    r = services.ingest()
    assert any(w == f"skipped {bad}: it could not be read (Input/output error)" for w in r.warnings)
    assert any(f"kept the {kept} chunks of {bad}" in w for w in r.warnings)
    assert r.added == 1 and r.deleted == 0 and r.chunks == first.chunks + 1  # the other notes went on
    assert any(q.file == bad for q in services.index.questions())


def test_binary_and_utf16_notes_are_read_by_the_upload_reader(services, small_corpus):
    (small_corpus / "program.md").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 40)
    (small_corpus / "utf16.md").write_bytes("# Zebra notes\n\n### What is a zebra crossing?\n\n**Answer:** Stripes.\n".encode("utf-16"))
    r = services.ingest()
    assert "skipped program.md: this looks like a binary file, not a text note." in r.warnings
    assert not any(c.file == "program.md" for c in services.index.snapshot().chunks)
    (z,) = [c for c in services.index.snapshot().chunks if c.file == "utf16.md"]
    assert z.headings[0] == "Zebra notes" and "Stripes." in z.text


def test_a_large_note_is_announced_before_it_is_read(tmp_path, small_corpus, fake_embeddings):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", large_note_bytes=20_000)
    s = build_services(settings, embeddings=fake_embeddings)
    (small_corpus / "big.md").write_text("# Big\n\n## What is big?\n\n" + "word " * 5000)
    heard: list[str] = []
    r = s.ingest(notify=heard.append)
    assert heard == ["big.md is 25 KB: reading and embedding a note this large takes minutes"]
    assert any(w.startswith("big.md is 25 KB (") and "chunks)" in w for w in r.warnings)


def _ingest_slowly(corpus: str, data: str, started) -> None:
    """An ingest whose embedding takes a while per batch, announcing each batch (killed mid-way)."""
    import time

    from conftest import FakeEmbeddings

    class Slow(FakeEmbeddings):
        def embed_documents(self, texts):
            started.set()
            time.sleep(0.3)
            return super().embed_documents(texts)

    build_services(Settings(corpus_dir=corpus, data_dir=data), embeddings=Slow()).ingest()


def test_sigkill_during_embedding_then_resume_leaves_a_consistent_index(tmp_path, fake_embeddings):
    """SIGKILL in the middle of embedding, then ingest again: every chunk is in the store exactly
    once, the records list exactly the store's ids, and only the chunks not yet stored are embedded."""
    import multiprocessing
    import os
    import signal

    from langchain_classic.indexes import SQLRecordManager

    from conftest import ROOT

    small_corpus = tmp_path / "corpus"  # the whole corpus: ~600 chunks, ~19 batches
    shutil.copytree(ROOT / "corpus", small_corpus)
    data = tmp_path / "data"
    ctx = multiprocessing.get_context("spawn")
    started = ctx.Event()
    proc = ctx.Process(target=_ingest_slowly, args=(str(small_corpus), str(data), started))
    proc.start()
    assert started.wait(60), "the ingest never started embedding"
    import time

    time.sleep(1.0)  # a few batches stored, more to come
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    services = build_services(Settings(corpus_dir=small_corpus, data_dir=data), embeddings=fake_embeddings)
    stored_before = len(services.index.store.get()["ids"])
    services.index._store = None
    report = services.ingest()
    assert 0 < stored_before < report.chunks  # the kill did land mid-way
    assert report.embedded == report.chunks - stored_before  # what was stored is not embedded again
    ids = services.index.store.get()["ids"]
    assert len(ids) == len(set(ids)) == report.chunks
    records = SQLRecordManager(f"chroma/{services.settings.paths.collection}", db_url=f"sqlite:///{data / 'records.sqlite'}")
    try:
        assert set(records.list_keys()) == set(ids) == {c.chunk_id for c in services.index.snapshot().chunks}
    finally:
        records.engine.dispose()
