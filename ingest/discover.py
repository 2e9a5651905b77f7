"""Finding the note files of a corpus folder."""

from __future__ import annotations

from pathlib import Path

NOTE_SUFFIXES = (".md", ".markdown", ".txt")  # .txt notes hold markdown too


class CorpusError(Exception):
    """The corpus folder is missing or holds no notes."""


def discover_notes(corpus_dir: Path) -> tuple[list[Path], list[str]]:
    """Note files under ``corpus_dir`` (recursive, sorted, hidden files and folders skipped) and
    one warning line per other file that was skipped."""
    root = Path(corpus_dir)
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus path is not a folder: {root}")
    notes: list[Path] = []
    warnings: list[str] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.name.lower().endswith(NOTE_SUFFIXES):
            notes.append(path)
        else:
            warnings.append(f"skipped {rel.as_posix()}: not a .md/.markdown/.txt file")
    if not notes:
        raise CorpusError(f"no note files (.md, .markdown, .txt) in corpus folder: {root}")
    return notes, warnings
