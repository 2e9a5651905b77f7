"""Validating and saving uploaded notes.  Pure functions (no Gradio): unit-tested on their own.

A file is accepted when its name ends in .md/.markdown/.txt, it is not larger than the limit,
and its bytes are text rather than binary, read by the same reader as notes on disk
(``ingest.text.decode_note``).  The name is reduced to its last path
component and to the characters ``[A-Za-z0-9._-]``; hidden names are refused.  Files are only
ever created (never overwritten) and only directly inside the corpus folder (``ingest.discover.write_note``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from collections.abc import Callable
from pathlib import Path

from core.errors import NoteUnreadable, UploadError
from core.format import human_bytes
from ingest.text import decode_note

ALLOWED_SUFFIXES = (".md", ".markdown", ".txt")
MAX_NAME_CHARS = 100
MAX_FILES = 50  # per upload
_BAD_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class UploadResult:
    saved: list[str] = field(default_factory=list)  # file names written into the corpus
    unchanged: list[str] = field(default_factory=list)  # same name and content already there
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (shown name, reason)

    def message(self) -> str:
        lines = []
        if self.saved:
            lines.append("Added " + ", ".join(self.saved) + ".")
        if self.unchanged:
            lines.append("Already in your notes (unchanged): " + ", ".join(self.unchanged) + ".")
        for name, reason in self.rejected:
            lines.append(f"Rejected {name}: {reason}")
        return "\n".join(lines) or "No files were uploaded."


def _basename(original: str) -> str:
    return re.split(r"[\\/]", original or "")[-1].strip()


def display_name(original: str) -> str:
    """The last path component, for messages (never used as a path)."""
    base = _basename(original)
    return (base if len(base) <= 60 else base[:40] + "\u2026" + base[-15:]) or "(unnamed file)"


def safe_name(original: str) -> str:
    """A safe file name for ``original`` (which may carry any path): raises ``UploadError``."""
    base = _basename(original)
    if base.startswith("."):
        raise UploadError("hidden files (names starting with a dot) are not accepted.")
    stem, dot, ext = base.rpartition(".")
    if not dot or f".{ext.lower()}" not in ALLOWED_SUFFIXES:
        raise UploadError("only .md, .markdown and .txt notes can be added.")
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    clean = _BAD_CHARS.sub("-", ascii_stem).strip("-._")
    clean = re.sub(r"-{2,}", "-", clean)
    if not clean:
        raise UploadError("the file name has no usable characters (use letters, digits, . _ -).")
    return clean[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext.lower()


def decode_text(data: bytes) -> str:
    """The text of a note file (``ingest.text.decode_note``, the reader of notes on disk too), or
    ``UploadError`` when it is empty or binary."""
    try:
        text = decode_note(data)
    except NoteUnreadable as e:
        raise UploadError(str(e)) from None
    if not text.strip():
        raise UploadError("the file is empty.")
    return text


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise UploadError(f"the file is {human_bytes(size)}; the limit is {human_bytes(max_bytes)}.")


def validate_upload(original: str, data: bytes | Path, max_bytes: int) -> tuple[str, str]:
    """(safe name, text) for an acceptable upload given as bytes or as the path of the uploaded
    temp file (read only when within the limit); ``UploadError`` otherwise."""
    name = safe_name(original)
    if isinstance(data, Path):
        _check_size(data.stat().st_size, max_bytes)
        with open(data, "rb") as f:
            data = f.read(max_bytes + 1)
    _check_size(len(data), max_bytes)
    return name, decode_text(data)


def save_uploads(files: list[tuple[str, bytes | Path]], write: Callable[[str, str], tuple[str, bool]],
                 max_bytes: int) -> UploadResult:
    """Validate each (original name, bytes or temp path) and hand it to ``write(name, text)``
    (the index's ``add_note``: returns the written name and whether it is new); collect what was
    saved or rejected."""
    result = UploadResult()
    if len(files) > MAX_FILES:
        result.rejected.append((f"{len(files)} files", f"at most {MAX_FILES} files can be added at once."))
        return result
    for original, data in files:
        shown = display_name(original)
        try:
            name, text = validate_upload(original, data, max_bytes)
            written, new = write(name, text)
        except UploadError as e:
            result.rejected.append((shown, str(e)))
            continue
        except OSError as e:
            result.rejected.append((shown, f"could not be written ({e.strerror or e})."))
            continue
        (result.saved if new else result.unchanged).append(written)
    return result

