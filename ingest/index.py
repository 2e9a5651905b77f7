"""The notes index and the one object that owns its files.

``NoteIndex`` builds, versions and reads everything under the data folder that describes the
notes: the Chroma store (``chroma/``), LangChain's SQL record manager (``records.sqlite``), the chunk
snapshot (``chunks.jsonl``, for BM25 and citations) and its vectors (``vectors-<version>.npz``), the
question bank (``questions.jsonl``), the index description (``index.json``, whose ``version``
readers watch; written last) and cached vectors derived from one version (``titles-<version>.npy``).
Nobody else opens these paths.

Readers never query Chroma: a snapshot is plain files written by the build, so another process
re-indexing the same folder (``coach ingest`` while the app runs) cannot leave a reader holding a
stale store handle; the reader just loads the new version's files when ``index.json`` changes.

Building uses LangChain's indexing API: chunk ids are content-derived and the record manager
remembers what the store holds, so an unchanged re-run embeds nothing and a changed note
re-embeds only its changed chunks.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.indexing import index
from langchain_core.vectorstores import VectorStore

from core.errors import CorpusError, IndexBusy, IndexNotBuilt
from core.settings import ChunkingSettings, PathSettings
from ingest.chunk import chunk_units
from ingest.discover import discover_notes, write_note
from ingest.models import Chunk, QuestionItem
from ingest.parse import parse_units
from ingest.questions import build_question_bank
from ingest.text import clean_text, read_note
from ingest.vectorstore import make_vector_store

Progress = Callable[[int, int], None]  # (embedded so far, to embed in total)
StoreFactory = Callable[[Path, str, Embeddings], VectorStore]


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


@dataclass(frozen=True)
class IndexSnapshot:
    """One version of the index, read once: every chunk and its vector (row i = chunks[i])."""

    version: str
    chunks: list[Chunk]
    vectors: np.ndarray


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
    """A reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


class NoteIndex:
    """Owns the index files of one data folder (see the module docstring)."""

    def __init__(self, paths: PathSettings, chunking: ChunkingSettings, embeddings: Embeddings,
                 make_store: StoreFactory = make_vector_store) -> None:
        self.corpus_dir = Path(paths.corpus_dir)
        self.folder = Path(paths.data_dir)
        self.collection = paths.collection
        self.chunking = chunking
        self.embeddings = embeddings
        self._make_store = make_store
        self._store: VectorStore | None = None
        self._snapshot: IndexSnapshot | None = None
        self._lock = threading.Lock()

    # --- the files -----------------------------------------------------------------------
    @property
    def _chroma_dir(self) -> Path:
        return self.folder / "chroma"

    @property
    def _records_db(self) -> Path:
        return self.folder / "records.sqlite"

    @property
    def _chunks_file(self) -> Path:
        return self.folder / "chunks.jsonl"

    @property
    def _questions_file(self) -> Path:
        return self.folder / "questions.jsonl"

    @property
    def _meta_file(self) -> Path:
        return self.folder / "index.json"

    def _open_store(self, embeddings: Embeddings) -> VectorStore:
        return self._make_store(self._chroma_dir, self.collection, embeddings)

    @property
    def store(self) -> VectorStore:
        if self._store is None:
            self._store = self._open_store(self.embeddings)
        return self._store

    # --- reading -------------------------------------------------------------------------
    def meta(self) -> dict | None:
        """What the last build wrote (version, time, report, per-file counts), or None."""
        try:
            return json.loads(self._meta_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def version(self) -> str | None:
        meta = self.meta()
        return meta["version"] if meta else None

    @property
    def built(self) -> bool:
        return self._meta_file.exists()

    def questions(self) -> list[QuestionItem]:
        """The question bank (empty before the first build)."""
        try:
            lines = self._questions_file.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [QuestionItem.from_dict(json.loads(line)) for line in lines if line.strip()]

    def _read_chunks(self) -> list[Chunk]:
        lines = self._chunks_file.read_text(encoding="utf-8").splitlines()
        return [Chunk.from_metadata(json.loads(line)) for line in lines if line]

    def snapshot(self) -> IndexSnapshot:
        """The current version's chunks and vectors, read again only when the version changed
        (another build, in this process or another).  ``IndexNotBuilt`` before the first build."""
        version = self.version()
        if version is None:
            raise IndexNotBuilt(f"the notes are not indexed yet in {self.folder}: run `coach ingest`")
        snap = self._snapshot
        if snap is None or snap.version != version:
            with self._lock:
                if self._snapshot is None or self._snapshot.version != version:
                    self._snapshot = self._load(version)
                snap = self._snapshot
        return snap

    def _vectors_file(self, version: str) -> Path:
        return self.folder / f"vectors-{version}.npz"

    def _load(self, version: str) -> IndexSnapshot:
        chunks = self._read_chunks()
        ids = [c.chunk_id for c in chunks]
        path = self._vectors_file(version)
        if path.exists():
            with np.load(path) as data:
                saved_ids, vectors = list(data["ids"]), data["vectors"]
            if saved_ids != ids:  # another build replaced the chunk file meanwhile
                raise IndexBusy("the notes are being indexed again right now: try again in a moment")
            return IndexSnapshot(version, chunks, vectors)
        # an index built before vector files existed: read them from the store once
        vectors = self._store_vectors(self.store, ids)
        self._save_vectors(version, ids, vectors)
        return IndexSnapshot(version, chunks, vectors)

    @staticmethod
    def _store_vectors(store: VectorStore, ids: list[str]) -> np.ndarray:
        got = store.get(ids=ids, include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
        if missing := [i for i in ids if i not in by_id]:
            raise IndexNotBuilt(f"the vector store lacks {len(missing)} chunks of the index: run `coach ingest`")
        return np.asarray([by_id[i] for i in ids], dtype=np.float32).reshape(len(ids), -1)

    def _save_vectors(self, version: str, ids: list[str], vectors: np.ndarray) -> None:
        path = self._vectors_file(version)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, ids=np.asarray(ids), vectors=vectors)
        os.replace(tmp, path)

    def _drop_old_versions(self, version: str) -> None:
        """Once ``index.json`` names ``version``, the files of earlier versions go."""
        for pattern in ("vectors-*.npz", "titles-*.npy"):
            for old in self.folder.glob(pattern):
                if version not in old.name:
                    old.unlink(missing_ok=True)

    def cached_vectors(self, name: str, version: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Vectors derived from one index version (e.g. section titles), computed once and kept
        beside the index until the next version replaces them."""
        path = self.folder / f"{name}-{version}.npy"
        if path.exists():
            return np.load(path)
        vectors = compute()
        tmp = path.with_name(path.name + ".tmp.npy")
        np.save(tmp, vectors)
        os.replace(tmp, path)
        return vectors

    # --- writing -------------------------------------------------------------------------
    def add_note(self, name: str, text: str) -> tuple[str, bool]:
        """Write a new note into the notes folder (never overwriting); see ``write_note``."""
        return write_note(self.corpus_dir, name, text)

    def build(self, progress: Progress | None = None) -> IngestReport:
        """Index the notes folder incrementally and write the snapshot files and a new version."""
        from langchain_classic.indexes import SQLRecordManager

        t0 = time.perf_counter()
        corpus = load_corpus(self.corpus_dir, self.chunking.chunk_max_words, self.chunking.chunk_min_words)
        if not corpus.chunks:  # never empty the store because every note came out blank
            raise CorpusError(f"no text in the notes of {self.corpus_dir}: " + "; ".join(corpus.warnings[:5]))
        self.folder.mkdir(parents=True, exist_ok=True)
        records = SQLRecordManager(f"chroma/{self.collection}", db_url=f"sqlite:///{self._records_db}")
        records.create_schema()
        try:
            chunk_ids = [c.chunk_id for c in corpus.chunks]
            unique = sorted(set(chunk_ids))
            counting = _CountingEmbeddings(self.embeddings, len(unique) - sum(records.exists(unique)), progress)
            docs = [Document(page_content=c.embed_text, metadata=c.metadata(), id=c.chunk_id) for c in corpus.chunks]
            store = self._open_store(counting)
            self._store = None  # a reading handle opened before is stale now
            result = index(docs, records, store, cleanup="full", source_id_key="file",
                           batch_size=32, key_encoder=lambda d: d.metadata["chunk_id"])
            vectors = self._store_vectors(store, chunk_ids)
        finally:
            records.engine.dispose()

        before = self._previous_keys()
        now = {c.position: c.chunk_id for c in corpus.chunks}
        updated = sum(1 for k, cid in now.items() if k in before and before[k] != cid)
        version = index_version(corpus.chunks)
        self._save_vectors(version, chunk_ids, vectors)
        _write_atomic(self._chunks_file, _jsonl([c.metadata() for c in corpus.chunks]))
        _write_atomic(self._questions_file, _jsonl([q.to_dict() for q in corpus.questions]))
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
        _write_atomic(self._meta_file, json.dumps(meta, indent=1))
        self._drop_old_versions(version)
        return report

    def _previous_keys(self) -> dict[tuple, str]:
        """(file, headings, part) -> chunk id of the previous build, to tell updates from additions."""
        if not self._chunks_file.exists():
            return {}
        return {c.position: c.chunk_id for c in self._read_chunks()}
