"""Split a markdown reference answer into the handful of key points a grader checks.

Notes come as bullets under bold sub-labels ("**Rollback procedures:**"), numbered lists,
tables, quoted one-liners (``> ...``) or prose.  Each bullet / numbered item / table row /
prose sentence is a candidate point; when there are more than ``max_points`` the labelled
groups are collapsed into one point each ("Rollback procedures: automated rollback; ..."),
largest first, and only then are the least informative points dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.markdown import code_lines, strip_inline
from rag.lexical import content_words, split_sentences, words

_RULE = re.compile(r"^\s*([-*_]\s*){3,}$")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*)$")
_BULLET = re.compile(r"^(?:[-*+\u2022]|\d{1,2}[.)])\s+")
_ANSWER_TAG = re.compile(r"^(?:\*{1,2}|_)?(?:A|Answer)\s*:\s*(?:\*{1,2}|_)?\s*", re.I)
_TERM = re.compile(r"^\*\*([^*]+?)\*\*\s*:?\s*(.*)$")
_TABLE_SEP = re.compile(r"^\|?[\s:|-]+\|?$")
_SHORT = 3  # items with fewer words are fragments, unless they name something under a label
_COLLAPSE_CHARS = 300  # a collapsed group longer than this keeps only its items' bold terms


def _clean(text: str) -> str:
    """Strip inline markdown (bold/italic markers, backticks, links), math dollars, stray quotes."""
    text = strip_inline(text).replace("$", "").replace("*", " ")
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip("\"\u201c\u201d ").strip()


@dataclass
class _Item:
    text: str
    term: str = ""

    def full(self, sep: str = ": ") -> str:
        if self.term and self.text:
            return f"{self.term}{sep}{self.text}"
        return self.term or self.text

    def n_words(self) -> int:
        return len(words(self.full()))


@dataclass
class _Group:
    label: str = ""
    items: list[_Item] = field(default_factory=list)
    prose: bool = False  # sentences of one paragraph: never collapsed

    def collapsed(self) -> str:
        body = "; ".join(i.full(" \u2013 ") for i in self.items)
        if len(body) > _COLLAPSE_CHARS:
            body = "; ".join(i.term or i.text for i in self.items)
        return f"{self.label}: {body}" if self.label else body

    def points(self) -> list[str]:
        if self.prose or not self.items:
            return [i.full() for i in self.items]
        shorts = [i for i in self.items if i.n_words() < _SHORT]
        if len(self.items) >= 2 and len(shorts) * 2 >= len(self.items):
            # a list of bare names ("Data Collection", "Model Training" ...): one enumeration
            body = ", ".join(i.full() for i in self.items)
            return [f"{self.label}: {body}" if self.label else body]
        if shorts and self.label:  # "Focuses on:" + "Monitoring & retraining": keep the label
            return [i.full() if i.term else f"{self.label}: {i.text}" for i in self.items]
        return [i.full() for i in self.items]


def _label_of(line: str) -> str | None:
    """The label text when ``line`` is only a label ("**Benefits:**", "Methods:"), else None."""
    m = re.fullmatch(r"\*\*([^*]+?)\*\*\s*:?", line)
    if m:
        return _clean(m.group(1)).rstrip(":").strip()
    plain = _clean(line)
    if plain.endswith(":"):  # a long lead-in ("I use an approach that combines:") labels nothing
        return plain.rstrip(":").strip() if len(words(plain)) <= 8 else ""
    return None


def _table_row(cells: list[str], header: list[str] | None) -> str:
    if len(cells) == 2 or not header:
        return f"{cells[0]}: " + "; ".join(cells[1:])
    parts = [f"{h}: {c}" if h else c for h, c in zip(header[1:], cells[1:])]
    return f"{cells[0]} \u2014 " + "; ".join(parts)


def _parse(reference: str) -> list[_Group]:
    groups: list[_Group] = []
    current: _Group | None = None
    header: list[str] | None = None
    lines = reference.splitlines()
    code = code_lines("\n".join(lines))
    for no, raw in enumerate(lines):
        line = raw.strip()
        if no in code or not line:
            continue
        if _RULE.match(line):
            current = None
            continue
        if m := _HEADING.match(line):
            current = _Group(label=_clean(m.group(1)).rstrip(":"))
            groups.append(current)
            continue
        if line.startswith("|"):
            cells = [_clean(c) for c in line.strip("|").split("|")]
            if _TABLE_SEP.match(line):
                continue
            if header is None:
                header = cells
                current = _Group(label=" / ".join(c for c in cells if c))
                groups.append(current)
            elif current is not None and len(cells) >= 2 and cells[0]:
                current.items.append(_Item(_table_row(cells, header)))
            continue
        header = None
        line = re.sub(r"^(>\s*)+", "", line)
        bullet = bool(_BULLET.match(line))
        line = _ANSWER_TAG.sub("", _BULLET.sub("", line)).strip()
        if not line:
            continue
        label = _label_of(line)
        if label is not None:
            current = _Group(label=label)
            groups.append(current)
            continue
        term, text = "", line
        if m := _TERM.match(line):
            term, text = _clean(m.group(1)).rstrip(":").strip(), m.group(2)
        text = _clean(text)
        if bullet:
            if current is None or current.prose:
                current = _Group()
                groups.append(current)
            current.items.append(_Item(text, term))
        else:  # a paragraph: its sentences, under its own inline label if it has one
            sentences = split_sentences(text)
            items = [_Item(s) for s in sentences]
            if term and items:
                items[0].term = term
            elif term:
                items = [_Item("", term)]
            groups.append(_Group(items=items, prose=True))
            current = None
    for g in groups:  # drop fragments like "ok then"; keep short names ("Model Training")
        g.items = [i for i in g.items if i.n_words() >= _SHORT or len(content_words(i.full())) >= 2]
    return [g for g in groups if g.items]


def _key(text: str) -> frozenset[str]:
    return frozenset(content_words(text))


def _dedupe(points: list[str]) -> list[str]:
    out: list[str] = []
    keys: list[frozenset[str]] = []
    for p in points:
        k = _key(p)
        if len(words(p)) < _SHORT or not k:
            continue
        if any(k <= o or len(k & o) / len(k | o) >= 0.85 for o in keys):
            continue
        out.append(p)
        keys.append(k)
    return out


_CONTRAST = re.compile(r";\s+|,\s+(?=(?:while|whereas|but)\s)|\s+(?=whereas\s)", re.I)


def _split_compound(point: str) -> list[str]:
    """'A is x, while B is y' -> two points: a one-sentence answer still gets partial credit."""
    if "\u2014" in point or "\u2013" in point:  # a table row or collapsed group: already structured
        return [point]
    parts = [p.strip(" ,;") for p in _CONTRAST.split(point)]
    parts = [re.sub(r"^(?:while|whereas|but)\s+", "", p, flags=re.I) for p in parts if p]
    if len(parts) < 2 or any(len(words(p)) < _SHORT + 1 for p in parts):
        return [point]
    return [p[0].upper() + p[1:] for p in parts]


def _informativeness(point: str) -> tuple[int, int]:
    return len(set(content_words(point))), len(point)


def split_key_points(reference: str, max_points: int = 8) -> list[str]:
    """Key points of a markdown answer, in reading order, at most ``max_points``."""
    groups = _parse(reference or "")
    collapsed: set[int] = set()

    def current() -> list[str]:
        pts: list[str] = []
        for gi, g in enumerate(groups):
            pts.extend([g.collapsed()] if gi in collapsed else g.points())
        return _dedupe(pts)

    points = current()
    # collapse labelled groups, biggest first, until the answer fits
    order = sorted(
        (gi for gi, g in enumerate(groups) if g.label and not g.prose and len(g.points()) >= 2),
        key=lambda gi: (-len(groups[gi].points()), gi),
    )
    for gi in order:
        if len(points) <= max_points:
            break
        collapsed.add(gi)
        points = current()
    if len(points) < 3:
        points = _dedupe([q for p in points for q in _split_compound(p)])
    if len(points) > max_points:
        ranked = sorted(range(len(points)), key=lambda i: _informativeness(points[i]), reverse=True)
        keep = set(ranked[:max_points])
        points = [p for i, p in enumerate(points) if i in keep]
    return points
