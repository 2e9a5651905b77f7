"""The question bank: every question/scenario unit of the notes with its reference answer."""

from __future__ import annotations

import hashlib

from ingest.models import Chunk, QuestionItem, Unit, headings_key
from ingest.parse import strip_numbering


def question_id(file: str, headings: tuple[str, ...]) -> str:
    """Stable id of a question: its file and heading path (not its answer, which may be edited)."""
    key = "\x1e".join((file, headings_key(headings)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def topic_of(headings: tuple[str, ...]) -> str:
    """The heading right above the question, without numbering or a trailing colon."""
    if len(headings) < 2:
        return ""
    return strip_numbering(headings[-2]).rstrip(":").strip()


def build_question_bank(units: list[Unit], chunks: list[Chunk]) -> list[QuestionItem]:
    """One item per ``qa``/``scenario`` unit, linked to the chunks holding it."""
    by_heading: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for c in chunks:
        if c.kind != "section":
            by_heading.setdefault((c.file, c.headings), []).append(c.chunk_id)
    items: list[QuestionItem] = []
    seen: dict[str, int] = {}
    for u in units:
        if u.kind == "section" or not u.question:
            continue
        qid = question_id(u.file, u.headings)
        seen[qid] = seen.get(qid, 0) + 1
        if seen[qid] > 1:  # the same question twice under the same heading
            qid = f"{qid}-{seen[qid]}"
        items.append(
            QuestionItem(
                qid=qid,
                question=u.question,
                answer=u.answer or "",
                file=u.file,
                headings=u.headings,
                topic=topic_of(u.headings),
                kind=u.kind,
                chunk_ids=tuple(by_heading.get((u.file, u.headings), ())),
            )
        )
    return items
