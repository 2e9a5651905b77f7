"""Is a sentence of an answer found in the notes it was given?  One home for the evidence windows
and their cosines, used by the chain's "not in your notes" mark and by the evals' embedding judge.

No NLI model ships offline (../shared/STACK.md), so support is read as closeness in meaning (the
MiniLM cosine of the sentence with its best context sentence, or two adjacent ones).  Labelled
real answers (evals/data/claims_real.jsonl, both rounds) show what that can do: below 0.5 (chosen
on the tuning part for a mark right at least 7 times in 10) 3 of 4 marked sentences there and 3 of
3 on the held-out part are indeed unsupported, but it finds only about one in ten of them; at 0.6
it would find a third and be wrong half the time.  It cannot see a confusion stated in the notes'
own words, which is most of what the 1.5B model gets wrong (README, Evals).
"""

from __future__ import annotations

import re

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.markdown import plain_lines
from rag.lexical import split_sentences
from rag.vectors import embed_unit

UNSUPPORTED_MARK = "*(not in your notes)*"
_MARK = re.compile(r"\s*" + re.escape(UNSUPPORTED_MARK))


def strip_marks(text: str) -> str:
    """``text`` without the marks the chain added."""
    return _MARK.sub("", text)


def context_sentences(text: str) -> list[str]:
    """Sentences and list items of markdown-ish text, markers and emphasis removed."""
    out = []
    for line in plain_lines(text):
        if line:
            out.extend(split_sentences(line))
    return out


def evidence_windows(context: str) -> list[str]:
    """What a claim is compared with: each context sentence, and each two adjacent ones."""
    sents = context_sentences(context)
    return sents + [f"{a} {b}" for a, b in zip(sents, sents[1:])]


class SupportCheck:
    """The best cosine of a sentence with the evidence windows of one context.  The windows are
    embedded once, on the first sentence checked (not before the first answer token)."""

    def __init__(self, embeddings: Embeddings, context: str) -> None:
        self.embeddings = embeddings
        self.context = context
        self._windows: list[str] | None = None
        self._vectors: np.ndarray | None = None

    def _ready(self) -> None:
        if self._windows is None:
            self._windows = evidence_windows(self.context)
            self._vectors = embed_unit(self.embeddings, self._windows) if self._windows else np.zeros((0, 1))

    def best(self, sentence: str) -> tuple[float, str]:
        """(cosine, window) of the window closest to ``sentence``; (0.0, "") without context."""
        self._ready()
        if not self._windows:
            return 0.0, ""
        sims = self._vectors @ embed_unit(self.embeddings, [sentence])[0]
        i = int(np.argmax(sims))
        return float(sims[i]), self._windows[i]
