"""Vector arithmetic shared by retrieval, grading and the judges: unit rows, cosine."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings


def unit_rows(vectors) -> np.ndarray:
    """``vectors`` (one per row, or a single vector) as float32 scaled to length 1, so that a dot
    product is a cosine.  A zero vector stays zero."""
    m = np.asarray(vectors, dtype=np.float32)
    return m / (np.linalg.norm(m, axis=-1, keepdims=True) + 1e-12)


def embed_unit(embeddings: Embeddings, texts: Sequence[str]) -> np.ndarray:
    """Unit embeddings of ``texts``, one row each (shape (0, 0) for no texts)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return unit_rows(embeddings.embed_documents(list(texts)))


def embed_query_unit(embeddings: Embeddings, text: str) -> np.ndarray:
    return unit_rows(embeddings.embed_query(text))


def cosine(embeddings: Embeddings, a: str, b: str) -> float:
    v = embed_unit(embeddings, [a, b])
    return float(v[0] @ v[1])
