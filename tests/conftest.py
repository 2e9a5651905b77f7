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


# --- chat model fakes ------------------------------------------------------------------------
from pathlib import Path  # noqa: E402

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def fake_chat(*replies: str) -> GenericFakeChatModel:
    """A chat model that streams the given replies in turn (word by word), then repeats the last."""
    replies = list(replies) or ["OK [1]."]

    def gen():
        i = 0
        while True:
            yield AIMessage(replies[min(i, len(replies) - 1)])
            i += 1

    return GenericFakeChatModel(messages=gen())


class ExplodingChat(GenericFakeChatModel):
    """Fails the test if the chain calls the model (e.g. for an out-of-scope question)."""

    def _stream(self, *a, **k):
        raise AssertionError("the chat model must not be called here")

    def _generate(self, *a, **k):
        raise AssertionError("the chat model must not be called here")


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """Two real note files (one with mojibake headings) in a fresh folder."""
    d = tmp_path / "corpus"
    d.mkdir()
    for name in ("001_96c6a94c357aef9e.txt", "003_eba972981bf49b22.txt"):
        (d / name).write_bytes((ROOT / "corpus" / name).read_bytes())
    return d


@pytest.fixture
def fake_services(tmp_path, small_corpus, fake_embeddings):
    """Services over the small corpus with fake embeddings and a canned chat model, already indexed."""
    from rag.services import build_services
    from rag.settings import Settings

    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", min_relevance=0.05)
    services = build_services(settings, embeddings=fake_embeddings,
                              chat_model=fake_chat("MLOps combines ML and DevOps [1]. It versions models [2][9]."))
    services.ingest()
    return services


@pytest.fixture(scope="session")
def real_services(tmp_path_factory):
    """The real MiniLM model and a real Chroma store over the real corpus (chat model: the real
    default, loaded only if a test touches ``services.chat_model``)."""
    from rag.services import build_services
    from rag.settings import Settings

    data = tmp_path_factory.mktemp("real-data")
    settings = Settings(corpus_dir=ROOT / "corpus", data_dir=data)
    shared_models = ROOT / ".coach-data" / "models"
    if shared_models.exists():  # reuse an already assembled model file instead of re-joining 1 GB
        (data / "models").symlink_to(shared_models, target_is_directory=True)
    services = build_services(settings)
    services.ingest()
    return services
