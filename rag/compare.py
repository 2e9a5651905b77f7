"""Comparison questions: "X vs Y", "X or Y", "the difference between X and Y" name two sides.

Retrieval searches each side on its own as well (so both sides' notes reach the context), and
the answer is asked to name both.  A question is read as a comparison only when a pattern below
matches and both sides keep a content word; "over- or under-fitting" style hyphen pairs and
choices inside a longer clause ("which tools or libraries ...") are not comparisons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lexical import tokenize

_SIDE = r"(?P<x>[^?,;:—–]+?)"
_OTHER = r"(?P<y>[^?,;:—–]+?)"
_END = r"\s*(?:[?,;:—–]|$|\b(?:when|which|and when|in terms of|for|trade-?offs?)\b)"

# Ordered: the first that matches decides.
_PATTERNS = [
    re.compile(rf"\bdifferences? between (?:an? |the )?{_SIDE} and (?:an? |the )?{_OTHER}{_END}"),
    re.compile(rf"\bhow (?:does|do|is|are) (?:an? |the )?{_SIDE} (?:differ|different|compare|stack up)s? "
               rf"(?:from|to|with|against) (?:an? |the )?{_OTHER}{_END}"),
    re.compile(rf"\bhow (?:do|does) (?:an? |the )?{_SIDE} and (?:an? |the )?{_OTHER} (?:differ|compare){_END}"),
    re.compile(rf"\b(?:what )?separates (?:an? |the )?{_SIDE} from (?:an? |the )?{_OTHER}{_END}"),
    re.compile(rf"\bcompare (?:an? |the )?{_SIDE} (?:and|with|to|against) (?:an? |the )?{_OTHER}{_END}"),
    re.compile(rf"\b{_SIDE} and {_OTHER}\s*[—–,-]*\s*how (?:do|does|would) (?:they|the two|these) (?:differ|compare)"),
    re.compile(rf"\b(?:pick|choose|use|prefer|go with|between|is it) (?:an? |the )?{_SIDE}\s+(?:vs\.?|versus|or) "
               rf"(?:an? |the )?{_OTHER}{_END}"),
    re.compile(rf"(?:^|\b(?:pick|choose|use|prefer|go with|between|is it) )(?:an? |the )?{_SIDE}\s+(?:vs\.?|versus) "
               rf"(?:an? |the )?{_OTHER}{_END}"),
    # the whole question is "X or Y?" (not "which tools or libraries ...?")
    re.compile(rf"^(?!(?:which|what|how|why|when|where|who|do|does|is|are|can|should|would)\b)"
               rf"(?P<x>(?:\S+ ){{0,2}}\S+) or (?P<y>(?:\S+ ){{0,2}}\S+?)\s*\??$"),
]

_LEAD = re.compile(r"^(?:(?:in|for|with|when) [^,]+,\s*)?(?:what(?:'s| is| are)?|explain|describe|tell me|"
                   r"(?:when|why) (?:would|should|do) (?:i|you|we) (?:reach for|use|pick|choose|prefer))\s+")
_FILLER = re.compile(r"^(?:a|an|the|doing|using|running|going with)\s+|\s+(?:release|approach|strategy)s?$")


@dataclass(frozen=True)
class Comparison:
    first: str
    second: str

    @property
    def queries(self) -> tuple[str, str]:
        return self.first, self.second


def _side(text: str) -> str:
    text = _FILLER.sub("", text.strip(" .'\"")).strip()
    return re.sub(r"\s+", " ", text)


def comparison(question: str) -> Comparison | None:
    """The two sides a question compares, or ``None`` when it does not read as a comparison."""
    q = re.sub(r"\s+", " ", question.strip().lower().replace("\u2019", "'"))
    q = _LEAD.sub("", q)
    for pattern in _PATTERNS:
        m = pattern.search(q)
        if not m:
            continue
        x, y = _side(m.group("x")), _side(m.group("y"))
        if x.endswith("-") or not tokenize(x) or not tokenize(y) or len(x.split()) > 6 or len(y.split()) > 6:
            continue
        if set(tokenize(x)) == set(tokenize(y)):
            continue
        return Comparison(x, y)
    return None
