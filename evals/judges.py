"""Faithfulness judges: is a claim supported by the context the model was given?

Two judges, reported side by side:
- ``EmbeddingJudge``: model-free (no chat model): the MiniLM embedding of the claim against the
  context's sentences, plus lexical evidence (content-word recall) and a number check, so a
  planted "50%" where the notes say "5-10%" is caught.
- ``LLMJudge``: the configured chat model, asked a strict YES / NO "is the claim backed by the
  context?" per claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from rag.citations import CITATION
from rag.prompts import is_refusal
from rag.support import context_sentences as split_sentences
from rag.support import evidence_windows, strip_marks
from rag.vectors import embed_unit
from rag.lexical import tokenize, words

_NUM = re.compile(r"\d+(?:\.\d+)?")


def split_claims(answer: str) -> list[str]:
    """Atomic-enough claims of an answer: its sentences without citation markers or the chain's
    "not in your notes" marks, skipping fragments too short to check and the refusal sentence."""
    claims = []
    for s in split_sentences(CITATION.sub("", strip_marks(answer))):
        s = re.sub(r"\s+([.,;:!?])", r"\1", s).strip()
        if len(tokenize(s)) >= 3 and not is_refusal(s):
            claims.append(s)
    return claims


@dataclass
class Verdict:
    supported: bool
    score: float
    evidence: str = ""


# Generic opposites: a claim using one while its evidence uses the other contradicts it.
_OPPOSITES = [("symmetric", "asymmetric"), ("simple", "complex"), ("simpler", "complex"), ("more", "less"),
              ("higher", "lower"), ("increase", "decrease"), ("increases", "decreases"), ("before", "after"),
              ("faster", "slower"), ("cheaper", "expensive"), ("small", "large"), ("same", "different"),
              ("gradual", "instant"), ("gradually", "instantly"), ("manual", "automatic"), ("manual", "automated"),
              ("online", "offline"), ("synchronous", "asynchronous"), ("categorical", "continuous"),
              ("supervised", "unsupervised"), ("always", "never"), ("low", "high"), ("minimum", "maximum")]
OPPOSITE: dict[str, set[str]] = {}
for _a, _b in _OPPOSITES:
    OPPOSITE.setdefault(_a, set()).add(_b)
    OPPOSITE.setdefault(_b, set()).add(_a)


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*|[A-Z][a-z]+[A-Z]\w*|[A-Z][a-z]{2,})\b")


def unknown_names(claim: str, context: str) -> list[str]:
    """Capitalised words inside the claim (names of tools, companies, services: "Datadog",
    "Lambda", "LFS") that appear nowhere in the context, in any case."""
    ctx = context.lower()
    return [m.group(1) for m in _NAME.finditer(claim) if m.group(1).lower() not in ctx]


@dataclass
class ClaimEvidence:
    cosine: float  # best cosine of the claim with a context sentence (or two adjacent ones)
    lexical: float  # share of the claim's content words found in its 3 best evidence windows
    numbers_ok: bool  # every number of the claim appears in those windows
    contradiction: bool  # the claim uses a word whose opposite the best window uses instead
    evidence: str
    names_ok: bool = True  # every name the claim uses appears somewhere in the context


class EmbeddingJudge:
    """Supported = close in meaning to some context sentence AND its words and numbers are found
    there AND no opposite word AND every name it uses is in the context.  Thresholds: grid search
    on evals/data/calibration.jsonl (accuracy 0.797, the same under leave-one-item-out
    cross-validation; 0.780 / 0.746 before the name check)."""

    name = "embedding"

    def __init__(self, embeddings: Embeddings, cos_min: float = 0.625, lex_min: float = 0.6) -> None:
        self.embeddings = embeddings
        self.cos_min, self.lex_min = cos_min, lex_min

    def evidence(self, claims: list[str], context: str) -> list[ClaimEvidence]:
        windows = evidence_windows(context)
        if not claims or not windows:
            return [ClaimEvidence(0.0, 0.0, False, False, "") for _ in claims]
        vecs = embed_unit(self.embeddings, claims + windows)
        sims = vecs[: len(claims)] @ vecs[len(claims):].T
        out = []
        for i, claim in enumerate(claims):
            order = np.argsort(-sims[i])
            best = windows[order[0]]
            top = " ".join(windows[k] for k in order[:3])
            toks = tokenize(claim)
            near = set(tokenize(top))
            lex = sum(t in near for t in toks) / len(toks) if toks else 0.0
            numbers_ok = set(_NUM.findall(claim)) <= set(_NUM.findall(top))
            claim_words, best_words = set(words(claim)), set(words(best))
            contra = any(w not in best_words and OPPOSITE.get(w, set()) & best_words for w in claim_words)
            out.append(ClaimEvidence(float(sims[i, order[0]]), lex, numbers_ok, contra, best,
                                     names_ok=not unknown_names(claim, context)))
        return out

    def judge(self, claims: list[str], context: str) -> list[Verdict]:
        return [Verdict(e.cosine >= self.cos_min and e.lexical >= self.lex_min and e.numbers_ok and not e.contradiction
                        and e.names_ok, round(e.cosine, 4), e.evidence)
                for e in self.evidence(claims, context)]


# Chosen on evals/data/calibration.jsonl among three prompts (accuracy at catching planted claims):
# "SUPPORTED/UNSUPPORTED, strict" 0.842; the same with six worked examples 0.836 (fewer false
# alarms, many more misses); this YES/NO question 0.870.
JUDGE_SYSTEM = (
    "You check whether a claim is backed by a context. Answer YES only if the context states the claim "
    "or something that clearly means the same, with the same numbers. Answer NO if the claim adds a detail "
    "the context does not give, changes a number, or reverses the meaning. Reply with one word: YES or NO."
)


class LLMJudge:
    name = "llm"

    def __init__(self, llm: BaseChatModel) -> None:
        self.llm = llm

    def judge(self, claims: list[str], context: str) -> list[Verdict]:
        verdicts = []
        for claim in claims:
            msgs = [SystemMessage(JUDGE_SYSTEM), HumanMessage(f"Context:\n{context}\n\nClaim: {claim}\n\nVerdict:")]
            reply = self.llm.invoke(msgs, max_tokens=4, temperature=0.0).content
            text = reply.strip().upper() if isinstance(reply, str) else ""
            supported = text.startswith(("YES", "SUPPORTED"))
            verdicts.append(Verdict(supported, 1.0 if supported else 0.0, text[:20]))
        return verdicts
