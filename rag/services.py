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

    @cached_property
    def progress_store(self):
        from rag.interview.scheduler import ProgressStore

        return ProgressStore(self.settings.progress_db)

    def question_bank(self):
        from ingest.indexer import read_questions

        return read_questions(self.settings)

    def new_interview(self, *, topics: list[str] | None = None, count: int = 5, weak: bool = False, rng=None):
        """Plan a session from the question bank (due cards first) and return an ``Interview``."""
        from rag.interview.scheduler import plan_session
        from rag.interview.session import Interview

        plan = plan_session(self.question_bank(), self.progress_store, count, topics=topics or None, weak=weak, rng=rng)
        return Interview(plan=plan, store=self.progress_store, retriever=self.retriever, llm=self.chat_model,
                         embeddings=self.embeddings, settings=self.settings, mode="weak" if weak else "topics")

    def ingest(self, progress=None):
        from ingest.indexer import run_ingest

        report = run_ingest(self.settings, self.embeddings, self.open_store, progress=progress)
        return report


def build_services(settings: Settings, **fakes) -> Services:
    return Services(settings, **fakes)
