"""Retrieval results and context blocks, shared by the chain, the interviewer, the evals and the interfaces."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.models import Chunk


@dataclass
class Hit:
    chunk: Chunk
    score: float  # fused (reciprocal rank) score
    vector_score: float = 0.0  # cosine similarity of the best query to this chunk (0 if not a vector hit)
    parts: list[Chunk] = field(default_factory=list)  # other retrieved parts of the same section

    @property
    def section_text(self) -> str:
        """The text of this chunk and the other retrieved parts of its section, in note order."""
        chunks = sorted([self.chunk, *self.parts], key=lambda c: c.part)
        return "\n".join(c.text for c in chunks)

    @property
    def chunk_id(self) -> str:
        return self.chunk.chunk_id

    def to_dict(self) -> dict:
        d = {
            "file": self.chunk.file,
            "heading": self.chunk.heading,
            "text": self.chunk.text,
            "score": round(self.score, 6),
            "vector_score": round(self.vector_score, 4),
            "chunk_id": self.chunk.chunk_id,
        }
        return d


@dataclass(frozen=True)
class Block:
    """A hit given to the chat model as context block ``[n]``, with the (compressed) text it got."""

    n: int
    hit: Hit
    text: str

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk

    @property
    def vector_score(self) -> float:
        return self.hit.vector_score

    def to_dict(self) -> dict:
        return {"n": self.n, **self.hit.to_dict()}


@dataclass
class Retrieval:
    query: str
    queries: list[str]  # what was actually searched (follow-ups add a contextual query)
    hits: list[Hit]
    best_vector: float  # best cosine over all candidates: the coverage signal
    covered: bool
    nearest_topics: list[str] = field(default_factory=list)
    ms: float = 0.0
