"""Reading notes robustly and cleaning their text: mojibake repair and emoji removal.

The notes were copied around between editors, so some contain UTF-8 emoji that were decoded as
Mac Roman (``🚀`` -> ``\\uf8ffüöÄ``) or as cp1252 (``é`` -> ``Ã©``). We repair what can be repaired,
then drop emoji and whatever mojibake is left, keeping arrows, math signs and accented letters.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from core.errors import NoteUnreadable

_CODECS = ("mac_roman", "cp1252", "latin-1")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")

# Pictographs, dingbats, stars, variation selectors, ZWJ, keycap, tags. Arrows (U+2190-21FF),
# ×, ε, ₹, – and letters are deliberately absent.
_EMOJI_CLASS = (
    "\U0001f000-\U0001faff"
    "\u2600-\u27bf"
    "\u2b00-\u2bff"
    "\u231a\u231b\u2328\u23cf\u23e9-\u23f3\u23f8-\u23fa"
    "\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe"
    "\u3030\u303d\u3297\u3299"
    "\ufe00-\ufe0f\u200d\u20e3"
    "\U000e0020-\U000e007f"
)
# Never legitimate in notes: private use (Mac Roman's Apple logo is U+F8FF), C1 controls, U+FFFD.
_JUNK_CLASS = "\ue000-\uf8ff\x80-\x9f\ufffd"
_REMOVABLE_RUN = re.compile(rf"[ \t]*[{_EMOJI_CLASS}{_JUNK_CLASS}]+(?:[ \t]*[{_EMOJI_CLASS}{_JUNK_CLASS}]+)*[ \t]*")


_BINARY = "this looks like a binary file, not a text note."  # said of uploads and of notes on disk
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # C0 but tab/newlines, DEL, C1


def read_note(path: Path) -> str:
    """The text of a note file (``decode_note``); ``NoteUnreadable`` for a binary, ``OSError``
    when the file cannot be read."""
    return decode_note(Path(path).read_bytes())


def decode_note(data: bytes) -> str:
    """The one reader of note bytes, for notes on disk and uploads alike.

    UTF-16 (with a BOM, or without one when every other byte is NUL) and UTF-8 (BOM dropped) are
    read as such; other bytes line by line as UTF-8, else cp1252, so a legacy line never costs the
    rest of the file.  Binary data (NUL bytes, many control characters) is ``NoteUnreadable``.
    Line ends become ``\n``; empty data is ``""``."""
    text = _utf16(data)
    if text is None:
        if b"\x00" in data:
            raise NoteUnreadable(_BINARY)
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = "\n".join(_decode_line(line) for line in data.split(b"\n"))
    if len(_CONTROL.findall(text)) > max(8, len(text) // 100):
        raise NoteUnreadable(_BINARY)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _utf16(data: bytes) -> str | None:
    """``data`` read as UTF-16 when it is that: a BOM, or (mostly-ASCII text without one) a NUL
    in nearly every other byte on one side only; and the result has spaces or line breaks (bytes
    that merely start like a BOM decode to a run of unrelated CJK characters)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16"
    else:
        head = data[:4096]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if len(head) < 4 or min(even, odd) or max(even, odd) < 0.9 * (len(head) // 2):
            return None
        codec = "utf-16-be" if even else "utf-16-le"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    return text if (" " in text[:4096] or "\n" in text[:4096]) else None


def _decode_line(line: bytes) -> str:
    for codec in ("utf-8", "cp1252"):
        try:
            return line.decode(codec)
        except UnicodeDecodeError:
            pass
    return line.decode("latin-1")  # total: every byte maps to a character


def _redecode(chars: str) -> str | None:
    """``chars`` re-read as the UTF-8 they were mis-decoded from, or None when that is not the case."""
    for codec in _CODECS:
        try:
            fixed = chars.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != chars and not fixed.isascii() and _plausible(fixed):
            return fixed
    return None


def _plausible(s: str) -> bool:
    """Reject repairs that yield combining marks, controls or unassigned code points (``Ã©`` is
    valid UTF-8 as Mac Roman too, but it gives a lone combining mark there)."""
    bad = ("Mn", "Me", "Cc", "Co", "Cn", "Cs")
    return not any(unicodedata.category(c) in bad and not "\ufe00" <= c <= "\ufe0f" for c in s)


def _repair_run(run: str) -> str:
    whole = _redecode(run)
    if whole is not None:
        return whole
    # The run may mix real characters with mojibake: take the longest repairable piece at each spot.
    out, i = [], 0
    while i < len(run):
        for j in range(min(len(run), i + 16), i + 1, -1):  # a mis-decoded character is <= 4 chars
            fixed = _redecode(run[i:j])
            if fixed is not None:
                out.append(fixed)
                i = j
                break
        else:
            out.append(run[i])
            i += 1
    return "".join(out)


def repair_mojibake(text: str) -> str:
    """Repair runs of characters that are UTF-8 mis-decoded as Mac Roman, cp1252 or latin-1."""
    return _NON_ASCII_RUN.sub(lambda m: _repair_run(m.group()), text)


def _looks_like_mojibake(m: re.Match[str]) -> bool:
    """A leftover run of 2+ Mac Roman/cp1252 characters that reads like pieces of UTF-8 bytes and
    stands alone (``üöÄ`` whose lead byte was lost), not inside a word like ``Größe``."""
    s, g = m.string, m.group()
    run = g.strip(" \t")
    before = " " if m.start() == 0 or g[0] in " \t" else s[m.start() - 1]
    after = " " if m.end() == len(s) or g[-1] in " \t" else s[m.end()]
    if (before.isascii() and before.isalnum()) or (after.isascii() and after.isalnum()):
        return False
    for codec in ("mac_roman", "cp1252"):
        try:
            raw = run.encode(codec)
        except UnicodeEncodeError:
            continue
        if raw[0] >= 0xC2 or sum(0x80 <= b <= 0xBF for b in raw) >= 2:
            return True
    return False


def _drop(line: str, pattern: re.Pattern[str], junk=lambda m: True) -> str:
    """Remove the ``junk`` matches of ``pattern`` (which swallows the blanks around it), leaving
    one space between words and the indentation of the line."""

    def repl(m: re.Match[str]) -> str:
        if not junk(m):
            return m.group()
        if m.start() == 0:
            return m.group()[: len(m.group()) - len(m.group().lstrip(" \t"))]
        return "" if m.end() == len(line) else " "

    return pattern.sub(repl, line)


_MOJIBAKE_CANDIDATE = re.compile(r"[ \t]*[^\x00-\x7f]{2,}[ \t]*")


def _strip_line(line: str) -> str:
    if line.isascii():
        return line
    out = _drop(line, _REMOVABLE_RUN)
    out = _drop(out, _MOJIBAKE_CANDIDATE, _looks_like_mojibake)
    if out != line:
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        body = out.strip(" \t")
        if body.startswith("#"):
            body = re.sub(r"[ \t]+", " ", body)
        out = indent + body if body else ""
    return out


def strip_emoji(text: str) -> str:
    """Remove emoji, pictographs, variation selectors, ZWJ and unrepairable mojibake.

    Arrows, ×, ε, ₹, dashes and accented letters stay. Spaces left behind are collapsed in
    heading lines; indentation of other lines is kept.
    """
    return "\n".join(_strip_line(line) for line in text.split("\n"))


def clean_text(raw: str) -> str:
    """``repair_mojibake`` then ``strip_emoji``."""
    return strip_emoji(repair_mojibake(raw))
