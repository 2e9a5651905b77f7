"""What the notes are about, when the ``subject`` setting does not say: the word that the most
note files use in their top headings ("MLOps Interview Questions and Answers" -> "MLOps")."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ingest.models import QuestionItem
from rag.lexical import STOPWORDS

# words of a heading that say what kind of document it is, not what it is about
_GENERIC = frozenset("""interview interviews question questions answer answers q a qa list complete preparation
    prep guide notes note level levels basic basics advanced intermediate very project explanation ready part
    section chapter introduction overview example examples common top key important final cheat sheet""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#.-]*[A-Za-z0-9+#]|[A-Za-z]")


def guess_subject(top_headings: Iterable[tuple[str, str]]) -> str:
    """The subject from ``(file, top heading)`` pairs: the word found in the top headings of the
    most files (at least two files, or the only one), as first written; "" when none stands out."""
    files_of: dict[str, set[str]] = {}
    spelling: dict[str, str] = {}
    files = set()
    for file, heading in top_headings:
        files.add(file)
        for w in _WORD.findall(heading):
            key = w.lower()
            if key in STOPWORDS or key in _GENERIC or len(key) < 2 or key.isdigit():
                continue
            files_of.setdefault(key, set()).add(file)
            spelling.setdefault(key, w)
    if not files_of:
        return ""
    best = max(files_of, key=lambda k: (len(files_of[k]), -list(spelling).index(k)))
    return spelling[best] if len(files_of[best]) >= min(2, len(files)) else ""


def top_headings(bank: Iterable[QuestionItem]) -> list[tuple[str, str]]:
    """(file, top-level heading) of each question of the bank, once per pair."""
    return list(dict.fromkeys((q.file, q.headings[0]) for q in bank if q.headings))
