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
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.indexing import index
from langchain_core.vectorstores import VectorStore

from core.errors import CoachError, CorpusError, IndexBusy, IndexDamaged, IndexNotBuilt, NoteUnreadable, VectorStoreError
from core.format import human_bytes
from core.settings import ChunkingSettings, PathSettings
from ingest.chunk import chunk_units
from ingest.discover import discover_notes, write_note
from ingest.models import Chunk, QuestionItem
from ingest.parse import parse_units
from ingest.questions import build_question_bank
from ingest.text import clean_text, read_note
from ingest.injection import injection_flags, injection_warning
from ingest.vectorstore import make_vector_store

Progress = Callable[[int, int], None]  # (embedded so far, to embed in total)
Notify = Callable[[str], None]  # a warning worth showing now, before the build ends
REBUILD_HINT = "run `coach ingest --rebuild` to index the notes again from scratch"
_DAMAGED_LINES = (ValueError, KeyError, TypeError)  # what reading a cut or garbled .jsonl snapshot raises
StoreFactory = Callable[[Path | str, str, Embeddings], VectorStore]  # (folder or server URL, collection, ...)


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
    unreadable: list[str] = field(default_factory=list)  # notes that exist but could not be read now


@dataclass(frozen=True)
class IndexSnapshot:
    """One version of the index, read once: every chunk and its vector (row i = chunks[i])."""

    version: str
    chunks: list[Chunk]
    vectors: np.ndarray


def load_corpus(corpus_dir: Path, chunking: ChunkingSettings, notify: Notify | None = None) -> Corpus:
    """Read, clean, parse and chunk every note (no model involved).  A binary file is skipped and
    a file that cannot be read (permissions, I/O error) is listed in ``unreadable``, each with a
    warning; neither stops the others."""
    paths, warnings = discover_notes(corpus_dir)
    files, chunks, questions, unreadable = [], [], [], []
    for path in paths:
        rel = path.relative_to(corpus_dir).as_posix()
        try:
            size = path.stat().st_size
            if size > chunking.large_note_bytes and notify:
                notify(f"{rel} is {human_bytes(size)}: reading and embedding a note this large takes minutes")
            text = read_note(path)
        except NoteUnreadable as e:
            warnings.append(f"skipped {rel}: {e}")
            continue
        except OSError as e:
            warnings.append(f"skipped {rel}: it could not be read ({e.strerror or e})")
            unreadable.append(rel)
            continue
        units = parse_units(rel, clean_text(text))
        file_chunks = chunk_units(units, max_words=chunking.chunk_max_words, min_words=chunking.chunk_min_words)
        if not file_chunks:
            warnings.append(f"skipped {rel}: no text")
            continue
        if size > chunking.large_note_bytes:
            warnings.append(f"{rel} is {human_bytes(size)} ({len(file_chunks):,} chunks)")
        if flags := injection_flags(text):  # kept in the index; left out of the prompts (ingest/injection.py)
            warnings.append(injection_warning(rel, flags))
        files.append(rel)
        chunks.extend(file_chunks)
        questions.extend(build_question_bank(units, file_chunks))
    return Corpus(files, chunks, questions, warnings, unreadable)


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
        self.chroma_url = paths.chroma_url
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
        return self._make_store(self.chroma_url or self._chroma_dir, self.collection, embeddings)

    @property
    def store(self) -> VectorStore:
        if self._store is None:
            self._store = self._open_store(self.embeddings)
        return self._store

    # --- reading -------------------------------------------------------------------------
    def meta(self) -> dict | None:
        """What the last build wrote (version, time, report, per-file counts), or None."""
        try:
            meta = json.loads(self._meta_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            meta = None
        if not isinstance(meta, dict) or not isinstance(meta.get("version"), str):
            raise IndexDamaged(f"the index description {self._meta_file} is damaged: {REBUILD_HINT}")
        return meta

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
        try:
            chunks = self._read_chunks()
        except FileNotFoundError as e:
            raise IndexDamaged(f"the chunk file of the index is missing in {self.folder}: {REBUILD_HINT}") from e
        except _DAMAGED_LINES as e:
            raise IndexDamaged(f"the chunk file {self._chunks_file} is damaged: {REBUILD_HINT}") from e
        ids = [c.chunk_id for c in chunks]
        path = self._vectors_file(version)
        if path.exists():
            try:
                with np.load(path) as data:
                    saved_ids, vectors = list(data["ids"]), data["vectors"]
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
                raise IndexDamaged(f"the vector file {path.name} is damaged: {REBUILD_HINT}") from e
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
            raise IndexDamaged(f"the vector store lacks {len(missing)} chunks of the index: {REBUILD_HINT}")
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

    def build(self, progress: Progress | None = None, notify: Notify | None = None,
              rebuild: bool = False) -> IngestReport:
        """Index the notes folder incrementally and write the snapshot files and a new version.

        ``rebuild`` first removes the vector store and the record manager (never the notes, the
        progress DB or the current snapshot, which readers keep using until the new version is
        written).  A store that lost chunks the records still list is repaired on the way: those
        chunks are embedded again.  A damaged store is ``IndexDamaged``, naming ``--rebuild``."""
        from langchain_classic.indexes import SQLRecordManager

        t0 = time.perf_counter()
        corpus = load_corpus(self.corpus_dir, self.chunking, notify)
        previous = [] if rebuild else self._previous_chunks()
        self._keep_unreadable(corpus, previous)
        if not corpus.chunks:  # never empty the store because every note came out blank
            raise CorpusError(f"no text in the notes of {self.corpus_dir}: " + "; ".join(corpus.warnings[:5]))
        self.folder.mkdir(parents=True, exist_ok=True)
        if rebuild:
            self._store = None
            if self.chroma_url:
                self._open_store(self.embeddings).delete_collection()
            else:
                shutil.rmtree(self._chroma_dir, ignore_errors=True)
            self._records_db.unlink(missing_ok=True)
        records = SQLRecordManager(f"chroma/{self.collection}", db_url=f"sqlite:///{self._records_db}")
        try:
            chunk_ids = [c.chunk_id for c in corpus.chunks]
            unique = sorted(set(chunk_ids))
            try:
                records.create_schema()
                counting = _CountingEmbeddings(self.embeddings, 0, progress)
                store = self._open_store(counting)
                self._store = None  # a reading handle opened before is stale now
                lost = self._repair_records(records, store)
                counting.total = len(unique) - sum(records.exists(unique))
            except CoachError:
                raise
            except Exception as e:  # chromadb / SQLite errors of a half-written or truncated file
                if self.chroma_url:
                    raise VectorStoreError(f"the Chroma server at {self.chroma_url} failed ({type(e).__name__}: {e})") from e
                raise IndexDamaged(f"the index in {self.folder} is damaged ({type(e).__name__}: {e}): {REBUILD_HINT}") from e
            if lost:
                corpus.warnings.append(f"{lost} chunks the records listed were missing from the vector store: embedded again")
            docs = [Document(page_content=c.embed_text, metadata=c.metadata(), id=c.chunk_id) for c in corpus.chunks]
            result = index(docs, records, store, cleanup="full", source_id_key="file",
                           batch_size=32, key_encoder=lambda d: d.metadata["chunk_id"])
            vectors = self._store_vectors(store, chunk_ids)
        finally:
            records.engine.dispose()

        before = {c.position: c.chunk_id for c in previous}
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

    def _repair_records(self, records, store: VectorStore) -> int:
        """Forget the record of every chunk the store does not hold (a store file emptied or
        replaced behind the records' back), so the build embeds it again; returns how many."""
        listed = records.list_keys()
        if not listed:
            return 0
        present = set(store.get(ids=listed, include=[])["ids"])
        lost = [k for k in listed if k not in present]
        if lost:
            records.delete_keys(lost)
        return len(lost)

    def _keep_unreadable(self, corpus: Corpus, previous: list[Chunk]) -> None:
        """A note that exists but could not be read this time keeps its chunks and questions of
        the last build instead of disappearing from the index."""
        if not corpus.unreadable:
            return
        old_questions = self._previous_questions()
        for rel in corpus.unreadable:
            kept = [c for c in previous if c.file == rel]
            if kept:
                corpus.files.append(rel)
                corpus.chunks.extend(kept)
                corpus.questions.extend(q for q in old_questions if q.file == rel)
                corpus.warnings.append(f"kept the {len(kept)} chunks of {rel} from the last build")

    def _previous_chunks(self) -> list[Chunk]:
        """The last build's chunks (none when there is none or its file is damaged)."""
        try:
            return self._read_chunks()
        except (FileNotFoundError, *_DAMAGED_LINES):
            return []

    def _previous_questions(self) -> list[QuestionItem]:
        try:
            return self.questions()
        except _DAMAGED_LINES:
            return []
