"""The notes' vocabulary as the recogniser's initial prompt: pure text functions, no model.

Whisper writes "ML flow", "D.V.C." or "cube flow" for terms it has not been told about; an initial
prompt naming them ("MLflow, DVC, Kubeflow") makes it spell them as the notes do.  A question's
prompt names its section titles and the technical terms of the question, its key points and its
reference answer (in that order of priority), then the notes' most frequent terms.

A *technical term* (``technical_terms``, the one rule, also used to score the recogniser on terms)
is a word written in a way plain English is not: inner capitals or all capitals (MLflow, DVC, PSI,
CI/CD, PyTorch), letters with digits (S3, EC2), or a capitalised word inside a sentence
(Kubeflow, Prometheus, Grafana).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from ingest.markdown import strip_inline
from ingest.models import QuestionItem
from rag.lexical import STOPWORDS, split_sentences

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[./+&-][A-Za-z0-9]+)*[+#]*")
_LEVEL_OR_NUMBER = re.compile(r"^\s*(?:\d+[.)]\s*|[IVX]+[.)]\s+|Q\s*:\s*)")
_FILE = re.compile(r"\.(?:ya?ml|json|toml|py|txt|md|csv|cfg|ini|sh)$", re.I)
NOT_TERMS = frozenset("i ok okay q a vs eg ie etc".split())
PROMPT_MAX_WORDS = 60  # whisper keeps about 220 prompt tokens; past ~60 words the prompt starts to echo


def _is_term(token: str, sentence_start: bool, common: frozenset[str] | set[str]) -> bool:
    low = token.lower()
    if low in STOPWORDS or low in NOT_TERMS or len(token) < 2:
        return False
    inner_caps = any(c.isupper() for c in token[1:])
    digits = any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
    capital = token[0].isupper() and not sentence_start and low not in common
    return inner_caps or digits or capital or any(c in token for c in "/+#&")


def lower_words(texts: Iterable[str]) -> set[str]:
    """Words the texts also write in lower case ("model", "training"): a capitalised one of these is a
    title or a label ("Model Training:"), not a name."""
    return {m.group(0) for t in texts for m in _TOKEN.finditer(strip_inline(t or "")) if m.group(0).islower()}


def technical_terms(text: str, common: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The technical terms of ``text`` in reading order, each once (first spelling kept); a capitalised
    plain word that ``text`` or ``common`` also writes in lower case is not one."""
    seen: dict[str, str] = {}
    common = set(common) | lower_words([text])
    for line in strip_inline(text or "").splitlines():
        for sentence in split_sentences(line):
            sentence = _LEVEL_OR_NUMBER.sub("", sentence)
            last = 0
            for m in _TOKEN.finditer(sentence):
                token = m.group(0).rstrip(".")
                gap = sentence[last:m.start()]
                # the first word of a sentence, of a label's text ("Solutions: Regularization") or after an arrow
                start = last == 0 or any(c in gap for c in ":;\u2192>|")
                glued = m.start() > 0 and (sentence[m.start() - 1].isdigit() or sentence[m.start() - 1] in "./")
                if glued or token.count("/") > 1 or _FILE.search(token):
                    last = m.end()
                    continue  # "50M+" is a number, ".github/workflows/x.yml" a path: not said as terms
                if _is_term(token, start, common) and token.lower() not in seen:
                    seen[token.lower()] = token
                last = m.end()
    return list(seen.values())


def section_title(heading: str) -> str:
    """A heading as it would be said: numbering ("2.", "Q:") and trailing colons dropped."""
    return _LEVEL_OR_NUMBER.sub("", strip_inline(heading)).strip().rstrip(":").strip()


def notes_vocabulary(items: Iterable[QuestionItem], limit: int = 40) -> list[str]:
    """The notes' most frequent technical terms (by how many questions' answers use them)."""
    items = list(items)
    common = lower_words(f"{it.question}\n{it.answer}" for it in items)
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for it in items:
        for t in technical_terms(f"{it.question}\n{it.answer}", common):
            counts[t.lower()] += 1
            spelling.setdefault(t.lower(), t)
    return [spelling[k] for k, n in counts.most_common() if n >= 2][:limit]


def question_terms(item: QuestionItem, key_points: Sequence[str] = (), vocabulary: Sequence[str] = (),
                   limit: int = 40, common: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The terms a spoken answer to ``item`` is likely to use: those of the question, of its key points,
    of its reference answer, then the notes' ``vocabulary``; each once, at most ``limit``.  ``common``:
    the notes' lower-case words (``lower_words``), so that "Pipeline" in a label is not taken for a name."""
    out: dict[str, str] = {}
    common = set(common) | lower_words([item.question, *key_points, item.answer])
    for text in (item.question, "\n".join(key_points), item.answer):
        for t in technical_terms(text, common):
            out.setdefault(t.lower(), t)
    for t in vocabulary:
        out.setdefault(t.lower(), t)
    return list(out.values())[:limit]


def initial_prompt(item: QuestionItem | None, terms: Sequence[str], subject: str | None = None) -> str:
    """The recogniser's initial prompt: the subject, the question's section titles and question, and
    the terms, within ``PROMPT_MAX_WORDS`` words ("" when there is nothing to say)."""
    parts: list[str] = []
    if subject:
        parts.append(f"{subject} interview.")
    if item is not None:
        titles = [section_title(h) for h in item.headings[:-1] if section_title(h)] if item.kind == "qa" else \
                 [section_title(h) for h in item.headings if section_title(h)]
        if titles:
            parts.append(f"{titles[-1]}.")
        if item.question:
            parts.append(section_title(item.question).rstrip("?. ") + "?")
    budget = PROMPT_MAX_WORDS - sum(len(p.split()) for p in parts)
    kept: list[str] = []
    for t in terms:
        if budget - len(t.split()) < 0:
            break
        kept.append(t)
        budget -= len(t.split())
    if kept:
        parts.append(", ".join(kept) + ".")
    return " ".join(parts)


DELIVERY_TERMS = 12  # the question's own terms a spoken answer is checked for (delivery feedback)


class Vocabulary:
    """The notes' vocabulary, worked out once per question bank: the recogniser's prompt for a
    question and the terms its answer is checked for.  The one place that turns a question into
    both, for the app, ``coach transcribe`` and the speech bench."""

    def __init__(self, items: Iterable[QuestionItem], subject: str | None = None) -> None:
        items = list(items)
        self.subject = subject
        self.terms = notes_vocabulary(items)
        self.common = frozenset(lower_words(f"{it.question}\n{it.answer}" for it in items))

    def prompt(self, item: QuestionItem | None, key_points: Sequence[str] = ()) -> str:
        """The initial prompt for an answer to ``item`` (``None``: a question to the notes, any topic)."""
        if item is None:
            return initial_prompt(None, self.terms, self.subject)
        return initial_prompt(item, question_terms(item, key_points, self.terms, common=self.common), self.subject)

    def answer_terms(self, item: QuestionItem, key_points: Sequence[str] = ()) -> list[str]:
        """The terms of the question itself (its text, key points and reference answer) that a
        complete spoken answer would say: the "terms used / missed" of delivery feedback."""
        return question_terms(item, key_points, (), limit=DELIVERY_TERMS, common=self.common)
