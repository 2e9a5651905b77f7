"""Hybrid retrieval over the notes.

Per query, up to three rankings are fused by reciprocal rank: exact vector search over chunks,
BM25 over chunks, and vector search over section titles (a paraphrased question often matches the
note's question better than its long answer).  Since the tuning-part grid only the first weighs
anything (``RANKING_WEIGHTS``); the other two are kept for measuring and are neither built nor
searched while their weight is 0.  Hits are then grouped by section (one hit per section, its other
retrieved parts kept for the context) and near-duplicate sections (the notes repeat topics across
files) are dropped.  What a ranking needs (the chunk-vector matrix, BM25, the title vectors) is
built once per index version from the index's snapshot, not per query.
"""

from __future__ import annotations

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

from core.settings import RetrievalSettings
from ingest.index import NoteIndex
from ingest.models import Chunk
from rag.compare import comparison
from rag.followup import contextual_query, reads_as_followup
from rag.fusion import answer_links, drop_near_duplicates, reciprocal_rank_fusion
from rag.lexical import tokenize
from rag.types import Hit, Retrieval
from rag.vectors import embed_query_unit, embed_unit, unit_rows


# Fusion weights, chosen on the golden set's tuning part only (evals/FORMAT.md, "Splits"): a grid
# of 320 settings (BM25 0-0.5, titles 0-1, follow-up 0.25-1, rrf_k 10-60) put plain vector search
# within 0.01 MRR of the best there (0.9375 vs 0.9423), and it is the simplest, so BM25 and the
# title ranking weigh 0 (they are not computed then).  A follow-up's own words count a quarter as
# much as the question joined with the previous turn.  Held-out figures: README, Evals.
RANKING_WEIGHTS = (1.0, 0.0, 0.0)  # chunk vectors, BM25, section titles
FOLLOWUP_LITERAL_WEIGHT = 0.25
# Each side of a comparison question is searched alone too, its ranking weighing this much
# against the whole question's (chosen on the tuning part: README, Evals).
COMPARE_SIDE_WEIGHT = 0.5
# A scenario the notes pose without answering links to its nearest answered sections (rag/fusion.py).
ANSWER_LINKS, ANSWER_LINK_FLOOR = 2, 0.45


def top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """The indices of the ``k`` highest scores, highest first, ties in index order: the same as
    ``np.argsort(-scores, kind="stable")[:k]``, but only the scores at or above the k-th highest are
    sorted (linear instead of n log n: 2.0 ms -> 0.04 ms at 19,100 chunks)."""
    n = len(scores)
    if k >= n:
        return np.argsort(-scores, kind="stable")[:k]
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    kth = np.partition(scores, n - k)[n - k]
    candidates = np.flatnonzero(scores >= kth)
    return candidates[np.argsort(-scores[candidates], kind="stable")][:k]


def section_key(c: Chunk) -> tuple:
    return (c.file, c.headings)


def title_text(c: Chunk) -> str:
    """The section's own heading (for a question unit: the question as the notes word it)."""
    return c.headings[-1] if c.headings else c.file


@dataclass
class _Searchable:
    """What one index version needs for searching, derived once from its snapshot."""

    version: str
    chunks: dict[str, Chunk]
    ids: list[str]
    bm25: BM25Okapi | None  # None while its weight is 0
    vectors: np.ndarray  # row i = unit embedding of ids[i]
    row: dict[str, int]
    titles: list[tuple]  # section keys
    title_vectors: np.ndarray | None  # None while its weight is 0
    section_chunks: dict[tuple, list[str]]
    links: dict[str, list[str]]  # unanswered question chunk -> answered chunks that stand in for it


@dataclass
class _Ranked:
    rankings: list[list[str]]
    cosine: dict[str, float]
    best: float


class HybridRetriever(BaseRetriever):
    """Also a LangChain retriever: ``invoke(question)`` returns the hits as Documents.

    Vector search is exact (a matrix product over every chunk of the snapshot): on notes of this
    size it takes about a millisecond, and the coverage gate must never hang on an approximate top-k."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: RetrievalSettings
    embeddings: Embeddings
    index: NoteIndex

    _data: _Searchable | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    # --- the searchable form of the index's current snapshot ---------------------------
    def searchable(self) -> _Searchable:
        snap = self.index.snapshot()
        if self._data is None or self._data.version != snap.version:
            with self._lock:
                if self._data is None or self._data.version != snap.version:
                    self._data = self._derive(snap)
        return self._data

    def _derive(self, snap) -> _Searchable:
        chunks = {c.chunk_id: c for c in snap.chunks}
        ids = list(chunks)
        vectors = unit_rows(snap.vectors)
        # the rankings weighted 0 are not built at all (the title ranking embeds every section title)
        bm25 = BM25Okapi([tokenize(chunks[i].embed_text) or ["_"] for i in ids]) if RANKING_WEIGHTS[1] else None
        sections: dict[tuple, list[str]] = {}
        for cid in ids:
            sections.setdefault(section_key(chunks[cid]), []).append(cid)
        titles = list(sections)
        title_vectors = self.index.cached_vectors(
            "titles", snap.version, lambda: embed_unit(self.embeddings, [title_text(chunks[sections[t][0]]) for t in titles])
        ) if RANKING_WEIGHTS[2] else None
        unanswered = {cid for q in self.index.questions() if not q.answer.strip() for cid in q.chunk_ids}
        links = answer_links(vectors, ids, unanswered & set(chunks), lambda c: section_key(chunks[c]),
                             ANSWER_LINKS, ANSWER_LINK_FLOOR)
        return _Searchable(snap.version, chunks, ids, bm25, vectors, {c: r for r, c in enumerate(ids)},
                           titles, title_vectors, sections, links)

    @property
    def chunks(self) -> list[Chunk]:
        return list(self.searchable().chunks.values())

    # --- search ------------------------------------------------------------------------
    def _rank(self, snap: _Searchable, query: str, fetch: int) -> _Ranked:
        qvec = embed_query_unit(self.embeddings, query)
        sims = snap.vectors @ qvec
        top = top_indices(sims, fetch)
        pairs = [(snap.ids[i], float(sims[i])) for i in top]
        vec_rank = [cid for cid, _ in pairs]
        bm_rank, title_rank = [], []
        if snap.bm25 is not None:
            scores = snap.bm25.get_scores(tokenize(query) or ["_"])
            bm_rank = [snap.ids[i] for i in np.argsort(-scores)[:fetch] if scores[i] > 0]
        title_sims = snap.title_vectors @ qvec if snap.title_vectors is not None else np.zeros(0)
        for t in np.argsort(-title_sims)[: max(3, fetch // 2)]:
            members = snap.section_chunks[snap.titles[t]]
            best_part = max(members, key=lambda c: float(snap.vectors[snap.row[c]] @ qvec))
            title_rank.append(best_part)
        return _Ranked([vec_rank, bm_rank, title_rank], dict(pairs), float(sims.max()) if len(sims) else -1.0)

    def search(self, question: str, history: list[str] | None = None, k: int | None = None) -> Retrieval:
        t0 = time.perf_counter()
        snap = self.searchable()
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
        best = max(x.best for x in ranked)  # the coverage gate reads the question, not a side
        sides = comparison(question)
        if sides:  # each side of "X vs Y" searched on its own too, so both sides' notes are found
            for side in sides.queries:
                queries.append(side)
                ranked.append(self._rank(snap, side, fetch))
                weights += [w * COMPARE_SIDE_WEIGHT for w in RANKING_WEIGHTS]
        fused = reciprocal_rank_fusion([r for x in ranked for r in x.rankings], k=s.rrf_k, weights=weights)
        cosine: dict[str, float] = {}
        for x in ranked:
            for cid, v in x.cosine.items():
                cosine[cid] = max(cosine.get(cid, -1.0), v)

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
        hits, shown = [], set(kept)
        for c in kept:
            hits.append(Hit(snap.chunks[c], score_of[c], cosine.get(c, 0.0), parts=parts[c]))
            # an unanswered scenario brings the sections that answer it, ranked (and weighed) as it is
            for link in snap.links.get(c, []):
                if link not in shown:
                    shown.add(link)
                    hits.append(Hit(snap.chunks[link], score_of[c], max(cosine.get(link, 0.0), cosine.get(c, 0.0))))
        hits = hits[:k]
        nearest = list(dict.fromkeys(h.chunk.headings[-1] if h.chunk.headings else h.chunk.file for h in hits))
        return Retrieval(query=question, queries=queries, hits=hits, best_vector=best,
                         covered=best >= s.min_relevance, nearest_topics=nearest[:3],
                         ms=(time.perf_counter() - t0) * 1000)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [Document(page_content=h.chunk.text, metadata={k: v for k, v in h.to_dict().items() if k != "text"},
                         id=h.chunk_id) for h in self.search(query).hits]
