"""The notes folder: finding its note files, and adding one safely (uploads)."""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import CorpusError, UploadError

NOTE_SUFFIXES = (".md", ".markdown", ".txt")  # .txt notes hold markdown too


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


def _inside(folder: Path, path: Path) -> bool:
    """``path`` is a direct child of ``folder`` (the file itself is not resolved: it may be a symlink,
    which ``os.open(O_CREAT | O_EXCL)`` refuses to follow)."""
    return path.parent.resolve() == folder and path.name not in ("", ".", "..")


def write_note(corpus_dir: Path, name: str, text: str) -> tuple[str, bool]:
    """Create ``name`` (or name-2, name-3, … when taken) directly inside ``corpus_dir``.

    Returns (written name, True), or (existing name, False) when a file of that name already
    holds exactly this text.  Never overwrites, never follows a symlink, never leaves the folder."""
    folder = Path(corpus_dir).resolve()
    if not folder.is_dir():
        raise UploadError(f"the notes folder {folder} does not exist.")
    if "/" in name or "\\" in name or name.startswith(".") or name in ("", ".", ".."):
        raise UploadError("unsafe file name.")
    payload = text.encode("utf-8")
    stem, _, ext = name.rpartition(".")
    for i in range(1, 1000):
        candidate = name if i == 1 else f"{stem}-{i}.{ext}"
        path = folder / candidate
        if not _inside(folder, path):
            raise UploadError("unsafe file name.")
        if path.is_file() and not path.is_symlink():
            try:
                if path.read_bytes() == payload:
                    return candidate, False
            except OSError:
                pass
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        return candidate, True
    raise UploadError("too many files with that name already.")
