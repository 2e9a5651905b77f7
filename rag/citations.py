"""Citation markers like [1] or [1, 3]: keep those that point at a context block, drop the rest."""

from __future__ import annotations

import re

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


class CitationStreamFilter:
    """Applies ``check_citations`` to a token stream: text is held back only while a marker is open."""

    def __init__(self, n_blocks: int) -> None:
        self.n_blocks = n_blocks
        self.cited: list[int] = []
        self._buf = ""

    def feed(self, delta: str) -> str:
        out = []
        for ch in delta:
            if self._buf:
                self._buf += ch
                if ch == "]":
                    fixed, cited = check_citations(self._buf, self.n_blocks)
                    self.cited += [c for c in cited if c not in self.cited]
                    out.append(fixed)
                    self._buf = ""
                elif not (ch.isdigit() or ch in " ,;") or len(self._buf) > 16:
                    out.append(self._buf)  # not a citation after all
                    self._buf = ""
            elif ch == "[":
                self._buf = ch
            else:
                out.append(ch)
        return "".join(out)

    def flush(self) -> str:
        rest, self._buf = self._buf, ""
        return rest
