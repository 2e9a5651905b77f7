"""Grade a spoken-style answer against the key points of a reference answer, offline.

For each key point: ``similarity`` = best cosine between the point and an answer segment
(sentence, clause, word window, two-sentence window, the whole answer when short), shrunk when
that segment is really about a sibling point (see ``_point_sims``); ``lexical`` = weighted share
of the point's content words (stemmed, stopwords out) found anywhere in the answer.  They blend
into a 0-1 ``strength``; the point is *covered* from ``cover_at`` and earns partial credit
between ``credit_floor`` and ``credit_full``.  Score = mean credit, 0-100.  Off-topic (low
similarity to both the question and the reference, nothing covered) caps the score at 10.

Calibrated on all-MiniLM-L6-v2 with real questions of the notes (tests/rag/interview): the
reference itself scores 100, a good answer to another question 0-17, spoken answers covering
about half of the points 42-67, an empty answer 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
from fsrs import Rating

from rag.interview.bands import band
from rag.interview.conflicts import Conflict, find_conflicts
from rag.lexical import content_words, split_sentences, words
from rag.vectors import embed_unit, unit_rows


@dataclass
class PointResult:
    point: str
    covered: bool
    similarity: float  # best cosine with an answer segment
    lexical: float  # share of the point's content words present in the answer
    source: str = ""  # citation of the reference answer, e.g. "002_x.txt > ... > 9. What is canary..."
    wrong: str = ""  # what the candidate said that contradicts this point (see conflicts.py)
    credit: float = 0.0  # 0-1, this point's share of the score
    disputed: bool = False  # the candidate said they covered it, and the grade was changed


@dataclass
class Grade:
    score: int  # 0-100
    points: list[PointResult] = field(default_factory=list)
    verdict: str = ""  # "no answer" | "off-topic" | "too short" | "weak" | "partial" | "good" | "strong"
    off_topic: bool = False
    empty: bool = False
    message: str = ""
    relevance: float = 0.0  # best cosine of the answer with the question / reference
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def wrong(self) -> list[PointResult]:
        return [p for p in self.points if p.wrong]

    @property
    def covered(self) -> list[PointResult]:
        return [p for p in self.points if p.covered]

    @property
    def missing(self) -> list[PointResult]:
        return [p for p in self.points if not p.covered]


@dataclass(frozen=True)
class GradingConfig:
    sim_low: float = 0.30  # cosine at or below which a point is not addressed at all
    sim_high: float = 0.80  # cosine at which it is clearly addressed
    lexical_weight: float = 0.35  # strength = (1-w) * scaled similarity + w * lexical recall
    cover_at: float = 0.40  # strength from which a point counts as covered
    credit_floor: float = 0.10  # strength below which a point earns nothing
    credit_full: float = 0.60  # strength from which a point earns full credit
    off_topic_below: float = 0.45  # relevance under this (and little lexical overlap) is off-topic
    off_topic_cap: int = 10
    short_words: int = 4  # answers with fewer content words are "too short"
    short_cap: int = 25
    max_segments: int = 40
    rivalry: float = 1.0  # see _point_sims
    conflict_penalty: int = 15  # points off per clause that contradicts the notes (conflicts.py)


DEFAULT = GradingConfig()
_MAX_SEG_WORDS = 50

_CLAUSE = re.compile(
    r"([,;:]\s+|\s+(?:and then|and also|and so|so that|which means|because|but|so|and|then|whereas|while)\s+)",
    re.I,
)


def _clauses(sentence: str, min_words: int = 4) -> list[str]:
    """Split a spoken run-on at commas and conjunctions; glue bits under ``min_words`` words
    back to their neighbour ("error rates and latency" stays whole)."""
    parts = _CLAUSE.split(sentence)  # text, separator, text, ...
    out: list[str] = []
    glue_next = False
    for i in range(0, len(parts), 2):
        part = re.sub(r"^(?:and|so|but|then)\s+", "", parts[i].strip(), flags=re.I)
        sep = parts[i - 1] if i else ""
        if not part:
            continue
        short = len(words(part)) < min_words
        if out and (short or glue_next):
            out[-1] = f"{out[-1]}{sep}{part}".strip()
        else:
            out.append(part)
        glue_next = len(words(out[-1])) < min_words
    return out


def answer_clauses(answer: str) -> list[str]:
    """The answer's sentences, long ones cut into clauses: the unit a contradiction is found in."""
    out: list[str] = []
    for line in re.split(r"[\n;]+", answer):
        for s in split_sentences(line.strip()):
            out.extend(_clauses(s) if len(s.split()) > 12 else [s] if s.strip() else [])
    return out


def segment_answer(answer: str, max_segments: int = DEFAULT.max_segments) -> list[str]:
    """Sentences, clauses of long sentences, word windows of unpunctuated run-ons,
    two-sentence windows and (when short) the whole answer: what a key point is matched against.

    Every segment stays under ~50 words: one long text would pad the whole batch (slow)."""
    sentences = [s for line in re.split(r"[\n;]+", answer) for s in split_sentences(line.strip()) if s.strip()]
    first: list[str] = []
    more: list[str] = []
    for s in sentences:
        w = s.split()
        if len(w) <= _MAX_SEG_WORDS:
            first.append(s)
        if len(w) > 12:
            more.extend(c for c in _clauses(s) if len(c.split()) <= _MAX_SEG_WORDS)
        if len(w) > 30:  # speech-to-text without punctuation
            more.extend(" ".join(w[i : i + 20]) for i in range(0, len(w) - 10, 10))
    more.extend(f"{a} {b}" for a, b in zip(sentences, sentences[1:]) if len(f"{a} {b}".split()) <= _MAX_SEG_WORDS)
    if len(sentences) > 1 and len(answer.split()) <= _MAX_SEG_WORDS:
        more.append(" ".join(answer.split()))
    seen: set[str] = set()
    uniq = [s for s in first + more if len(words(s)) >= 2 and not (s.lower() in seen or seen.add(s.lower()))]
    return uniq[:max_segments] or [" ".join(answer.split()[:_MAX_SEG_WORDS])]


def _point_sims(m: np.ndarray, pp: np.ndarray, rivalry: float) -> np.ndarray:
    """Best similarity of each point (row) over the segments (columns).

    Points of one answer can resemble each other ("data drift is a change in the inputs" /
    "concept drift is a change in the input-output mapping": cosine 0.72), so a sentence about
    one also scores high on the other.  For every segment, the points other than its best match
    are shrunk towards their partial correlation with the segment given that best point
    (``pp`` = point-point cosines); ``rivalry`` in [0, 1] is how far."""
    if rivalry <= 0 or m.shape[0] < 2:
        return m.max(axis=1)
    cols = np.arange(m.shape[1])
    b = m.argmax(axis=0)
    mb = m[b, cols]  # best similarity per segment
    r = pp[:, b]  # similarity of every point to each segment's best point
    denom = np.sqrt(np.clip((1 - r**2) * (1 - mb**2), 1e-6, None))
    partial = np.minimum(m, (m - r * mb) / denom)
    adj = m - rivalry * (m - partial)
    adj[b, cols] = mb
    return adj.max(axis=1)


def _word_weights(points: list[str], question: str) -> list[dict[str, float]]:
    """Per point, weights of its content words: words shared with other points count less
    (they do not tell the points apart), and so do the question's own words (restating the
    question is not covering a point)."""
    qwords = set(content_words(question))
    sets = [set(content_words(p)) for p in points]
    df: dict[str, int] = {}
    for ws in sets:
        for w in ws:
            df[w] = df.get(w, 0) + 1
    return [{w: (0.35 if w in qwords else 1.0) / df[w] for w in ws} for ws in sets]


def _recall(weights: dict[str, float], answer_words: set[str]) -> float:
    total = sum(weights.values())
    return sum(v for w, v in weights.items() if w in answer_words) / total if total else 0.0


def _short(text: str, n: int = 70) -> str:
    text = text.rstrip(" .;")
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def _score(credits, n_conflicts: int, config: GradingConfig) -> int:
    """Mean credit of the points, 0-100, less the penalty for each clause contradicting the notes."""
    return max(0, round(100 * float(np.mean(credits))) - config.conflict_penalty * n_conflicts)


def _verdict(score: int) -> str:
    return band(score).verdict


def grade_answer(
    answer: str,
    question: str,
    points: list[str],
    embeddings,
    source: str = "",
    config: GradingConfig = DEFAULT,
) -> Grade:
    """Grade ``answer`` to ``question`` against the reference key ``points``.  Pure: no I/O."""
    c = config
    text = (answer or "").strip()
    if not text:
        results = [PointResult(p, False, 0.0, 0.0, source) for p in points]
        return Grade(0, results, "no answer", empty=True,
                     message="No answer given \u2014 here is what a full answer covers.")
    segs = segment_answer(text, c.max_segments)
    vecs = embed_unit(embeddings, [*points, question, *segs])
    n = len(points)
    pv, qv, sv = vecs[:n], vecs[n], vecs[n + 1 :]
    sims = _point_sims(pv @ sv.T, pv @ pv.T, c.rivalry) if n else np.zeros(0)
    rv = unit_rows(pv.mean(axis=0, keepdims=True))[0] if n else qv  # the reference as a whole
    relevance = float(max((sv @ qv).max(), (sv @ rv).max()))
    answer_words = set(content_words(text))
    lex = np.array([_recall(w, answer_words) for w in _word_weights(points, question)])
    scaled = np.clip((sims - c.sim_low) / (c.sim_high - c.sim_low), 0.0, 1.0)
    strength = (1 - c.lexical_weight) * scaled + c.lexical_weight * lex
    credit = np.clip((strength - c.credit_floor) / (c.credit_full - c.credit_floor), 0.0, 1.0)
    results = [
        PointResult(p, bool(strength[i] >= c.cover_at), round(float(sims[i]), 3), round(float(lex[i]), 3), source)
        for i, p in enumerate(points)
    ]
    conflicts = find_conflicts(points, answer_clauses(text), embeddings) if n > 1 else []
    for k in conflicts:  # neither the point named nor the one whose content was given to it is known
        for i in (k.named, k.matched):
            credit[i], results[i].covered = 0.0, False
        results[k.named].wrong = results[k.named].wrong or k.clause
    for i, r in enumerate(results):
        r.credit = round(float(credit[i]), 3)
    if n:
        score = _score(credit, len(conflicts), c)
    else:  # nothing to check against (an unanswered scenario): relevance only
        score = round(100 * float(np.clip((relevance - c.sim_low) / (c.sim_high - c.sim_low), 0, 1)))
    off_topic = relevance < c.off_topic_below and not any(r.covered for r in results)
    too_short = len(set(content_words(text))) < c.short_words
    grade = Grade(score, results, _verdict(score), off_topic=off_topic, relevance=round(relevance, 3),
                  conflicts=conflicts)
    missing = [_short(p.point) for p in grade.missing]
    if off_topic:
        grade.score = min(score, c.off_topic_cap)
    if off_topic and not too_short:
        grade.verdict = "off-topic"
        grade.message = ("This answer does not address the question \u2014 "
                         f"it is about something else. The question was: {question}")
    elif too_short:
        grade.score = min(grade.score, c.short_cap)
        grade.verdict = "too short"
        grade.message = ("That is very brief \u2014 in an interview, explain it in a sentence or two. "
                         + (f"A full answer also covers: {'; '.join(missing)}." if missing else ""))
    else:
        grade.message = f"You covered {len(grade.covered)} of {n} key points."
        for p in grade.wrong:
            grade.message += f" Wrong: you said \u201c{_short(p.wrong, 90)}\u201d; your notes: \u201c{_short(p.point, 90)}\u201d."
        missing = [_short(p.point) for p in grade.missing if not p.wrong]
        if missing:
            grade.message += f" Missing: {'; '.join(missing)}."
    return grade


def accept_point(grade: Grade, index: int, config: GradingConfig = DEFAULT) -> Grade:
    """The grade once the candidate's claim that they covered point ``index`` is accepted: full
    credit for it, and what it was said to contradict is dropped.  Pure: a new Grade."""
    points = [replace(p) for p in grade.points]
    p = points[index]
    p.covered, p.credit, p.wrong, p.disputed = True, 1.0, "", True
    conflicts = [k for k in grade.conflicts if index not in (k.named, k.matched)]
    score = _score([q.credit for q in points], len(conflicts), config)
    new = replace(grade, points=points, conflicts=conflicts, score=score, verdict=_verdict(score), off_topic=False)
    new.message = f"You covered {len(new.covered)} of {len(points)} key points (with your correction)."
    return new


def score_to_rating(score: int | float) -> Rating:
    """Map a 0-100 grade to an FSRS rating by its band: Again < 40 <= Hard < 60 <= Good < 85 <= Easy."""
    return Rating[band(score).rating]
