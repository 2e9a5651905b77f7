"""The interviewer's spoken part: feedback on an answer and one follow-up question.

One LLM call per main answer; its output is "feedback sentences" then a line starting
``Follow-up:``.  ``FeedbackSplitter`` separates the two while the tokens stream.
"""

from __future__ import annotations

import re

from langchain_core.prompts import ChatPromptTemplate

SYSTEM = (
    "You are a friendly, demanding MLOps interviewer talking to the candidate: address them as you. "
    "Base everything on the numbered notes only."
)
HUMAN = (
    "Notes:\n{notes}\n\nQuestion asked: {question}\nCandidate's answer: {answer}\n"
    "Points they missed: {missing}\n\n"
    "Reply in this format:\nFeedback: 2-3 short sentences to the candidate on what was good and what was missing.\n"
    "Follow-up: your next question, about a detail in the notes."
)
FEEDBACK_PROMPT = ChatPromptTemplate.from_messages([("system", SYSTEM), ("human", HUMAN)])

_LABEL_RE = re.compile(r"\s*\**\s*feedback\s*\**\s*:\s*\**\s*", re.I)
_MARKER_RE = re.compile(r"\**\s*follow[- ]?up(?: question)?\s*\**\s*:\s*\**", re.I)


def feedback_inputs(question: str, answer: str, missing: list[str], notes: str, max_answer_words: int = 90) -> dict:
    words = answer.split()
    short = " ".join(words[:max_answer_words]) + (" …" if len(words) > max_answer_words else "")
    return {"notes": notes, "question": question, "answer": short or "(no answer)",
            "missing": "; ".join(missing[:4]) if missing else "none"}


class FeedbackSplitter:
    """Feed streamed text; get back the part that is feedback (safe to show now).
    After the stream, ``followup`` holds the follow-up question (or "")."""

    HOLD = 24  # characters held back: a "Follow-up:" marker may be arriving

    def __init__(self) -> None:
        self.text = ""
        self._shown = 0
        self._start: int | None = None  # where the feedback starts, after a "Feedback:" label
        self._split: int | None = None
        self._after = 0

    def _label_end(self, final: bool) -> int | None:
        if self._start is None and (final or len(self.text.lstrip()) >= 12):
            m = _LABEL_RE.match(self.text)
            self._start = m.end() if m else 0
        return self._start

    def feed(self, delta: str) -> str:
        self.text += delta
        if self._split is None and (m := _MARKER_RE.search(self.text)):
            self._split, self._after = m.start(), m.end()
        return self._emit(final=False)

    def _emit(self, final: bool) -> str:
        start = self._label_end(final or self._split is not None)
        if start is None:
            return ""
        if self._split is not None:
            end = self._split
        else:
            end = len(self.text) if final else max(start, len(self.text) - self.HOLD)
        begin = max(self._shown, start)
        if end <= begin:
            return ""
        self._shown = end
        return self.text[begin:end]

    def finish(self) -> str:
        """Any feedback text still held back."""
        return self._emit(final=True)

    @property
    def feedback(self) -> str:
        end = self._split if self._split is not None else len(self.text)
        return _LABEL_RE.sub("", self.text[:end], count=1).strip()

    @property
    def followup(self) -> str:
        if self._split is None:
            return ""
        q = self.text[self._after:].strip().strip("*").strip()
        q = q.splitlines()[0].strip().strip('"').strip() if q else ""
        return q if len(q.split()) >= 3 else ""
