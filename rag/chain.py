"""The grounded answer chain.  Streaming is the one implementation; ``ask`` consumes it.

Events, in order: ``Sources`` (as soon as retrieval is done), ``Token`` deltas (citations
already checked), then one ``Answer`` with the final text, sources and timings.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from rag.citations import CitationStream
from rag.prompts import ANSWER_PROMPT, build_blocks, not_covered_message, prompt_inputs, select_context
from rag.retriever import HybridRetriever
from rag.settings import Settings
from rag.types import Hit, Retrieval


@dataclass
class Sources:
    retrieval: Retrieval
    blocks: list[Hit]


@dataclass
class Token:
    text: str


@dataclass
class Answer:
    question: str
    answer: str
    sources: list[Hit]
    cited: list[int]
    covered: bool
    timings: dict = field(default_factory=dict)
    context: str = ""  # the notes text the model was given (for evals and judges)
    attributed: int = 0  # citations added post hoc to sentences the model left uncited

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "covered": self.covered,
            "cited": self.cited,
            "attributed": self.attributed,
            "sources": [h.to_dict() for h in self.sources],
            "timings": self.timings,
        }


Event = Sources | Token | Answer


class AnswerChain:
    def __init__(self, settings: Settings, retriever: HybridRetriever, llm: BaseChatModel) -> None:
        self.settings = settings
        self.retriever = retriever
        self.llm = llm
        self.generate: Runnable = ANSWER_PROMPT | llm  # LCEL: prompt -> chat model

    def stream(self, question: str, history: list[str] | None = None) -> Iterator[Event]:
        t0 = time.perf_counter()
        history = [h for h in (history or []) if h.strip()]
        retrieval = self.retriever.search(question, history, k=max(self.settings.k, self.settings.context_k))
        timings = {"retrieval_ms": round(retrieval.ms, 1)}
        if not retrieval.covered:
            text = not_covered_message(retrieval.nearest_topics)
            yield Sources(retrieval, [])
            yield Token(text)
            total = round((time.perf_counter() - t0) * 1000, 1)
            yield Answer(question, text, [], [], False,
                         {**timings, "first_token_ms": total, "total_ms": total, "prompt_tokens": 0, "completion_tokens": 0})
            return

        hits = select_context(retrieval.hits, self.settings.context_k, self.settings.context_min_ratio)
        blocks = build_blocks(hits, " ".join(retrieval.queries), self.settings.context_token_budget)
        yield Sources(retrieval, hits)

        inputs = prompt_inputs(question, blocks, history)
        cite = CitationStream([text for _, _, text in blocks])
        shown, first, usage = [], None, {}
        for chunk in self.generate.stream(inputs):
            if first is None:
                first = time.perf_counter()
            if getattr(chunk, "usage_metadata", None):
                usage = chunk.usage_metadata
            out = cite.feed(chunk.content if isinstance(chunk.content, str) else "")
            if out:
                shown.append(out)
                yield Token(out)
        tail = cite.flush()
        if tail:
            shown.append(tail)
            yield Token(tail)
        end = time.perf_counter()
        timings.update(
            first_token_ms=round(((first or end) - t0) * 1000, 1),
            total_ms=round((end - t0) * 1000, 1),
            prompt_tokens=int(usage.get("input_tokens", 0)),
            completion_tokens=int(usage.get("output_tokens", 0)),
        )
        yield Answer(question, "".join(shown).strip(), hits, sorted(cite.cited), True, timings,
                     context=inputs["notes"], attributed=cite.attributed)

    def ask(self, question: str, history: list[str] | None = None) -> Answer:
        final = None
        for event in self.stream(question, history):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final
