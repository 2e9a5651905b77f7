"""The grounded answer chain.  Streaming is the one implementation; ``ask`` consumes it.

Events, in order: ``Sources`` (as soon as retrieval is done), ``Token`` deltas (citations
already checked), then one ``Answer`` with the final text, sources and timings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable

from rag.citations import CITATION, CitationStream, attribute
from rag.pace import Prefiller, cut_after, whole_words
from rag.prompts import (
    ANSWER_PROMPT,
    QUESTION_MARK,
    REFUSAL,
    RETRY_PREFILL,
    checkable_sentences,
    is_refusal,
    build_blocks,
    not_covered_message,
    opening_kind,
    prompt_inputs,
    select_context,
)
from core.settings import AnswerSettings
from rag.retriever import HybridRetriever
from rag.lexical import tokenize
from rag.streaming import cap_units, text_deltas
from rag.support import SupportCheck
from rag.types import Block, Retrieval


@dataclass
class Sources:
    retrieval: Retrieval
    blocks: list[Block]


@dataclass
class Prepared:
    """Everything decided before the chat model is called: what was retrieved, the numbered
    context blocks, and the prompt's inputs (``None`` when the notes do not cover the question)."""

    retrieval: Retrieval
    blocks: list[Block]
    inputs: dict | None
    notes_key: tuple = ()  # the chunks chosen and the history: equal keys give the same notes

    def messages(self):
        return ANSWER_PROMPT.format_messages(**self.inputs) if self.inputs else []


@dataclass
class Token:
    text: str


@dataclass
class Answer:
    question: str
    answer: str
    sources: list[Block]
    cited: list[int]
    covered: bool
    timings: dict = field(default_factory=dict)
    context: str = ""  # the notes text the model was given (for evals and judges)
    attributed: int = 0  # citations added post hoc to sentences the model left uncited
    retried: bool = False  # the model opened with a refusal despite relevant notes and was asked again
    model_text: str = ""  # what the model wrote, before citations were checked and attributed
    marked: int = 0  # sentences shown with the "not in your notes" mark
    checked: int = 0  # sentences the mark's check read
    ungrounded: bool = False  # no sentence of the model's text was found in the notes: shown as the refusal

    @property
    def thin(self) -> bool:
        """Answered, but half or more of its checked sentences were not found in the notes: the
        notes hardly cover the question (listed with the gaps in the Notes tab)."""
        return self.covered and self.marked > 0 and 2 * self.marked >= self.checked

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "covered": self.covered,
            "cited": self.cited,
            "attributed": self.attributed,
            "retried": self.retried,
            "marked": self.marked,
            "ungrounded": self.ungrounded,
            "sources": [h.to_dict() for h in self.sources],
            "timings": self.timings,
        }


Event = Sources | Token | Answer


class AnswerChain:
    def __init__(self, settings: AnswerSettings, retriever: HybridRetriever, llm: BaseChatModel) -> None:
        self.settings = settings
        self.retriever = retriever
        self.llm = llm
        self.generate: Runnable = ANSWER_PROMPT | llm  # LCEL: prompt -> chat model
        self.prefiller = Prefiller(llm)
        self._ahead: tuple[tuple, list[Block]] | None = None  # (chunk ids + history, blocks) read ahead

    def read_ahead(self, partial: str, history: list[str] | None = None) -> bool:
        """The question as typed so far: retrieve for it and process the prompt up to its last
        whole word in the background (rag/pace.py), so that after Enter only the rest remains when
        the final question retrieves the same notes (then their blocks are reused as they were cut
        for the typed text, so the prompt's notes match the processed ones exactly).  False when
        there is nothing to do."""
        typed = whole_words(partial)
        if len(typed.split()) < 2 or not self.prefiller.enabled:
            return False
        self._ahead = None
        prep = self.prepare(typed, history)
        if prep.inputs is None:
            return False
        self._ahead = prep.notes_key, prep.blocks
        return self.prefiller.submit(cut_after(prep.messages(), QUESTION_MARK, typed))

    def prepare(self, question: str, history: list[str] | None = None) -> Prepared:
        """Retrieval, context selection and prompt inputs: the steps before the model."""
        history = [h for h in (history or []) if h.strip()]
        retrieval = self.retriever.search(question, history, k=self.settings.context_k)
        if not retrieval.covered:
            return Prepared(retrieval, [], None)
        hits = select_context(retrieval.hits, self.settings.context_k, self.settings.context_min_ratio)
        key = (tuple(h.chunk_id for h in hits), tuple(history))
        if self._ahead is not None and self._ahead[0] == key:
            blocks = self._ahead[1]  # the same notes as read ahead: the same text, so the cached prompt holds
        else:
            blocks = build_blocks(hits, " ".join(retrieval.queries), self.settings.context_token_budget)
        return Prepared(retrieval, blocks, prompt_inputs(question, blocks, history), key)

    def stream(self, question: str, history: list[str] | None = None) -> Iterator[Event]:
        t0 = time.perf_counter()
        prep = self.prepare(question, history)
        retrieval = prep.retrieval
        timings = {"retrieval_ms": round(retrieval.ms, 1)}
        if prep.inputs is None:
            text = not_covered_message(retrieval.nearest_topics)
            yield Sources(retrieval, [])
            yield Token(text)
            total = round((time.perf_counter() - t0) * 1000, 1)
            yield Answer(question, text, [], [], False,
                         {**timings, "first_token_ms": total, "total_ms": total, "prompt_tokens": 0, "completion_tokens": 0})
            return

        blocks, inputs = prep.blocks, prep.inputs
        yield Sources(retrieval, blocks)

        block_texts = [b.text for b in blocks]
        cite = CitationStream(block_texts, unsupported=self._support_check(inputs["notes"]))
        shown, raw, first, usage = [], [], None, {"input_tokens": 0, "output_tokens": 0}
        gate = {"grounded": False}
        deltas = cap_units(self._model_text(inputs, block_texts, usage), self.settings.max_sentences)
        for delta in self._grounded(deltas, block_texts, inputs["notes"], gate, raw):
            out = cite.feed(delta)
            if out:
                first = first or time.perf_counter()
                shown.append(out)
                yield Token(out)
        tail = cite.flush()
        if tail:
            shown.append(tail)
            yield Token(tail)
        if not gate["grounded"]:  # nothing the model wrote is in the notes (an obeyed note, a made-up answer)
            first = first or time.perf_counter()
            shown, cite.cited, cite.attributed = [REFUSAL], [], 0
            yield Token(REFUSAL)
        end = time.perf_counter()
        timings.update(
            first_token_ms=round(((first or end) - t0) * 1000, 1),
            total_ms=round((end - t0) * 1000, 1),
            prompt_tokens=int(usage["input_tokens"]),
            # a generation stopped by cap_units or the refusal retry never reports its usage
            completion_tokens=int(usage["output_tokens"] or usage.get("text_chunks", 0)),
        )
        yield Answer(question, "".join(shown).strip(), blocks, sorted(cite.cited), True, timings,
                     context=inputs["notes"], attributed=cite.attributed, retried=usage.get("retried", False),
                     model_text="".join(raw).strip(), marked=cite.marked, checked=cite.checked,
                     ungrounded=not gate["grounded"])

    def _grounded(self, deltas: Iterator[str], blocks: list[str], notes: str, gate: dict,
                  raw: list[str]) -> Iterator[str]:
        """The model's deltas (each also appended to ``raw``), held back until one of its sentences
        (or the sentence being written) is grounded in a block, by the test the refusal retry uses
        (``rag.citations.attribute``: most of its content words are there), then passed on as
        they come.  At the end, a held text gets a second chance by meaning (the "not in your
        notes" mark's cosine, ``SupportCheck``).  If neither finds it in the notes (an answer that
        obeyed an instruction in a note, "PWNED", a link, praise), nothing is passed on and
        ``gate["grounded"]`` stays False: the chain shows the refusal instead.  A normal answer
        waits only for its first few content words."""
        held = ""
        gate["grounded"] = not self.settings.refuse_ungrounded  # off: everything passes as it comes
        for delta in deltas:
            raw.append(delta)
            if gate["grounded"]:
                yield delta
                continue
            held += delta
            if any(attribute(s, blocks) is not None for s in checkable_sentences(held, final=True)):
                gate["grounded"] = True
                yield held
        if gate["grounded"] or not held.strip():
            gate["grounded"] = gate["grounded"] or not held.strip()
            return
        below = self.settings.mark_unsupported_below
        sentences = [CITATION.sub("", s).strip() for s in checkable_sentences(held, final=True)]
        sentences = [s for s in sentences if not is_refusal(s)]
        if below and sentences:
            check = SupportCheck(self.retriever.embeddings, notes)
            gate["grounded"] = any(check.best(s)[0] >= below for s in sentences)
        if gate["grounded"] or (is_refusal(held) and not sentences):
            gate["grounded"] = True  # the model's own refusal (retries off, or the retry failed) stands as written
            yield held

    def _support_check(self, notes: str) -> Callable[[str], bool | None] | None:
        """The test for the "not in your notes" mark (rag/support.py), or None when it is off."""
        below = self.settings.mark_unsupported_below
        if not below:
            return None
        check = SupportCheck(self.retriever.embeddings, notes)

        def unsupported(sentence: str) -> bool | None:
            text = CITATION.sub("", sentence).strip()
            if len(tokenize(text)) < 3 or is_refusal(text):
                return None  # too short to read, or the refusal sentence
            return check.best(text)[0] < below

        return unsupported

    def _model_text(self, inputs: dict, blocks: list[str], usage: dict) -> Iterator[str]:
        """The model's text deltas.  The opening is held back while it could still be the refusal
        sentence; if it is one (retrieval found notes, so it should not be), the generation is
        cancelled and asked again with ``RETRY_PREFILL`` as the answer's first words.  The retry
        overrides the model's own judgement, so one of its first two sentences must be grounded in
        a block (most of its content words found there); otherwise the refusal stands."""
        first_try = text_deltas(self.generate.stream(inputs), usage)
        try:
            yield from self._first_or_retry(first_try, inputs, blocks, usage)
        finally:
            first_try.close()  # a no-op once it ended; cancels the generation when cut short

    def _first_or_retry(self, first_try: Iterator[str], inputs: dict, blocks: list[str], usage: dict) -> Iterator[str]:
        held, decided = "", False
        for chunk in first_try:
            if decided:
                yield chunk
                continue
            held += chunk
            kind = opening_kind(held)
            if kind == "undecided":
                continue
            if kind == "refusal" and self.settings.retry_refusals:
                first_try.close()  # cancels the generation
                break
            decided = True
            yield held
        else:
            if not decided and held:
                yield held  # the whole answer was a prefix of the refusal (or retries are off)
            return
        messages = ANSWER_PROMPT.invoke(inputs).to_messages() + [AIMessage(RETRY_PREFILL)]
        retry = text_deltas(self.llm.stream(messages), usage)
        try:
            opening, grounded = _read_opening(retry, blocks)
            if not grounded:
                yield REFUSAL
                return
            usage["retried"] = True  # reported on the Answer
            yield RETRY_PREFILL + opening
            yield from retry
        finally:
            retry.close()

    def ask(self, question: str, history: list[str] | None = None) -> Answer:
        final = None
        for event in self.stream(question, history):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final


def warm_answer_prompt(llm: BaseChatModel) -> Prefiller:
    """Load the chat model and process the answer prompt's fixed part (its instructions) in the
    background, so that a fresh process (``coach ask``) does both while it imports the embedding
    model and retrieves, instead of after."""
    prefiller = Prefiller(llm)
    prefiller.submit(ANSWER_PROMPT.format_messages(notes="", earlier="", question="", hint="")[:1])
    return prefiller


def _read_opening(deltas: Iterator[str], blocks: list[str]) -> tuple[str, bool]:
    """Read deltas until one of the first two sentences is found in a block (grounded) or two
    sentences are not; returns the text read and the verdict."""
    opening = ""
    for delta in deltas:
        opening += delta
        sentences = checkable_sentences(opening)[:2]
        if any(attribute(s, blocks) is not None for s in sentences):
            return opening, True
        if len(sentences) == 2:
            return opening, False
    sentences = checkable_sentences(opening, final=True)[:2]
    return opening, any(attribute(s, blocks) is not None for s in sentences)
