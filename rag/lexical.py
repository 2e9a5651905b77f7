"""Text helpers shared by retrieval (BM25), prompt compression, grading and the judges:
word tokens, a light stemmer, content words, sentences."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
ABBREVIATIONS = ("e.g", "i.e", "vs", "etc", "approx", "incl", "esp", "cf")  # their "." ends no sentence
_ABBREV_ALT = "|".join(re.escape(a) for a in ABBREVIATIONS)
_ABBREV_TAIL = re.compile(rf"\b({_ABBREV_ALT})$", re.I)
SENTENCE_END_MARKS = ".!?"
# The one sentence rule: a sentence ends at . ! ? (then any closing quote or bracket and any
# citation markers such as [1][2]) followed by white space, or at a line break.  A "." right
# after an abbreviation ends nothing.  Streaming code applies the same rule to growing text.
SENTENCE_BOUNDARY = re.compile(r"\n+|(?<=[.!?])[\"\u201d')\]]*(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*[ \t]+")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't could did do does doing don't down during each
    either else etc even ever every few for from further get gets got had has have having he her here
    hers him his how however i i'm if in into is isn't it it's its itself just let like ll lot lots
    me might more most much must my myself need needs no nor not now of off on once one only or other
    our ours out over own per quite rather re really same say says see she should so some something
    such sure than that that's the their theirs them then there these they thing things this those
    through thus to too uh um under until up upon us use used uses using very via want was wasn't way
    we well were what when where whether which while who whom why will with within without would yeah
    yes yet you your yours basically actually kind okay ok""".split()
)


def words(text: str) -> list[str]:
    """Lower-case word tokens (keeps ``a/b`` apart, ``5-10`` and ``don't`` together)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'deploying'/'deployment'/'deploys'/'deployed'."""
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    for suf, rep in (
        ("ational", "ate"), ("ization", "ize"), ("isation", "ize"), ("fulness", "ful"),
        ("iveness", "ive"), ("ements", ""), ("ement", ""), ("ments", ""), ("ment", ""),
        ("ations", "ate"), ("ation", "ate"), ("ities", ""), ("ity", ""), ("ings", ""), ("ing", ""),
        ("ies", "y"), ("ied", "y"), ("edly", ""), ("ed", ""), ("ers", ""), ("er", ""), ("ly", ""),
        ("es", ""), ("s", ""),
    ):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            if suf == "s" and w.endswith(("ss", "us", "is")):
                continue
            w = w[: len(w) - len(suf)] + rep
            break
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]  # running -> runn -> run
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]  # validate / validation -> validat
    return w


def content_words(text: str) -> list[str]:
    """Stemmed tokens without stopwords, in order (duplicates kept)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def ends_with_abbreviation(text: str) -> bool:
    """Does ``text``, cut just before a ".", end with an abbreviation ("e.g", "vs")?"""
    return bool(_ABBREV_TAIL.search(text))


def sentence_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, complete) of each sentence or line of ``text`` by ``SENTENCE_BOUNDARY``: ``end``
    excludes the white space after it; ``complete`` is False only for a last part that no boundary
    follows yet (in streamed text it may still grow).  Blank parts are skipped."""
    spans, start = [], 0
    for m in SENTENCE_BOUNDARY.finditer(text):
        if "\n" not in m.group(0) and text[m.start() - 1] == "." and ends_with_abbreviation(text[start:m.start() - 1]):
            continue  # "canary vs. blue-green" goes on
        end = m.start() + len(m.group(0).rstrip())
        if text[start:end].strip():
            spans.append((start, end, True))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text), False))
    return spans


def split_sentences(text: str, final: bool = True) -> list[str]:
    """Sentences and lines of ``text`` (abbreviations such as "e.g." and "vs." end none).  Unless
    ``final``, a last sentence that no boundary follows yet is left out."""
    return [text[a:b].strip() for a, b, complete in sentence_spans(text) if final or complete]


# words that say what kind of answer is wanted, not what it is about
QUERY_WORDS = frozenset("explain describe tell give difference differences versus vs between compare".split())


def tokenize(text: str) -> list[str]:
    """BM25 / overlap tokens: content-word stems; hyphenated terms also yield their parts
    ("blue-green" -> blue-green, blue, green)."""
    out: list[str] = []
    for w in words(text):
        if w in STOPWORDS or w in QUERY_WORDS:
            continue
        parts = [w, *w.split("-")] if "-" in w else [w]
        out.extend(stem(p) for p in parts if p and p not in STOPWORDS)
    return out
