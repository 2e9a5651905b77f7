"""Evidence: the lines of each context block that support the answer's sentences citing it.

No model, only word overlap, the same kind of signal the citation attribution uses
(``rag.citations.attribute``).  The rule:

1. The answer is cut into sentences and list lines by ``rag.lexical.split_sentences``; a
   sentence's citations are its ``rag.citations.CITATION`` markers (``[2]``, ``[1, 3]``), and its
   content words are ``rag.lexical.tokenize``'s stems of the sentence without its markers, a
   hyphenated word counted by its parts only (``tokenize`` gives "blue-green", "blue" and "green":
   counting all three would let the one word "blue-green" pass the minimum below).
   Sentences without markers, or with fewer than ``MIN_SHARED`` content words, mark nothing.
2. For each block the sentence cites, each line of the block is scored by how many of the
   sentence's distinct content words it holds.  The best line supports the sentence when it
   holds at least ``MIN_SHARED`` of them and at least ``MIN_SHARE`` of all of them; ties go to
   the line with the larger share of its own words in the sentence (the more specific line), then
   to the earlier line.
3. A second line is kept as well when it passes the same minimum and holds at least
   ``MIN_SHARED`` sentence words that the best line lacks (a sentence that joins two lines of a
   note); one new word is not enough ("blue-green" in a sentence about rollback would otherwise
   mark any other line naming green).

A block's lines are those of ``Block.text``, the text the model was given: ``rag.prompts``
builds it from the chunk's ``_lines`` (bullets and sentences without markdown emphasis or blank
lines) joined with line breaks, so splitting it at line breaks gives back exactly those lines
(``block_lines``), and the panel shows the same lines under the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

from rag.citations import CITATION
from rag.lexical import split_sentences, tokenize
from rag.types import Block

MIN_SHARED = 2  # content words a line must share with the sentence ...
MIN_SHARE = 1 / 3  # ... and this share of the sentence's content words
MAX_LINES = 2  # lines kept per (sentence, cited block)


def block_lines(text: str) -> list[str]:
    """The lines of a block's text as the model was given them (blank lines dropped)."""
    return [line.strip() for line in (text or "").split("\n") if line.strip()]


def cited_numbers(sentence: str) -> list[int]:
    """Block numbers cited by the markers in ``sentence``, in order, without repeats."""
    nums: list[int] = []
    for m in CITATION.finditer(sentence):
        for part in m.group(1).replace(";", ",").split(","):
            n = int(part.strip())
            if n not in nums:
                nums.append(n)
    return nums


def _terms(text: str) -> set[str]:
    """The distinct content-word stems of ``text`` that are compared (hyphenated words by their parts)."""
    return {t for t in tokenize(text) if "-" not in t}


def supporting_lines(sentence: str, lines: list[str]) -> list[int]:
    """Indexes (ascending) of the 1-2 ``lines`` that support ``sentence`` by the rule above."""
    words = _terms(CITATION.sub("", sentence))
    if len(words) < MIN_SHARED:
        return []
    need = max(MIN_SHARED, MIN_SHARE * len(words))
    scored = []
    for i, line in enumerate(lines):
        toks = _terms(line)
        shared = words & toks
        if len(shared) >= need:
            scored.append((-len(shared), -len(shared) / len(toks), i, shared))
    if not scored:
        return []
    scored.sort(key=lambda s: s[:3])
    best = scored[0]
    kept = [best[2]]
    for s in scored[1:]:
        if len(kept) >= MAX_LINES:
            break
        if len(s[3] - best[3]) >= MIN_SHARED:  # it holds sentence words the best line lacks
            kept.append(s[2])
    return sorted(kept)


def _pairs(blocks: Iterable[Block] | Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    out = {}
    for b in blocks:
        n, text = (b.n, b.text) if isinstance(b, Block) else (int(b[0]), b[1])
        out[n] = block_lines(text)
    return out


def evidence(answer: str, blocks: Iterable[Block] | Iterable[tuple[int, str]]) -> dict[int, list[int]]:
    """For each block number, the indexes (ascending, into ``block_lines(text)``) of its lines that
    support the sentences of ``answer`` citing it.  Blocks with no supporting line are left out;
    markers naming no given block are ignored."""
    lines = _pairs(blocks)
    found: dict[int, set[int]] = {}
    for sentence in split_sentences(answer or ""):
        for n in cited_numbers(sentence):
            if n in lines:
                hit = supporting_lines(sentence, lines[n])
                if hit:
                    found.setdefault(n, set()).update(hit)
    return {n: sorted(found[n]) for n in sorted(found)}
