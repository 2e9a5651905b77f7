"""The one home of the markdown rules the notes rely on: which lines are fenced code, and
markdown reduced to plain text.

Fences come from markdown-it-py's CommonMark block parser, so a fence is what a markdown viewer
shows as one: a ``~~~`` line inside a backtick fence is code, a closing fence is at least as long
as the opening one, a fence inside a list item or a ``>`` quote ends with it at the latest (see
``fences`` for the one exception), and an unclosed fence runs to the end of the text. Inline
stripping uses markdown-it-py's inline parser, so ``2 * 3`` and ``snake_case`` stay as written.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token

_MD = MarkdownIt("commonmark")
_BLOCKS = MarkdownIt("commonmark").disable(["inline", "text_join"])  # block structure only: faster

# Characters markdown-it could change in a line; a line without them is already plain.
_INLINE_MARKUP = re.compile(r"[*_`\[<&\\]")
# Emphasis markers and backticks markdown-it left as literal text ("**Q:**What", "** x **", the
# backticks of a fence line): the callers never want them either.
_LEFTOVER = re.compile(r"\*{2,}|_{2,}|`+")
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_HEADING = re.compile(r"^[ \t]*#{1,6}(?:[ \t]+|$)")
_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+")
_NUMBER = re.compile(r"^[ \t]*\d{1,9}[.)][ \t]+")
_BARE_FENCE = re.compile(r"[ \t>]*(`{3,}|~{3,})\s*")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


def is_rule(line: str) -> bool:
    """A thematic break (``---``, ``***``, ``___``), as CommonMark writes it."""
    return bool(_RULE.match(line))


class Fence(NamedTuple):
    start: int  # 0-based line of the opening fence
    end: int  # the line after the block: after the closing fence, or where the block was cut off
    marker: str  # the opening fence characters, e.g. "```" or "~~~~"
    closed: bool  # False when the text, list item or quote ends before a closing fence
    quoted: bool  # inside a ``>`` quote: its lines start with quote markers


def fences(text: str) -> list[Fence]:
    """The fenced code blocks of ``text``, in order; lines are those of ``text.split("\\n")``.

    One departure from CommonMark, for hand-written notes: a fence that its list item or quote
    cuts off (its code or closing fence written less indented than the item, or without the
    ``>``) runs on to the next bare fence line of its kind, as the writer meant; with none, it
    ends with the item."""
    if "```" not in text and "~~~" not in text:
        return []
    lines = text.split("\n")
    out: list[Fence] = []
    for f in _parsed_fences(text, lines):
        cut_off = not f.closed and f.end < len(lines)
        close = next((j for j in range(f.end, len(lines)) if _closes(lines[j], f.marker)), None) if cut_off else None
        if close is None:
            out.append(f)
            continue
        out.append(f._replace(end=close + 1, closed=True))
        rest = close + 1  # the text after it is read again on its own
        out += [g._replace(start=g.start + rest, end=g.end + rest) for g in fences("\n".join(lines[rest:]))]
        break
    return out


def _closes(line: str, marker: str) -> bool:
    """Is ``line`` only a fence of ``marker``'s kind, at least as long (any indent, ``>`` allowed)?"""
    m = _BARE_FENCE.fullmatch(line)
    return bool(m) and m.group(1)[0] == marker[0] and len(m.group(1)) >= len(marker)


def _parsed_fences(text: str, lines: list[str]) -> list[Fence]:
    out: list[Fence] = []
    quotes = 0
    # "\r" is dropped, not made a line break, so that line numbers stay those of split("\n")
    for tok in _BLOCKS.parse(text.replace("\r", "")):
        if tok.type == "blockquote_open":
            quotes += 1
        elif tok.type == "blockquote_close":
            quotes -= 1
        elif tok.type == "fence" and tok.map:
            start, end = tok.map
            content = tok.content.count("\n") + (1 if tok.content and not tok.content.endswith("\n") else 0)
            closed = end - start - 1 > content
            if not closed and not any(line.strip() for line in lines[end:]):
                end = len(lines)  # runs to the end of the text, trailing blank lines included
            out.append(Fence(start, end, tok.markup, closed, quotes > 0))
    return out


def code_lines(text: str, quoted: bool = True) -> set[int]:
    """0-based numbers of the lines of ``text.split("\\n")`` that belong to fenced code blocks,
    fence lines included. ``quoted=False`` leaves out fences inside a ``>`` quote."""
    return {i for f in fences(text) if quoted or not f.quoted for i in range(f.start, f.end)}


def _inline_text(tokens: list[Token]) -> str:
    out = []
    for tok in tokens:
        if tok.type == "text":
            out.append(_LEFTOVER.sub("", tok.content))
        elif tok.type in ("code_inline", "html_inline"):
            out.append(tok.content)
        elif tok.type == "image":  # its alt text
            out.append(_inline_text(tok.children or []))
        elif tok.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out)


def _strip_line(line: str) -> str:
    if not _INLINE_MARKUP.search(line):
        return line
    return _inline_text(_MD.parseInline(line)[0].children or [])  # indentation is kept as text


def strip_inline(text: str) -> str:
    """``text`` without inline markdown, line by line: emphasis markers, code ticks (the code is
    kept), link and image syntax (their text is kept), backslash escapes and entities. Literal
    ``*`` (``2 * 3``, a ``* `` bullet) and ``_`` inside words stay; raw HTML stays as written."""
    return "\n".join(_strip_line(line) for line in text.split("\n"))


def plain_lines(text: str, bullet: str = "", keep_numbers: bool = False) -> list[str]:
    """The lines of ``text`` as plain text, stripped: quote and heading markers dropped,
    ``-``/``*``/``+`` list markers replaced by ``bullet``, ``1.`` markers dropped unless
    ``keep_numbers``, inline markdown stripped. Fence lines and ``---`` rules become empty lines;
    code lines stay as written (without the markers of a quote around the fence)."""
    in_fence = {i: f for f in fences(text) for i in range(f.start, f.end)}
    out = []
    for no, line in enumerate(text.split("\n")):
        f = in_fence.get(no)
        if f is not None:
            is_marker = no == f.start or (f.closed and no == f.end - 1)
            out.append("" if is_marker else _QUOTE.sub("", line) if f.quoted else line)
            continue
        if _RULE.match(line):
            out.append("")
            continue
        line = _QUOTE.sub("", line)
        line, n = _BULLET.subn(bullet, line)
        if not n:
            line = _HEADING.sub("", line)
            if not keep_numbers:
                line = _NUMBER.sub("", line)
        out.append(_strip_line(line).strip())
    return out
