"""Follow-up questions without an extra LLM call.

A question such as "and how do you roll it back?" says nothing on its own.  Instead of asking
the chat model to rewrite it (an extra ~3-6 s per turn on 2 cores), retrieval also searches the
question joined with the previous user turn and fuses both rankings.  A turn counts as a
follow-up when it reads like one (opener, pronoun, very short) or when the question alone
matches the notes only weakly.
"""

from __future__ import annotations

import re

_OPENERS = ("and ", "but ", "so ", "then ", "also ", "what about", "how about", "why ", "what if", "ok ", "okay ")
_ANAPHORA = {"it", "its", "that", "this", "those", "these", "they", "them", "their", "one", "ones",
             "other", "former", "latter", "there", "same", "such", "both", "either", "he", "she"}


def reads_as_followup(question: str, history: list[str]) -> bool:
    if not history:
        return False
    q = question.strip().lower()
    words = re.findall(r"[a-z']+", q)
    if q.startswith(_OPENERS) or len(words) <= 3:
        return True
    return any(w in _ANAPHORA for w in words)


def contextual_query(question: str, history: list[str]) -> str:
    return f"{history[-1].strip()} {question.strip()}"
