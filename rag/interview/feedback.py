"""The interviewer's spoken part: feedback on an answer and one follow-up question.

One LLM call per main answer; its output is "feedback sentences" then a line starting
``Follow-up:``.  ``FeedbackSplitter`` separates the two while the tokens stream.
"""

from __future__ import annotations

import re

from langchain_core.prompts import ChatPromptTemplate

SYSTEM = (
    "You are a friendly, demanding MLOps interviewer. Base everything on the numbered notes only."
)
HUMAN = (
    "Notes:\n{notes}\n\nQuestion asked: {question}\nCandidate's answer: {answer}\n"
    "Points they missed: {missing}\n\n"
    "Reply in this format:\nFeedback: 2-3 short sentences on what was good and what was missing.\n"
    "Follow-up: one short follow-up question about a detail in the notes."
)
FEEDBACK_PROMPT = ChatPromptTemplate.from_messages([("system", SYSTEM), ("human", HUMAN)])

MARKER = "follow-up:"
_MARKER_RE = re.compile(r"\**\s*follow[- ]?up(?: question)?\s*\**\s*:\s*\**", re.I)


def feedback_inputs(question: str, answer: str, missing: list[str], notes: str, max_answer_words: int = 90) -> dict:
    words = answer.split()
    short = " ".join(words[:max_answer_words]) + (" …" if len(words) > max_answer_words else "")
    return {"notes": notes, "question": question, "answer": short or "(no answer)",
            "missing": "; ".join(missing[:4]) if missing else "none"}


class FeedbackSplitter:
    """Feed streamed text; get back the part that is feedback (safe to show now).
    After the stream, ``followup`` holds the follow-up question (or "")."""

    def __init__(self) -> None:
        self.text = ""
        self._shown = 0
        self._split: int | None = None

    def feed(self, delta: str) -> str:
        self.text += delta
        if self._split is None:
            m = _MARKER_RE.search(self.text)
            if m:
                self._split = m.start()
                self._after = m.end()
            else:
                safe = max(self._shown, len(self.text) - 24)  # hold back a possible partial marker
                out = self.text[self._shown:safe]
                self._shown = safe
                return _strip_label(out, self._shown - len(out))
        out = self.text[self._shown:self._split] if self._shown < self._split else ""
        self._shown = max(self._shown, self._split)
        return _strip_label(out, self._split - len(out))

    def finish(self) -> str:
        """Any feedback text still held back."""
        end = self._split if self._split is not None else len(self.text)
        out = self.text[self._shown:end]
        self._shown = end
        return _strip_label(out, end - len(out))

    @property
    def feedback(self) -> str:
        end = self._split if self._split is not None else len(self.text)
        return re.sub(r"^\s*\**feedback\**\s*:\s*\**", "", self.text[:end], flags=re.I).strip()

    @property
    def followup(self) -> str:
        if self._split is None:
            return ""
        q = self.text[self._after:].strip().strip("*").strip()
        q = q.splitlines()[0].strip() if q else ""
        return q if len(q.split()) >= 3 else ""


def _strip_label(out: str, start: int) -> str:
    """Drop a leading "Feedback:" label when it is at the very start of the stream."""
    if start == 0:
        return re.sub(r"^\s*\**feedback\**\s*:\s*\**\s*", "", out, flags=re.I)
    return out
