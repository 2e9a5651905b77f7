"""Tokenising for BM25 and lexical overlap: lower-case content words with light stemming."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:[-+.][a-z0-9]+)*")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves also explain describe tell give us e g eg etc vs versus between difference
    use used using""".split()
)


def stem(word: str) -> str:
    """A deliberately light suffix stripper (no dependency, predictable for short technical words)."""
    for suffix, min_len in (("ies", 5), ("ing", 6), ("ed", 5), ("es", 5), ("s", 4)):
        if word.endswith(suffix) and len(word) >= min_len and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("_", " "))


def tokenize(text: str) -> list[str]:
    """Content-word stems; hyphenated terms also yield their parts ("blue-green" -> blue-green, blue, green)."""
    out: list[str] = []
    for w in words(text):
        parts = [w, *re.split(r"[-+.]", w)] if re.search(r"[-+.]", w) else [w]
        out.extend(stem(p) for p in parts if p and p not in STOPWORDS)
    return out
