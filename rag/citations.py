"""Citations in answers.

Markers like [1] or [1, 3] that point at a context block are kept, the rest are dropped.  The
small local model often forgets to cite, so a sentence that ends without a marker is attributed
post hoc: the block holding most of its content words gets a marker, if one holds enough of them
(the model mostly copies or lightly rephrases the notes).  A sentence no block supports stays
uncited.  Both happen while the answer streams, so the streamed text is the final text; so does
the optional "not in your notes" mark after a sentence a check finds unsupported (rag/support.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.lexical import SENTENCE_END_MARKS, ends_with_abbreviation, tokenize
from rag.support import UNSUPPORTED_MARK

CITATION = re.compile(r"\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")


def _fix(match: re.Match, n_blocks: int, cited: list[int]) -> str:
    nums = [int(x) for x in re.findall(r"\d+", match.group(1))]
    valid = [n for n in dict.fromkeys(nums) if 1 <= n <= n_blocks]
    for n in valid:
        if n not in cited:
            cited.append(n)
    return "".join(f"[{n}]" for n in valid)


def check_citations(text: str, n_blocks: int) -> tuple[str, list[int]]:
    """Return the text with dangling markers removed and the valid citation numbers in order of use."""
    cited: list[int] = []
    fixed = CITATION.sub(lambda m: _fix(m, n_blocks, cited), text)
    fixed = re.sub(r"[ \t]+([.,;:!?])", r"\1", fixed) if fixed != text else fixed
    return fixed, cited


def attribute(sentence: str, blocks: list[str], min_recall: float = 0.5, min_hits: int = 2) -> int | None:
    """1-based number of the block that holds most of the sentence's content words, if enough."""
    toks = set(tokenize(CITATION.sub("", sentence)))
    if len(toks) < 3:
        return None
    best, best_hits = None, 0
    for n, text in enumerate(blocks, start=1):
        hits = len(toks & set(tokenize(text)))
        if hits > best_hits:
            best, best_hits = n, hits
    if best is None or best_hits < min_hits or best_hits / len(toks) < min_recall:
        return None
    return best


class CitationStream:
    """Feed streamed text; get back text with markers checked and missing ones attributed.

    Sentences end by ``rag.lexical``'s rule (a mark of ``SENTENCE_END_MARKS`` then white space, not
    after an abbreviation, or a line break), applied here one character at a time.

    Text is held back only while a ``[`` marker is open or a sentence-ending mark waits for the
    next character (to tell "5.5" and "e.g." from a sentence end)."""

    def __init__(self, blocks: list[str], attribute_missing: bool = True,
                 unsupported: Callable[[str], bool | None] | None = None) -> None:
        self.blocks = blocks
        self.attribute_missing = attribute_missing
        self.unsupported = unsupported  # sentence -> True: marked "not in your notes"; None: not checkable
        self.cited: list[int] = []
        self.attributed = 0
        self.marked = 0
        self.checked = 0  # sentences given to the check (it decides what is too short to read)
        self._closed = ""  # the sentence just ended
        self._marker = ""  # an open "[..." being read
        self._end = ""  # a held sentence-ending mark
        self._sentence = ""  # the current sentence so far
        self._has_marker = False
        self._space = ""  # spaces held until the next character (dropped before punctuation)

    def _note_cited(self, fixed: str) -> None:
        for n in re.findall(r"\[(\d+)\]", fixed):
            if int(n) not in self.cited:
                self.cited.append(int(n))
        if fixed:
            self._has_marker = True

    def _close_sentence(self) -> str:
        """Called at a sentence end: the marker to insert before its final mark, if any."""
        sentence, had = self._sentence, self._has_marker
        self._sentence, self._has_marker = "", False
        self._closed = sentence
        if had or not self.attribute_missing:
            return ""
        n = attribute(sentence, self.blocks)
        if n is None:
            return ""
        self.attributed += 1
        if n not in self.cited:
            self.cited.append(n)
        return f" [{n}]"

    def _mark(self) -> str:
        """The mark after the sentence just ended, if the check finds it unsupported."""
        sentence, self._closed = self._closed, ""
        if self.unsupported is None or not sentence.strip():
            return ""
        verdict = self.unsupported(sentence)
        if verdict is None:
            return ""
        self.checked += 1
        if not verdict:
            return ""
        self.marked += 1
        return " " + UNSUPPORTED_MARK

    def _char(self, ch: str) -> str:
        if self._marker:
            self._marker += ch
            if ch == "]":
                fixed, _ = check_citations(self._marker, len(self.blocks))
                self._marker = ""
                self._note_cited(fixed)
                if not fixed:
                    return ""
                space, self._space = self._space, ""
                return space + fixed
            if not (ch.isdigit() or ch in " ,;") or len(self._marker) > 16:
                out, self._marker = self._space + self._marker, ""
                self._space = ""
                self._sentence += out
                return out
            return ""
        if self._end:
            end, self._end = self._end, ""
            if ch.isspace():
                tail = self._sentence.rstrip().lower()
                if not ends_with_abbreviation(tail):
                    close = self._close_sentence()
                    return close + end + self._mark() + self._char(ch)
            self._sentence += end
            return end + self._char(ch)
        if ch == "[":
            self._marker = ch
            return ""
        if ch in SENTENCE_END_MARKS:
            self._end = ch
            return ""
        if ch == "\n" and self._sentence.strip():  # a bullet line without a final period
            close = self._close_sentence()
            return close + self._mark() + ch
        self._sentence += ch
        return ch

    def _spaced(self, ch: str) -> str:
        if self._end or self._marker:
            return self._char(ch)
        if ch == " ":
            self._space += ch
            return ""
        if ch == "[":
            return self._char(ch)  # the held space waits for the marker's fate
        space, self._space = self._space, ""
        if ch in ".,;:!?":
            space = ""  # "differs [7]." -> "differs."
        self._sentence += space
        return space + self._char(ch)

    def feed(self, delta: str) -> str:
        return "".join(self._spaced(ch) for ch in delta)

    def flush(self) -> str:
        out = self._space + self._marker if self._marker else ""
        self._space = ""
        if out:
            self._sentence += out
            self._marker = ""
        end, self._end = self._end, ""
        if self._sentence.strip():
            out += self._close_sentence()
        return out + end + self._mark()
