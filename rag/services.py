"""Wires the adapters chosen by the settings.  Tests hand in fakes through the keyword arguments."""

from __future__ import annotations

from functools import cached_property

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from rag.settings import Settings


class Services:
    def __init__(self, settings: Settings, *, embeddings: Embeddings | None = None,
                 chat_model: BaseChatModel | None = None) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._chat_model = chat_model

    @cached_property
    def embeddings(self) -> Embeddings:
        if self._embeddings is not None:
            return self._embeddings
        from rag.embeddings import MiniLMEmbeddings

        return MiniLMEmbeddings()

    def open_store(self, embeddings: Embeddings | None = None):
        from rag.vectorstore import make_vector_store

        return make_vector_store(self.settings, embeddings or self.embeddings)

    @cached_property
    def store(self):
        return self.open_store()

    @cached_property
    def retriever(self):
        from rag.retriever import HybridRetriever

        return HybridRetriever(settings=self.settings, embeddings=self.embeddings, store=self.store)

    @cached_property
    def chat_model(self) -> BaseChatModel:
        if self._chat_model is not None:
            return self._chat_model
        from rag.llm import make_chat_model

        return make_chat_model(self.settings)

    @cached_property
    def chain(self):
        from rag.chain import AnswerChain

        return AnswerChain(self.settings, self.retriever, self.chat_model)

    def ingest(self, progress=None):
        from ingest.indexer import run_ingest

        report = run_ingest(self.settings, self.embeddings, self.open_store, progress=progress)
        return report


def build_services(settings: Settings, **fakes) -> Services:
    return Services(settings, **fakes)
