"""Synthetic note sets N times the size of a notes folder, for the scale benchmark (`coach bench --scale`).

Copy 0 of every note is the note itself; copy i > 0 is the same note with every heading numbered
("... (set 3)?"), and a fixed share of its longer words swapped for words drawn from all the notes,
chosen by a seeded generator: the copies are deterministic, keep each note's structure (so they
chunk into exactly as many chunks as the original), and no two chunks are identical.  Words that
the parser reads as structure (``Answer``, ``Question``, ``Scenario``, a word right before ":") are
never swapped.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from ingest.discover import discover_notes
from ingest.text import read_note

SWAP_SHARE = 0.15  # of the words of 4+ letters in a copy's body lines
_HEADING = re.compile(r"^( {0,3}#{1,6}[ \t]+)(.*?)([ \t]*)$")
_WORD = re.compile(r"(?<![\w*_/.-])([A-Za-z]{4,})(?![\w*_/-]|:|\.\w)")
_STRUCTURE = frozenset({"answer", "question", "scenario"})


def vocabulary(texts: list[str]) -> list[str]:
    """Every distinct lower-case word of 4+ letters in ``texts``, sorted (the swap-in words)."""
    return sorted({w.lower() for t in texts for w in _WORD.findall(t) if w.lower() not in _STRUCTURE})


def number_heading(title: str, copy: int) -> str:
    """``title`` tagged with its copy number, before a closing "?" so a question stays a question."""
    stripped = title.rstrip()
    if stripped.endswith("?"):
        return f"{stripped[:-1].rstrip()} (set {copy})?"
    return f"{stripped} (set {copy})"


def vary_note(text: str, copy: int, words: list[str], seed: int = 0, share: float = SWAP_SHARE) -> str:
    """Copy ``copy`` of a note: headings numbered, ``share`` of body words swapped (copy 0: unchanged)."""
    if copy == 0:
        return text
    rng = random.Random(f"{seed}:{copy}:{len(text)}")
    out: list[str] = []
    for line in text.split("\n"):
        m = _HEADING.match(line)
        if m and m.group(2).strip("# "):
            out.append(m.group(1) + number_heading(m.group(2), copy) + m.group(3))
            continue

        def swap(w: re.Match) -> str:
            word = w.group(1)
            if word.lower() in _STRUCTURE or rng.random() >= share:
                return word
            new = rng.choice(words)
            return new.capitalize() if word[0].isupper() else new

        out.append(_WORD.sub(swap, line))
    return "\n".join(out)


def write_synthetic_notes(corpus_dir: Path, out_dir: Path, times: int, seed: int = 0) -> list[Path]:
    """Write ``times`` copies of every note of ``corpus_dir`` into ``out_dir/set-NNN/`` (same
    relative paths); returns the files written."""
    if times < 1:
        raise ValueError("times must be at least 1")
    paths, _ = discover_notes(corpus_dir)
    notes = [(p.relative_to(corpus_dir), read_note(p)) for p in paths]
    words = vocabulary([t for _, t in notes])
    written = []
    for copy in range(times):
        for rel, text in notes:
            target = out_dir / f"set-{copy:03d}" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(vary_note(text, copy, words, seed), encoding="utf-8")
            written.append(target)
    return written
