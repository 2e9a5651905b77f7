"""Units -> retrieval chunks: one chunk per unit, oversized units split in balanced parts at
paragraph/bullet/line boundaries, tiny section fragments merged into a related neighbour."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, replace
from typing import NamedTuple

from ingest.markdown import Fence, fences
from ingest.models import Chunk, Unit, UnitKind, headings_key, join_heading

_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+")


def words(text: str) -> int:
    return len(text.split())


def chunk_id(file: str, headings: tuple[str, ...] | list[str], part: int, text: str) -> str:
    """Stable content-derived id: same file, heading path, part and text -> same id, in any run."""
    norm = " ".join(text.split())
    key = "\x1e".join((file, headings_key(headings), str(part), norm))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- merging tiny sections


@dataclass(frozen=True)
class _Piece:
    file: str
    headings: tuple[str, ...]
    text: str
    kind: UnitKind
    question: str | None
    line: int

    @property
    def section_path(self) -> tuple[str, ...]:
        return self.headings if self.kind == "section" else self.headings[:-1]


def _related(a: _Piece, b: _Piece) -> bool:
    """Same file and same parent heading (siblings), or one section contains the other."""
    sa, sb = a.section_path, b.section_path
    n = min(len(sa), len(sb))
    return a.file == b.file and (sa[:-1] == sb[:-1] or sa[:n] == sb[:n])


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _render(p: _Piece, base: tuple[str, ...]) -> str:
    """Text of ``p`` inside a chunk headed by ``base``: its deeper headings become a bold line."""
    extra = p.headings[len(_common(p.headings, base)) :] if p.kind == "section" else ()
    return f"**{join_heading(extra)}**\n\n{p.text}" if extra else p.text


def _join(a: _Piece, b: _Piece) -> _Piece:
    host = b if b.kind != "section" else a if a.kind != "section" else None
    if host is None:
        base = _common(a.headings, b.headings)
        return replace(a, headings=base, text=f"{_render(a, base)}\n\n{_render(b, base)}")
    base = host.section_path
    return replace(host, text=f"{_render(a, base)}\n\n{_render(b, base)}", line=a.line)


def _merge_pass(pieces: list[_Piece], min_words: int, into: set[str]) -> list[_Piece]:
    out, i = list(pieces), 0
    while i < len(out):
        p = out[i]
        if p.kind == "section" and words(p.text) < min_words:
            for j in (i + 1, i - 1):  # prefer the following unit
                if 0 <= j < len(out) and out[j].kind in into and _related(p, out[j]):
                    lo, hi = min(i, j), max(i, j)
                    out[lo : hi + 1] = [_join(out[lo], out[hi])]
                    i = lo
                    break
            else:
                i += 1
        else:
            i += 1
    return out


def _merge_tiny(pieces: list[_Piece], min_words: int) -> list[_Piece]:
    """Fold fragments into related sections first; only then into a question (never two questions)."""
    pieces = _merge_pass(pieces, min_words, {"section"})
    return _merge_pass(pieces, min_words, {"qa", "scenario"})


# ---------------------------------------------------------------- splitting big units


def _items(text: str) -> list[tuple[list[str], list[Fence]]]:
    """Atomic blocks: fenced code, paragraphs, top-level list items (blank lines stay attached),
    each with its fences (line numbers relative to the block)."""
    items: list[list[str]] = []
    firsts: list[int] = []  # line number of each block's first line
    blocks = fences(text)
    opening = {f.start for f in blocks}
    inside = {i for f in blocks for i in range(f.start + 1, f.end)}
    base_indent: int | None = None
    for no, line in enumerate(text.split("\n")):
        if no in inside:
            items[-1].append(line)
            continue
        li = _LIST_ITEM.match(line)
        prev_blank = not items or not items[-1][-1].strip()
        new = no in opening or (line.strip() and prev_blank)
        if li and not new and (base_indent is None or len(li.group(1)) <= base_indent):
            new = True
        if new and items and _is_label(items[-1]):
            new = False  # keep "**Steps:**" with what it introduces
            base_indent = len(li.group(1)) if li else base_indent
        elif new:
            items.append([])
            firsts.append(no)
            base_indent = len(li.group(1)) if li else None
        if not items:
            items.append([])
            firsts.append(no)
        items[-1].append(line)
    return [
        (it, [f._replace(start=f.start - first, end=f.end - first) for f in blocks if first <= f.start < first + len(it)])
        for it, first in zip(items, firsts)
        if "".join(it).strip()
    ]


def _is_label(item: list[str]) -> bool:
    lines = [s for s in item if s.strip()]
    return len(lines) == 1 and lines[0].rstrip().rstrip("*").endswith(":") and words(lines[0]) <= 8


def _text(lines: list[str]) -> str:
    return "\n".join(lines)


_EXACT_ITEMS = 512  # up to this many items the best partition is searched; beyond, cut in one pass
_WEAK_CUT = 0.3  # a cut after a bullet rather than a paragraph is worth this deviation from the mean


def _greedy_counts(sizes: list[int], max_words: int) -> list[int]:
    """``counts[i]``: the fewest groups that hold the first ``i`` items (greedy packing is optimal
    for contiguous groups; an item over ``max_words`` is a group of its own)."""
    counts, fill = [0], 0
    for s in sizes:
        if counts[-1] == 0 or fill + s > max_words:
            counts.append(counts[-1] + 1)
            fill = s
        else:
            counts.append(counts[-1])
            fill += s
    return counts


def _partition(sizes: list[int], max_words: int, strong: list[bool] | None = None) -> list[int]:
    """End indices of the fewest contiguous groups of ``sizes`` that each fit in ``max_words``.

    Among those, prefer balanced groups and cuts after a ``strong`` item (one ending a paragraph
    rather than a bullet): the cost is the squared distance to the mean size, plus a penalty per
    weak cut worth a ~30% deviation.

    Up to ``_EXACT_ITEMS`` items the least-cost partition is searched: O(n · w · s) for n items,
    w the most items one group holds and s the slack in the number of groups a prefix can take.
    Past it (a paragraph of thousands of lines, an overlong line cut by words) each cut is placed
    in one pass by ``_cut_near_targets``: linear, so 200,000 words split in about a second.
    """
    if not sizes:
        return [0]
    strong = strong or [True] * len(sizes)
    if len(sizes) > _EXACT_ITEMS:
        return _cut_near_targets(sizes, max_words, strong)
    return _search(sizes, max_words, strong)


class _Bounds(NamedTuple):
    """What both partition searches start from."""

    prefix: list[int]  # prefix[i]: words in the first i items
    pre: list[int]  # pre[i]: fewest groups for the first i items
    suffix: list[int]  # suffix[i]: fewest groups for items i..n-1

    @property
    def groups(self) -> int:
        return self.pre[-1]

    @property
    def target(self) -> float:
        """The mean group size."""
        return self.prefix[-1] / self.groups


def _bounds(sizes: list[int], max_words: int) -> _Bounds:
    prefix = [0]
    for s in sizes:
        prefix.append(prefix[-1] + s)
    return _Bounds(prefix, _greedy_counts(sizes, max_words), _greedy_counts(sizes[::-1], max_words)[::-1])


def _search(sizes: list[int], max_words: int, strong: list[bool]) -> list[int]:
    """The least-cost partition into the fewest groups, by dynamic programming over feasible
    (items, groups) pairs only."""
    n = len(sizes)
    prefix, pre, suffix = bounds = _bounds(sizes, max_words)
    k, target = bounds.groups, bounds.target
    weak = (_WEAK_CUT * target) ** 2
    # best[i]: {groups j: (cost, start of the last group)} for the first i items, feasible j only
    best: list[dict[int, tuple[float, int]]] = [{0: (0.0, 0)}] + [{} for _ in range(n)]
    lo = 0
    for i in range(1, n + 1):
        while prefix[i] - prefix[lo] > max_words and lo < i - 1:
            lo += 1
        penalty = 0.0 if i == n or strong[i - 1] else weak
        row = best[i]
        for j in range(max(1, pre[i]), min(i, k - suffix[i]) + 1):
            top = (math.inf, 0)
            for c in range(lo, i):
                prev = best[c].get(j - 1)
                if prev is not None:
                    v = prev[0] + (prefix[i] - prefix[c] - target) ** 2 + penalty
                    if v < top[0]:
                        top = (v, c)
            if top[0] < math.inf:
                row[j] = top
    cuts, i = [], n
    for j in range(k, 0, -1):
        cuts.append(i)
        i = best[i][j][1]
    return sorted(cuts)


def _cut_near_targets(sizes: list[int], max_words: int, strong: list[bool]) -> list[int]:
    """The fewest groups again, each cut chosen in one pass: the feasible cut nearest its ideal
    place (``m · mean``), a weak cut counting 30% of the mean farther.  Feasible: the group fits
    and the rest still fits in the groups left.  Linear time; balanced to within an item or so."""
    n = len(sizes)
    prefix, _, suffix = bounds = _bounds(sizes, max_words)
    k, target = bounds.groups, bounds.target
    weak = _WEAK_CUT * target
    cuts, start, first = [], 0, 0
    for m in range(1, k):
        reach = start + 1  # the farthest cut whose group fits (an oversized item stands alone)
        while reach < n and prefix[reach + 1] - prefix[start] <= max_words:
            reach += 1
        while suffix[first] > k - m:  # the earliest cut that leaves few enough groups
            first += 1
        ideal = m * target
        start = min(range(max(first, start + 1), reach + 1),
                    key=lambda c: abs(prefix[c] - ideal) + (0.0 if strong[c - 1] else weak))
        cuts.append(start)
    return [*cuts, n]


def _small_items(text: str, max_words: int) -> list[str]:
    """Blocks of ``text``; a block over ``max_words`` is broken again into code blocks and lines."""
    out: list[str] = []
    for item, item_fences in _items(text):
        t = _text(item)  # trailing blank lines kept: they say how to join it to the next one
        out += [t] if words(t) <= max_words else _break(item, item_fences, max_words)
    return out


def _break(item: list[str], item_fences: list[Fence], max_words: int) -> list[str]:
    """Lines of an oversized block; fenced code stays whole if it fits, else is cut by lines and
    each piece re-fenced; an overlong line is cut by words."""
    out: list[str] = []
    by_start = {f.start: f for f in item_fences}
    i = 0
    while i < len(item):
        f = by_start.get(i)
        if f is None:
            line = item[i]
            if words(line) <= max_words:
                out.append(line)
            else:
                out += [" ".join(g) for g in _group(line.split(), max_words, lambda t: 1)]
            i += 1
            continue
        block = item[f.start : f.end]
        if words(_text(block)) <= max_words:
            out.append(_text(block))
        else:
            body_end, close = (f.end - 1, item[f.end - 1]) if f.closed else (f.end, f.marker)
            for group in _group(item[f.start + 1 : body_end], max(1, max_words - 2)):
                out.append(_text([item[f.start], *group, close]))
        i = f.end
    return [o for o in out if o.strip()] or ["\n".join(item)]


def _group(things: list, max_words: int, size=lambda s: max(1, words(s))) -> list[list]:
    strong = [isinstance(t, str) and t.endswith("\n") for t in things]
    cuts = _partition([size(t) for t in things], max_words, strong if any(strong) else None)
    return [things[a:b] for a, b in zip([0, *cuts], cuts)]


def split_text(text: str, max_words: int) -> list[str]:
    """``text`` as one part, or as balanced parts of at most ``max_words`` words when possible."""
    if words(text) <= max_words:
        return [text]
    groups = _group(_small_items(text, max_words), max_words)
    return ["\n".join(g).strip("\n") for g in groups]


# ---------------------------------------------------------------- public entry point


def chunk_units(units: list[Unit], max_words: int = 180, min_words: int = 25) -> list[Chunk]:
    """One chunk per unit (tiny sections merged, oversized units split; parts share the headings)."""
    pieces = [_Piece(u.file, u.headings, u.body, u.kind, u.question, u.line) for u in units if u.body.strip()]
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for p in _merge_tiny(pieces, min_words):
        for part, text in enumerate(split_text(p.text, max_words)):
            cid, n = chunk_id(p.file, p.headings, part, text), 1
            while cid in seen:  # a verbatim duplicate under the same heading
                n += 1
                cid = chunk_id(p.file, p.headings, part, f"{text}\x00{n}")
            seen.add(cid)
            chunks.append(Chunk(cid, p.file, p.headings, text, p.kind, p.question, part, p.line))
    return chunks
