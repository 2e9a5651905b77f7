"""Faithfulness judges: is a claim supported by the context the model was given?

Two judges, reported side by side:
- ``EmbeddingJudge``: model-free (no chat model): the MiniLM embedding of the claim against the
  context's sentences, plus lexical evidence (content-word recall) and a number check, so a
  planted "50%" where the notes say "5-10%" is caught.
- ``LLMJudge``: the configured chat model with a strict supported / not-supported prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from rag.citations import CITATION
from rag.lexical import tokenize

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_NUM = re.compile(r"\d+(?:\.\d+)?")
_NEG = re.compile(r"\b(not|never|no|without|cannot|can't|doesn't|don't|isn't|aren't)\b", re.I)


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of markdown-ish text, markers and emphasis removed."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"\*\*|__|`", "", line)
        line = re.sub(r"^\s*(?:[-*>]|\d+\.)\s*", "", line).strip()
        if line:
            out.extend(s.strip() for s in _SENT.split(line) if s.strip())
    return out


def split_claims(answer: str) -> list[str]:
    """Atomic-enough claims of an answer: its sentences without citation markers, skipping
    fragments too short to check and the refusal sentence."""
    claims = []
    for s in split_sentences(CITATION.sub("", answer)):
        s = re.sub(r"\s+([.,;:!?])", r"\1", s).strip()
        if len(tokenize(s)) >= 3 and "don't cover" not in s.lower():
            claims.append(s)
    return claims


@dataclass
class Verdict:
    supported: bool
    score: float
    evidence: str = ""


class EmbeddingJudge:
    name = "embedding"

    def __init__(self, embeddings: Embeddings, cos_min: float = 0.55, lex_min: float = 0.5,
                 cos_alone: float = 0.8) -> None:
        self.embeddings = embeddings
        self.cos_min, self.lex_min, self.cos_alone = cos_min, lex_min, cos_alone

    def features(self, claims: list[str], context: str) -> list[tuple[float, float, bool, str]]:
        """(best cosine, lexical recall, numbers ok, evidence sentence) per claim."""
        sents = split_sentences(context)
        windows = sents + [f"{a} {b}" for a, b in zip(sents, sents[1:])]
        if not claims or not windows:
            return [(0.0, 0.0, False, "") for _ in claims]
        vecs = np.asarray(self.embeddings.embed_documents(claims + windows), dtype=np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-12
        sims = vecs[: len(claims)] @ vecs[len(claims):].T
        ctx_tokens = set(tokenize(context))
        ctx_numbers = set(_NUM.findall(context))
        out = []
        for i, claim in enumerate(claims):
            j = int(sims[i].argmax())
            toks = tokenize(claim)
            lex = sum(t in ctx_tokens for t in toks) / len(toks) if toks else 0.0
            nums_ok = set(_NUM.findall(claim)) <= ctx_numbers
            neg_ok = bool(_NEG.search(claim)) <= bool(_NEG.search(windows[j])) or sims[i, j] > 0.9
            out.append((float(sims[i, j]), lex, nums_ok and neg_ok, windows[j]))
        return out

    def judge(self, claims: list[str], context: str) -> list[Verdict]:
        verdicts = []
        for cos, lex, ok, ev in self.features(claims, context):
            supported = ok and ((cos >= self.cos_min and lex >= self.lex_min) or cos >= self.cos_alone)
            verdicts.append(Verdict(supported, round(cos, 4), ev))
        return verdicts


JUDGE_SYSTEM = (
    "You check facts. Reply with exactly one word: SUPPORTED if the context states or directly implies "
    "the claim, otherwise UNSUPPORTED. A claim with any detail missing from the context, a different number, "
    "or the opposite meaning is UNSUPPORTED."
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
            supported = text.startswith("SUPPORTED") or (text.startswith("YES"))
            verdicts.append(Verdict(supported, 1.0 if supported else 0.0, text[:20]))
        return verdicts
