"""Incremental indexing of the notes into the vector store.

LangChain's indexing API does the bookkeeping: chunk ids are content-derived, the record
manager remembers what the store holds, so an unchanged re-run embeds nothing and a changed
note re-embeds only its changed chunks.  Alongside the store we write a snapshot of the chunks
(for BM25 and citations) and the question bank, with an index version the retriever watches.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.indexing import index

from ingest.chunk import chunk_units
from ingest.discover import discover_notes
from ingest.models import Chunk, QuestionItem
from ingest.parse import parse_units
from ingest.questions import build_question_bank, read_question_bank, write_jsonl
from ingest.records import SQLiteRecordManager
from ingest.text import clean_text, read_note

Progress = Callable[[int, int], None]  # (embedded so far, to embed in total)


@dataclass
class IngestReport:
    files: int
    chunks: int
    questions: int
    added: int
    updated: int
    deleted: int
    unchanged: int
    embedded: int
    seconds: float
    version: str
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Corpus:
    files: list[str]
    chunks: list[Chunk]
    questions: list[QuestionItem]
    warnings: list[str]


def load_corpus(corpus_dir: Path, max_words: int, min_words: int) -> Corpus:
    """Read, clean, parse and chunk every note (no model involved)."""
    paths, warnings = discover_notes(corpus_dir)
    files, chunks, questions = [], [], []
    for path in paths:
        rel = path.relative_to(corpus_dir).as_posix()
        units = parse_units(rel, clean_text(read_note(path)))
        file_chunks = chunk_units(units, max_words=max_words, min_words=min_words)
        if not file_chunks:
            warnings.append(f"skipped {rel}: no text")
            continue
        files.append(rel)
        chunks.extend(file_chunks)
        questions.extend(build_question_bank(units, file_chunks))
    return Corpus(files, chunks, questions, warnings)


def index_version(chunks: list[Chunk]) -> str:
    return hashlib.sha256("\n".join(sorted(c.chunk_id for c in chunks)).encode()).hexdigest()[:16]


class _CountingEmbeddings(Embeddings):
    """Passes through to the real model and reports how many chunks have been embedded."""

    def __init__(self, inner: Embeddings, total: int, progress: Progress | None) -> None:
        self.inner, self.total, self.progress, self.done = inner, total, progress, 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out = self.inner.embed_documents(texts)
        self.done += len(texts)
        if self.progress:
            self.progress(self.done, self.total)
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _snapshot_keys(chunks_file: Path) -> dict[tuple, str]:
    """(file, headings, part) -> chunk id of the previous run, to tell updates from additions."""
    if not chunks_file.exists():
        return {}
    keys = {}
    for line in chunks_file.read_text(encoding="utf-8").splitlines():
        md = json.loads(line)
        keys[(md["file"], md["headings"], md["part"])] = md["chunk_id"]
    return keys


def run_ingest(settings, embeddings: Embeddings, make_store: Callable[[Embeddings], object],
               progress: Progress | None = None) -> IngestReport:
    """Index ``settings.corpus_dir``; ``make_store(embeddings)`` opens the vector store."""
    t0 = time.perf_counter()
    corpus = load_corpus(settings.corpus_dir, settings.chunk_max_words, settings.chunk_min_words)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    records = SQLiteRecordManager(f"chroma/{settings.collection}", settings.record_db)
    try:
        ids = [c.chunk_id for c in corpus.chunks]
        to_embed = len(set(ids)) - sum(records.exists(sorted(set(ids))))
        counting = _CountingEmbeddings(embeddings, to_embed, progress)
        store = make_store(counting)
        docs = [Document(page_content=c.embed_text, metadata=c.metadata(), id=c.chunk_id) for c in corpus.chunks]
        result = index(
            docs, records, store, cleanup="full", source_id_key="file", batch_size=32,
            key_encoder=lambda d: d.metadata["chunk_id"],
        )
    finally:
        records.close()

    before = _snapshot_keys(settings.chunks_file)
    now = {(c.file, "\x1f".join(c.headings), c.part): c.chunk_id for c in corpus.chunks}
    updated = sum(1 for k, cid in now.items() if k in before and before[k] != cid)
    version = index_version(corpus.chunks)
    _write_atomic(settings.chunks_file, "".join(json.dumps(c.metadata(), ensure_ascii=False) + "\n" for c in corpus.chunks))
    write_jsonl(corpus.questions, settings.questions_file)
    report = IngestReport(
        files=len(corpus.files), chunks=len(corpus.chunks), questions=len(corpus.questions),
        added=result["num_added"] - updated, updated=updated,
        deleted=max(0, result["num_deleted"] - updated), unchanged=result["num_skipped"],
        embedded=counting.done, seconds=round(time.perf_counter() - t0, 3), version=version,
        warnings=corpus.warnings,
    )
    meta = {"version": version, "ingested_at": time.strftime("%Y-%m-%d %H:%M:%S"), "report": report.to_dict(),
            "files": {f: {"chunks": sum(c.file == f for c in corpus.chunks),
                          "questions": sum(q.file == f for q in corpus.questions)} for f in corpus.files}}
    _write_atomic(settings.data_dir / "index.json", json.dumps(meta, indent=1))
    return report


def read_index_meta(settings) -> dict | None:
    path = settings.data_dir / "index.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def read_chunks(settings) -> list[Chunk]:
    return [Chunk.from_metadata(json.loads(l)) for l in settings.chunks_file.read_text(encoding="utf-8").splitlines() if l]


def read_questions(settings) -> list[QuestionItem]:
    return read_question_bank(settings.questions_file) if settings.questions_file.exists() else []
