"""Shared fakes.  Unit tests use these; integration tests use the real models (see markers)."""

from __future__ import annotations

import hashlib
import math
import re

import pytest
from langchain_core.embeddings import Embeddings

_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbeddings(Embeddings):
    """Deterministic bag-of-words hashing embeddings: texts sharing words are similar.

    Good enough for testing ranking, fusion and grading logic without a model.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls = 0  # number of texts embedded, to assert incremental behaviour

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dim
        for w in _WORD.findall(text.lower()):
            h = int(hashlib.md5(w.encode()).hexdigest(), 16)
            v[h % self.dim] += 1.0
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / n for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += len(texts)
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


@pytest.fixture
def fake_embeddings() -> FakeEmbeddings:
    return FakeEmbeddings()
