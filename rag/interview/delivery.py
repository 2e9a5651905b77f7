"""How an answer was *said*, as a coach would note it: speaking time, pace, filler words, long pauses,
and which of the notes' terms the answer used.  Pure: a transcript's timed words in, figures out.

Fillers: "um", "uh", "er", "erm", "hmm", "basically" always; "you know" unless it asks ("do you
know"); "sort of" / "kind of" unless a determiner makes them mean a kind ("a kind of model", "what
sort of drift"); "like" only where it fills (next to a comma or opening a sentence: "it's, like, a
registry", "Like, we..."), never as in "tools like MLflow" or "it looks like drift".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.lexical import tokenize, words as word_tokens
from rag.speech.types import Word

LONG_PAUSE = 2.0  # seconds of silence between two words that count as a long pause
ALWAYS_FILLERS = frozenset({"um", "umm", "uh", "uhm", "er", "erm", "hmm", "basically"})
_DETERMINERS = frozenset("a an the this that what which some any every one each these those same different other another all no".split())
_ASKING = frozenset("do did don't didn't if as".split())
_NOT_FILLER_BEFORE_LIKE = frozenset("would i'd you'd we'd they'd looks look looked seems seem feel feels felt".split())


@dataclass(frozen=True)
class Pause:
    after: str  # the word said before the pause
    at: float  # seconds from the start of the recording
    seconds: float


@dataclass(frozen=True)
class Delivery:
    speaking_seconds: float
    words: int
    words_per_minute: float | None
    fillers: dict[str, int] = field(default_factory=dict)
    long_pauses: tuple[Pause, ...] = ()
    terms_used: tuple[str, ...] = ()
    terms_missed: tuple[str, ...] = ()

    @property
    def filler_count(self) -> int:
        return sum(self.fillers.values())

    def to_dict(self) -> dict:
        return {"speaking_seconds": self.speaking_seconds, "words": self.words, "words_per_minute": self.words_per_minute,
                "fillers": dict(self.fillers), "filler_count": self.filler_count,
                "long_pauses": [{"after": p.after, "at": p.at, "seconds": p.seconds} for p in self.long_pauses],
                "terms_used": list(self.terms_used), "terms_missed": list(self.terms_missed)}


def _bare(text: str) -> str:
    return " ".join(word_tokens(text))


def count_fillers(spoken: Sequence[str]) -> Counter[str]:
    """Filler words of ``spoken`` (words as the recogniser wrote them, punctuation attached)."""
    toks = [_bare(w) for w in spoken]
    found: Counter[str] = Counter()
    for i, (raw, tok) in enumerate(zip(spoken, toks)):
        prev = toks[i - 1] if i else ""
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if tok in ALWAYS_FILLERS:
            found["um" if tok in ("umm", "uhm") else tok] += 1
        elif tok == "know" and prev == "you" and (toks[i - 2] if i >= 2 else "") not in _ASKING:
            found["you know"] += 1
        elif tok == "of" and prev in ("sort", "kind") and (toks[i - 2] if i >= 2 else "") not in _DETERMINERS:
            found[f"{prev} of"] += 1
        elif tok == "like":
            before = spoken[i - 1] if i else ""
            opens = i == 0 or before.rstrip().endswith((".", "?", "!", ",", ";", ":"))
            if prev not in _NOT_FILLER_BEFORE_LIKE and prev != "like" and (opens or raw.rstrip().endswith(",")) and nxt:
                found["like"] += 1
    return found


def _has_term(term: str, answer_tokens: set[str]) -> bool:
    toks = tokenize(term)
    return bool(toks) and all(t in answer_tokens for t in toks)


def delivery(words: Sequence[Word], terms: Sequence[str] = (), answer: str | None = None) -> Delivery:
    """Delivery figures of an answer from its timed ``words``; ``terms``: the notes' terms for the
    question (``rag.speech.jargon.Vocabulary.answer_terms``), split into those the answer used and
    missed, in ``answer`` (the text graded, after the candidate's edits) when given, else in the words."""
    spoken = [w for w in words if _bare(w.text)]
    if not spoken:
        return Delivery(0.0, 0, None, {}, (), (), tuple(terms))
    speaking = max(0.0, spoken[-1].end - spoken[0].start)
    n = sum(len(word_tokens(w.text)) for w in spoken)
    pauses = tuple(Pause(a.text.strip(), round(a.end, 2), round(b.start - a.end, 2))
                   for a, b in zip(spoken, spoken[1:]) if b.start - a.end > LONG_PAUSE)
    answer_tokens = set(tokenize(answer if answer is not None else " ".join(w.text for w in spoken)))
    used = tuple(t for t in terms if _has_term(t, answer_tokens))
    missed = tuple(t for t in terms if t not in used)
    return Delivery(round(speaking, 2), n, round(n / speaking * 60, 1) if speaking > 0 else None,
                    dict(count_fillers([w.text for w in spoken])), pauses, used, missed)



PACE = (110, 170)  # words a minute an interviewer follows comfortably; outside it: "fast" / "slow"


def _duration(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def delivery_lines(d: Delivery) -> list[str]:
    """Delivery feedback as a coach would say it, one plain-text line per aspect (the score card
    and the session report show the same lines)."""
    if not d.words:
        return ["Nothing was heard in the recording."]
    pace = ""
    if d.words_per_minute is not None:
        judged = " (fast: slow down)" if d.words_per_minute > PACE[1] else " (slow)" if d.words_per_minute < PACE[0] else ""
        pace = f" at {d.words_per_minute:.0f} words a minute{judged}"
    lines = [f"Spoke for {_duration(d.speaking_seconds)}{pace}."]
    if d.fillers:
        each = ", ".join(f"\u201c{w}\u201d \u00d7{n}" for w, n in sorted(d.fillers.items(), key=lambda kv: -kv[1]))
        lines.append(f"Filler words: {d.filler_count} ({each}).")
    else:
        lines.append("No filler words.")
    if d.long_pauses:
        longest = max(d.long_pauses, key=lambda p: p.seconds)
        lines.append(f"Long pauses: {len(d.long_pauses)} (the longest {longest.seconds:.1f} s, after \u201c{longest.after}\u201d).")
    if d.terms_used:
        lines.append("Terms from your notes you used: " + ", ".join(d.terms_used) + ".")
    if d.terms_missed:
        lines.append("Terms you could have used: " + ", ".join(d.terms_missed) + ".")
    return lines


SPOKEN_SHARE = 0.5  # share of the transcript's words the answer box must still hold


def still_spoken(answer: str, transcript: str) -> bool:
    """Is ``answer`` (the box as sent) still mostly the recording's ``transcript``?  Edits that fix
    a word keep it spoken; an answer typed over the transcript is a typed answer."""
    said = tokenize(transcript)
    if not said:
        return False
    kept = set(tokenize(answer))
    return sum(t in kept for t in said) / len(said) >= SPOKEN_SHARE
