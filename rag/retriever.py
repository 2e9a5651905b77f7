"""Hybrid retrieval: Chroma vector search + BM25, fused by reciprocal rank, near-duplicates dropped.

The BM25 index and the chunk-embedding matrix (for duplicate checks) are built once per index
version: the retriever re-reads them only when ingest has written a new version.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr
from rank_bm25 import BM25Okapi

from ingest.models import Chunk
from rag.followup import retrieval_queries
from rag.fusion import drop_near_duplicates, reciprocal_rank_fusion
from rag.lexical import tokenize
from rag.settings import Settings
from rag.types import Hit, Retrieval


class IndexNotBuilt(RuntimeError):
    """The store has not been built yet (run `coach ingest`)."""


@dataclass
class _Snapshot:
    version: str
    chunks: dict[str, Chunk]
    ids: list[str]
    bm25: BM25Okapi
    vectors: np.ndarray  # row i = unit embedding of ids[i]
    row: dict[str, int]


class HybridRetriever(BaseRetriever):
    """Also a LangChain retriever: ``invoke(question)`` returns the hits as Documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings
    embeddings: Embeddings
    store: object  # a langchain_chroma.Chroma (any VectorStore with relevance scores and get())

    _snap: _Snapshot | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    # --- snapshot --------------------------------------------------------------------
    def _meta_version(self) -> str | None:
        path = self.settings.data_dir / "index.json"
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))["version"]

    def snapshot(self) -> _Snapshot:
        version = self._meta_version()
        if version is None:
            raise IndexNotBuilt(f"the notes are not indexed yet in {self.settings.data_dir}: run `coach ingest`")
        if self._snap is None or self._snap.version != version:
            with self._lock:
                if self._snap is None or self._snap.version != version:
                    self._snap = self._load(version)
        return self._snap

    def _load(self, version: str) -> _Snapshot:
        from ingest.indexer import read_chunks

        chunks = {c.chunk_id: c for c in read_chunks(self.settings)}
        ids = list(chunks)
        got = self.store.get(ids=ids, include=["embeddings"])
        vec_by_id = dict(zip(got["ids"], got["embeddings"]))
        missing = [i for i in ids if i not in vec_by_id]
        if missing:
            raise IndexNotBuilt(f"the vector store lacks {len(missing)} chunks of the snapshot: run `coach ingest`")
        vectors = np.asarray([vec_by_id[i] for i in ids], dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
        bm25 = BM25Okapi([tokenize(chunks[i].embed_text) or ["_"] for i in ids])
        return _Snapshot(version, chunks, ids, bm25, vectors, {cid: r for r, cid in enumerate(ids)})

    @property
    def chunks(self) -> list[Chunk]:
        return list(self.snapshot().chunks.values())

    # --- search ------------------------------------------------------------------------
    def search(self, question: str, history: list[str] | None = None, k: int | None = None) -> Retrieval:
        t0 = time.perf_counter()
        snap = self.snapshot()
        k = k or self.settings.k
        fetch = min(self.settings.fetch_k, len(snap.ids))
        queries = retrieval_queries(question, history or [])
        rankings, cosine = [], {}
        best = -1.0
        for query in queries:
            qvec = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
            qvec /= np.linalg.norm(qvec) + 1e-12
            pairs = self.store.similarity_search_by_vector_with_relevance_scores(qvec.tolist(), k=fetch)
            vec_rank = [d.metadata["chunk_id"] for d, _ in pairs if d.metadata.get("chunk_id") in snap.chunks]
            for d, s in pairs:
                cid = d.metadata.get("chunk_id")
                cosine[cid] = max(cosine.get(cid, -1.0), float(s))
            best = max(best, max((float(s) for _, s in pairs), default=-1.0))
            scores = snap.bm25.get_scores(tokenize(query) or ["_"])
            top = np.argsort(-scores)[:fetch]
            bm_rank = [snap.ids[i] for i in top if scores[i] > 0]
            rankings += [vec_rank, bm_rank]
        fused = reciprocal_rank_fusion(rankings, k=self.settings.rrf_k)
        score_of = dict(fused)

        def sim(a: str, b: str) -> float:
            return float(snap.vectors[snap.row[a]] @ snap.vectors[snap.row[b]])

        kept = drop_near_duplicates([cid for cid, _ in fused], sim, self.settings.dedup_threshold, k)
        hits = [Hit(snap.chunks[c], score_of[c], cosine.get(c, 0.0)) for c in kept]
        nearest = []
        for h in hits:
            topic = h.chunk.headings[-1] if h.chunk.headings else h.chunk.file
            if topic not in nearest:
                nearest.append(topic)
        return Retrieval(
            query=question, queries=queries, hits=hits, best_vector=best,
            covered=best >= self.settings.min_relevance, nearest_topics=nearest[:3],
            ms=(time.perf_counter() - t0) * 1000,
        )

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [
            Document(page_content=h.chunk.text, metadata={**h.to_dict(), "text": None}, id=h.chunk_id)
            for h in self.search(query).hits
        ]
