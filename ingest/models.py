"""Plain data passed between parsing, chunking, indexing and the interviewer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

HEADING_SEP = " > "  # between the parts of a shown heading path: "file > H1 > H2 > question"
_KEY_SEP = "\x1f"  # between the headings of a stored path (a heading may contain " > ")


def join_heading(parts) -> str:
    """The shown heading path of ``parts`` (file first, then the headings)."""
    return HEADING_SEP.join(p for p in parts if p)


def split_heading(heading: str) -> list[str]:
    """The parts of a shown heading path, stripped: ``"f > A > B"`` -> ``["f", "A", "B"]``."""
    return [p.strip() for p in (heading or "").split(HEADING_SEP) if p.strip()]


def headings_key(headings) -> str:
    """One string for a heading tuple (stored in metadata and used as a key)."""
    return _KEY_SEP.join(headings)


def headings_from_key(key: str) -> tuple[str, ...]:
    return tuple(key.split(_KEY_SEP)) if key else ()

UnitKind = Literal["qa", "scenario", "section"]


@dataclass(frozen=True)
class Unit:
    """One structural unit of a note: a question with its answer, a scenario, or a plain section.

    ``headings`` is the heading path below the file: H1, H2, H3 ... and, for a question written as
    ``**Q:** ...`` / ``* **Q: ...**``, the question itself as the last element.
    """

    file: str  # path relative to the corpus root, POSIX separators
    headings: tuple[str, ...]
    body: str  # markdown text of the unit without its own heading line
    kind: UnitKind = "section"
    question: str | None = None  # the question as written, when the unit is one
    answer: str | None = None  # its written answer ("" when the notes give none)
    line: int = 1  # 1-based line of the unit's first line in the file

    @property
    def heading(self) -> str:
        return join_heading((self.file, *self.headings))


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    file: str
    headings: tuple[str, ...]
    text: str  # the unit text (no heading path)
    kind: UnitKind = "section"
    question: str | None = None
    part: int = 0  # index when an oversized unit was split
    line: int = 1

    @property
    def heading(self) -> str:
        return join_heading((self.file, *self.headings))

    @property
    def position(self) -> tuple[str, str, int]:
        """Where the chunk sits (file, headings, part): stable while its text is edited."""
        return (self.file, headings_key(self.headings), self.part)

    @property
    def embed_text(self) -> str:
        """What is embedded and BM25-indexed: the heading path (without the file name) and the text."""
        path = join_heading(self.headings)
        return f"{path}\n{self.text}" if path else self.text

    def metadata(self) -> dict:
        return {
            "chunk_id": self.chunk_id,
            "file": self.file,
            "heading": self.heading,
            "headings": headings_key(self.headings),
            "kind": self.kind,
            "question": self.question or "",
            "part": self.part,
            "line": self.line,
            "text": self.text,
        }

    @classmethod
    def from_metadata(cls, md: dict) -> "Chunk":
        return cls(
            chunk_id=md["chunk_id"],
            file=md["file"],
            headings=headings_from_key(md.get("headings") or ""),
            text=md["text"],
            kind=md.get("kind", "section"),
            question=md.get("question") or None,
            part=int(md.get("part", 0)),
            line=int(md.get("line", 1)),
        )


@dataclass(frozen=True)
class QuestionItem:
    """An entry of the question bank: a question found in the notes and its reference answer."""

    qid: str
    question: str
    answer: str  # "" for scenarios the notes leave unanswered
    file: str
    headings: tuple[str, ...]
    topic: str  # the section the question sits in (the heading above it)
    kind: UnitKind = "qa"
    chunk_ids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def heading(self) -> str:
        return join_heading((self.file, *self.headings))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["headings"] = list(self.headings)
        d["chunk_ids"] = list(self.chunk_ids)
        d["heading"] = self.heading
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "QuestionItem":
        return cls(
            qid=d["qid"],
            question=d["question"],
            answer=d.get("answer", ""),
            file=d["file"],
            headings=tuple(d.get("headings", ())),
            topic=d.get("topic", ""),
            kind=d.get("kind", "qa"),
            chunk_ids=tuple(d.get("chunk_ids", ())),
        )
