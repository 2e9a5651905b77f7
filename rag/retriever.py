"""Hybrid retrieval over the notes.

Per query, three rankings are fused by reciprocal rank: Chroma vector search over chunks, BM25
over chunks, and vector search over section titles (the heading path: a paraphrased question
often matches the note's question better than its long answer).  Hits are then grouped by
section (one hit per section, its other retrieved parts kept for the context) and near-duplicate
sections (the notes repeat topics across files) are dropped.  BM25, the chunk-vector matrix and
the title vectors are built once per index version, not per query.
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
from rag.followup import contextual_query, reads_as_followup
from rag.fusion import drop_near_duplicates, reciprocal_rank_fusion
from rag.lexical import tokenize
from rag.settings import Settings
from rag.types import Hit, Retrieval


# Fusion weights, tuned with `coach eval --retrieval-only` on evals/data/golden.jsonl: chunk vectors
# alone beat BM25 alone by far (MRR 0.88 vs 0.65 on in-scope non-follow-up items), so BM25 and the
# title ranking act as tie-breakers; a follow-up's own words count half as much as the question
# joined with the previous turn.
RANKING_WEIGHTS = (1.0, 0.3, 0.5)  # chunk vectors, BM25, section titles
FOLLOWUP_LITERAL_WEIGHT = 0.5


class IndexNotBuilt(RuntimeError):
    """The store has not been built yet (run `coach ingest`)."""


def section_key(c: Chunk) -> tuple:
    return (c.file, c.headings)


def title_text(c: Chunk) -> str:
    """The section's own heading (for a question unit: the question as the notes word it)."""
    return c.headings[-1] if c.headings else c.file


@dataclass
class _Snapshot:
    version: str
    chunks: dict[str, Chunk]
    ids: list[str]
    bm25: BM25Okapi
    vectors: np.ndarray  # row i = unit embedding of ids[i]
    row: dict[str, int]
    titles: list[tuple]  # section keys
    title_vectors: np.ndarray
    section_chunks: dict[tuple, list[str]]


@dataclass
class _Ranked:
    rankings: list[list[str]]
    cosine: dict[str, float]
    best: float


class HybridRetriever(BaseRetriever):
    """Also a LangChain retriever: ``invoke(question)`` returns the hits as Documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings
    embeddings: Embeddings
    store: object  # a langchain_chroma.Chroma (any VectorStore with get() and vector search)

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

    def _unit(self, texts: list[str]) -> np.ndarray:
        v = np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)
        return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-12)

    def _load(self, version: str) -> _Snapshot:
        from ingest.indexer import read_chunks

        chunks = {c.chunk_id: c for c in read_chunks(self.settings)}
        ids = list(chunks)
        got = self.store.get(ids=ids, include=["embeddings"])
        vec_by_id = dict(zip(got["ids"], got["embeddings"]))
        if missing := [i for i in ids if i not in vec_by_id]:
            raise IndexNotBuilt(f"the vector store lacks {len(missing)} chunks of the snapshot: run `coach ingest`")
        vectors = np.asarray([vec_by_id[i] for i in ids], dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
        bm25 = BM25Okapi([tokenize(chunks[i].embed_text) or ["_"] for i in ids])
        sections: dict[tuple, list[str]] = {}
        for cid in ids:
            sections.setdefault(section_key(chunks[cid]), []).append(cid)
        titles = list(sections)
        cache = self.settings.data_dir / f"titles-{version}.npy"
        if cache.exists():
            title_vectors = np.load(cache)
        else:
            title_vectors = self._unit([title_text(chunks[sections[t][0]]) for t in titles])
            for old in self.settings.data_dir.glob("titles-*.npy"):
                old.unlink(missing_ok=True)
            np.save(cache, title_vectors)
        return _Snapshot(version, chunks, ids, bm25, vectors, {c: r for r, c in enumerate(ids)},
                         titles, title_vectors, sections)

    @property
    def chunks(self) -> list[Chunk]:
        return list(self.snapshot().chunks.values())

    # --- search ------------------------------------------------------------------------
    def _rank(self, snap: _Snapshot, query: str, fetch: int) -> _Ranked:
        qvec = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        qvec /= np.linalg.norm(qvec) + 1e-12
        # langchain_chroma returns the cosine *distance* here despite the method's name
        pairs = [(d.metadata.get("chunk_id"), 1.0 - float(dist)) for d, dist in
                 self.store.similarity_search_by_vector_with_relevance_scores(qvec.tolist(), k=fetch)]
        pairs = [(cid, s) for cid, s in pairs if cid in snap.chunks]
        vec_rank = [cid for cid, _ in pairs]
        scores = snap.bm25.get_scores(tokenize(query) or ["_"])
        bm_rank = [snap.ids[i] for i in np.argsort(-scores)[:fetch] if scores[i] > 0]
        title_sims = snap.title_vectors @ qvec
        title_rank = []
        for t in np.argsort(-title_sims)[: max(3, fetch // 2)]:
            members = snap.section_chunks[snap.titles[t]]
            best_part = max(members, key=lambda c: float(snap.vectors[snap.row[c]] @ qvec))
            title_rank.append(best_part)
        return _Ranked([vec_rank, bm_rank, title_rank], dict(pairs), max((s for _, s in pairs), default=-1.0))

    def search(self, question: str, history: list[str] | None = None, k: int | None = None) -> Retrieval:
        t0 = time.perf_counter()
        snap = self.snapshot()
        s = self.settings
        k = k or s.k
        fetch = min(s.fetch_k, len(snap.ids))
        history = [h for h in (history or []) if h.strip()]
        literal = self._rank(snap, question, fetch)
        queries, ranked = [question.strip()], [literal]
        if history and (reads_as_followup(question, history) or literal.best < s.followup_below):
            queries.append(contextual_query(question, history))
            ranked.append(self._rank(snap, queries[-1], fetch))
        weights = [w * (FOLLOWUP_LITERAL_WEIGHT if i == 0 and len(ranked) > 1 else 1.0)
                   for i, _ in enumerate(ranked) for w in RANKING_WEIGHTS]
        fused = reciprocal_rank_fusion([r for x in ranked for r in x.rankings], k=s.rrf_k, weights=weights)
        cosine: dict[str, float] = {}
        for x in ranked:
            for cid, v in x.cosine.items():
                cosine[cid] = max(cosine.get(cid, -1.0), v)
        best = max(x.best for x in ranked)

        # one hit per section; the section's other retrieved parts ride along for the context
        lead: dict[tuple, str] = {}
        parts: dict[str, list[Chunk]] = {}
        for cid, _ in fused:
            key = section_key(snap.chunks[cid])
            if key not in lead:
                lead[key] = cid
                parts[cid] = []
            else:
                parts[lead[key]].append(snap.chunks[cid])
        score_of = dict(fused)

        def sim(a: str, b: str) -> float:
            return float(snap.vectors[snap.row[a]] @ snap.vectors[snap.row[b]])

        kept = drop_near_duplicates(list(lead.values()), sim, s.dedup_threshold, k)
        hits = [Hit(snap.chunks[c], score_of[c], cosine.get(c, 0.0), parts=parts[c]) for c in kept]
        nearest = list(dict.fromkeys(h.chunk.headings[-1] if h.chunk.headings else h.chunk.file for h in hits))
        return Retrieval(query=question, queries=queries, hits=hits, best_vector=best,
                         covered=best >= s.min_relevance, nearest_topics=nearest[:3],
                         ms=(time.perf_counter() - t0) * 1000)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [Document(page_content=h.chunk.text, metadata={k: v for k, v in h.to_dict().items() if k != "text"},
                         id=h.chunk_id) for h in self.search(query).hits]
