"""Text out of a chat model's stream, written once for the answer chain and the interviewer."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rag.lexical import sentence_spans


def text_deltas(chunks: Iterable, usage: dict | None = None) -> Iterator[str]:
    """The non-empty text of streamed message chunks (non-text content is skipped); token counts
    reported on any chunk are added to ``usage["input_tokens"]`` / ``usage["output_tokens"]``, and
    ``usage["text_chunks"]`` counts the text chunks (about one token each: the count to use when a
    generation is stopped before the server reports its usage)."""
    for chunk in chunks:
        meta = getattr(chunk, "usage_metadata", None)
        if meta and usage is not None:
            for key in ("input_tokens", "output_tokens"):
                usage[key] = usage.get(key, 0) + meta.get(key, 0)
        if isinstance(chunk.content, str) and chunk.content:
            if usage is not None:
                usage["text_chunks"] = usage.get("text_chunks", 0) + 1
            yield chunk.content


_WORD = re.compile(r"\w")


def unit_end(text: str, max_units: int) -> int | None:
    """Where ``text`` must be cut so it keeps ``max_units`` sentences or lines (``rag.lexical``'s
    rule): the end of the last unit kept, once that unit is complete and more text may follow;
    else None.  Lines without a word (a lone "-", a blank) are not counted."""
    count = 0
    for start, end, complete in sentence_spans(text):
        if not complete:
            return None
        if _WORD.search(text[start:end]):
            count += 1
            if count == max_units:
                return end
    return None


def cap_units(deltas: Iterator[str], max_units: int) -> Iterator[str]:
    """Pass deltas through until ``max_units`` sentences or lines are complete, then stop the
    generation.  The prompt asks for 2-4 sentences; a small model sometimes runs on into a long
    list or a loop until max_tokens.  (Measured in the README's Evals: it cut such loops and
    shortened answers; it did not raise the judged faithfulness.)"""
    text, sent = "", 0
    try:
        for delta in deltas:
            text += delta
            cut = unit_end(text, max_units)
            if cut is not None:
                if cut > sent:
                    yield text[sent:cut]
                return
            yield text[sent:]
            sent = len(text)
    finally:
        close = getattr(deltas, "close", None)
        if close:
            close()  # cancels the model's generation
