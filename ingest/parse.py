"""Structure-aware parsing of a cleaned note into units: questions with answers, scenarios, sections.

The notes write questions in several ways; all become one ``qa``/``scenario`` unit each:

* a heading that is a question (``### 9. What is canary deployment?``), optionally followed by
  interviewer hints and an ``**Answer:**`` label, or answered by a bare table/list;
* ``**Q:** question`` + ``**Answer:**`` + a ``>`` quoted answer;
* ``*   **Q: question**`` / ``*   **Scenario: ...**`` + an indented ``- *A:* answer``;
* ``### Scenario N: Title`` + ``**Question:** ...`` (no answer).

Everything else becomes ``section`` units. ``---`` rules separate units and are never content.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import NamedTuple

from ingest.markdown import code_lines, is_rule, strip_inline
from ingest.models import Unit

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_NUMBERING = re.compile(r"^\(?\d+(?:\.\d+)*[.):]\s+|^\d+(?:\.\d+)+\s+")  # "9. ", "(2) ", "1.1 "
# **Q:** text | **Q3:** text | * **Q: text** | * **Scenario: text**
_INLINE_Q = re.compile(r"^\s*(?:[-*+]\s+)?\*\*(Q\s*#?\s*\d*|Question\s*#?\s*\d+|Scenario)\s*:\s*(?:\*\*)?\s*(.+?)\s*(?:\*\*)?\s*$", re.I)
_QUESTION_LABEL = re.compile(r"^\s*(\*\*|__)Question\s*:\s*\1\s*(.*)$", re.I)
# **Answer:** | **A:** | - *A:* | **Answer**:
_ANSWER_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?(\*\*|\*|__|_)(?:Answer|A)\s*(?::\s*\1|\1\s*:)\s*(.*)$", re.I)
_QUOTE = re.compile(r"^(\s*)>[ ]?")
_ASKING = re.compile(
    r"^(what|why|how|when|where|which|who|whom|whose|explain|describe|tell|define|compare|discuss"
    r"|is|are|do|does|did|can|could|should|would|will|list|name|give|walk)\b",
    re.I,
)
# A request put as an instruction ("Walk me through ...", "Design ...") asks even without a "?".
_INSTRUCTION = re.compile(
    r"^(explain|describe|define|compare|contrast|discuss|design|implement|write|outline|walk\s+me\s+through"
    r"|tell\s+me|talk\s+me\s+through|give\s+an?\s+example|list|name|differentiate|distinguish|illustrate"
    r"|suppose|imagine|how\s+would\s+you|what\s+would\s+you)\b",
    re.I,
)
# "Q3:", "Q 3.", "Question 20:", "Q:" before the question itself: a label, not part of it.


def is_bare_answer_label(raw: str) -> bool:
    """Is the markdown line ``raw`` only an answer label ("**Answer:**") with nothing after it?"""
    m = _ANSWER_LABEL.match(raw)
    return bool(m) and not m.group(2).strip()


def is_instruction(text: str) -> bool:
    """Does ``text`` read as an instruction ("Explain ...", "Compare with ...")?  Notes written
    as interview guides open answers with such an outline of what to cover."""
    return bool(_INSTRUCTION.match(text.strip()))


_LABEL = re.compile(r"^(?:q(?:uestion)?\s*#?\s*\d*\s*[:.)\-]|q(?:uestion)?\s*#?\s*\d+\s+)\s*", re.I)
_QA_PARENT = re.compile(r"\bQ\s*&\s*A\b|\bquestions?\b", re.I)


def normalize_heading(s: str) -> str:
    """Heading text without ``#`` markers, inline markdown and extra blanks; numbering and
    punctuation kept."""
    s = re.sub(r"^\s*#{1,6}(?=\s|$)", "", s.strip())
    s = re.sub(r"\s+#+\s*$", "", s).strip()
    return " ".join(strip_inline(s).split())


def strip_numbering(s: str) -> str:
    """``"9. What is X?"`` -> ``"What is X?"``."""
    return _NUMBERING.sub("", s).strip()


def strip_label(s: str) -> str:
    """The question without its numbering or label: ``"Question 20: Explain X"`` -> ``"Explain X"``,
    ``"Q3. What is Y?"`` -> ``"What is Y?"``, ``"4. Q: Why?"`` -> ``"Why?"``."""
    s = strip_numbering(s)
    return strip_numbering(_LABEL.sub("", s, count=1)).strip() or s


class _Ln(NamedTuple):
    no: int  # 1-based line number
    text: str
    code: bool  # inside a fenced code block outside a ``>`` quote (fence lines included)


@dataclass
class _Block:
    level: int  # 0 for text before the first heading
    title: str
    line: int  # line of the heading (or of the file start)
    lines: list[_Ln] = field(default_factory=list)


def _blocks(text: str) -> list[_Block]:
    """Split at ATX headings; lines inside fenced code never count as headings.

    Fences inside a ``>`` quote are left out of ``code``: their lines start with ``>``, so no
    heading, rule or label pattern matches them anyway, and unquoting must reach them."""
    blocks = [_Block(0, "", 1)]
    code = code_lines(text, quoted=False)
    for no, line in enumerate(text.split("\n"), start=1):
        if no - 1 not in code and (h := _ATX.match(line)) and normalize_heading(h.group(2) or ""):
            blocks.append(_Block(len(h.group(1)), normalize_heading(h.group(2)), no))
            continue
        blocks[-1].lines.append(_Ln(no, line, no - 1 in code))
    return blocks


def _is_rule(ln: _Ln) -> bool:
    return not ln.code and is_rule(ln.text)


def _is_blank(ln: _Ln) -> bool:
    return not ln.text.strip() or _is_rule(ln)


def _first_marker(lines: list[_Ln]) -> str | None:
    for ln in lines:
        if ln.code:
            continue
        if _INLINE_Q.match(ln.text):
            return "q"
        if _ANSWER_LABEL.match(ln.text):
            return "answer"
        if _QUESTION_LABEL.match(ln.text):
            return "question"
    return None


def _is_question_heading(title: str, parent: str, lines: list[_Ln]) -> bool:
    marker = _first_marker(lines)
    if marker == "q":
        return False
    question = strip_label(title)
    if marker in ("answer", "question") or title.rstrip().endswith("?") or _LABEL.match(strip_numbering(title)):
        return True
    if is_instruction(question):  # "Walk me through ...", "Design a ..." asks without a "?"
        return True
    if _NUMBERING.match(title):  # "4. Why ..." or any numbered entry of a "Q&A" section
        return bool(_ASKING.match(question) or _QA_PARENT.search(parent))
    return False


def _tidy(lines: list[_Ln], unquote: bool = False) -> str:
    """Join lines: drop rules, optionally ``>`` markers (outside code), dedent, trim blank lines."""
    out = []
    for ln in lines:
        line = ln.text
        if not ln.code and is_rule(line):
            continue
        if not ln.code and unquote:
            line = _QUOTE.sub(r"\1", line)
        out.append(line.rstrip())
    text = textwrap.dedent("\n".join(out)).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def _split_answer(lines: list[_Ln]) -> str:
    """The answer: what follows an answer label (hints before it are not part of it), else all."""
    for i, ln in enumerate(lines):
        m = None if ln.code else _ANSWER_LABEL.match(ln.text)
        if m:
            return _tidy([ln._replace(text=m.group(2)), *lines[i + 1 :]], unquote=True)
    return _tidy(lines, unquote=True)


def _cut_at_rule(lines: list[_Ln]) -> tuple[list[_Ln], list[_Ln]]:
    """Split at the first ``---`` that follows some content: what comes after is not the answer."""
    seen = False
    for i, ln in enumerate(lines):
        if seen and _is_rule(ln):
            return lines[:i], lines[i + 1 :]
        seen = seen or bool(ln.text.strip())
    return lines, []


class _Parser:
    def __init__(self, file: str) -> None:
        self.file = file
        self.units: list[Unit] = []

    def section(self, path: tuple[str, ...], lines: list[_Ln], line: int | None = None) -> None:
        body = _tidy(lines)
        if body:
            first = next(ln.no for ln in lines if not _is_blank(ln))
            self.units.append(Unit(self.file, path, body, "section", line=line or first))

    def question(self, path, question: str, kind, lines: list[_Ln], line: int, answer=None) -> None:
        body = _tidy(lines)
        answer = _split_answer(lines) if answer is None else answer
        self.units.append(Unit(self.file, path, body, kind, question, answer, line))

    def heading_question(self, path: tuple[str, ...], block: _Block, lines: list[_Ln]) -> None:
        own, rest = _cut_at_rule(lines)
        question, answer = strip_label(block.title), None
        kind = "scenario" if re.match(r"scenario\b", block.title, re.I) else "qa"
        for i, ln in enumerate(own):
            m = None if ln.code else _QUESTION_LABEL.match(ln.text)
            if m:  # "### Scenario 3: Title" + "**Question:** ..."
                question, answer = m.group(2).strip(), _split_answer(own[i + 1 :])
                break
        self.question(path, question, kind, own, block.line, answer)
        self.section(path[:-1], rest)

    def inline_questions(self, path: tuple[str, ...], block: _Block) -> None:
        """A block holding ``**Q:**``-style questions: text before/after them becomes sections."""
        current: list[_Ln] = []
        head: tuple[str, str, int] | None = None  # (question, kind, line)
        first_line: int | None = block.line if block.level else None

        for ln in block.lines:
            m = None if ln.code else _INLINE_Q.match(ln.text)
            if m or (head is not None and _is_rule(ln)):
                self._flush(path, head, current, first_line)
                kind = "scenario" if m and m.group(1).lower() == "scenario" else "qa"
                head, current, first_line = ((m.group(2), kind, ln.no) if m else None), [], None
                continue
            current.append(ln)
        self._flush(path, head, current, first_line)

    def _flush(self, path, head, lines: list[_Ln], first_line: int | None) -> None:
        if head is None:
            self.section(path, lines, first_line)
        else:
            q, kind, no = head
            self.question((*path, q), q, kind, lines, no)


def _absorb(blocks: list[_Block], i: int) -> tuple[list[_Ln], int]:
    """Lines of the sub-headings of ``blocks[i]`` (sub-headings as bold lines) and the next index.
    Stops at a sub-heading that is a question of its own or holds question/answer labels."""
    lines, j = [], i + 1
    while j < len(blocks) and blocks[j].level > blocks[i].level:
        b = blocks[j]
        if _is_question_heading(b.title, blocks[i].title, b.lines) or _first_marker(b.lines) is not None:
            break
        lines += [_Ln(b.line, f"**{b.title}**", False), _Ln(b.line, "", False), *b.lines, _Ln(b.line, "", False)]
        j += 1
    return lines, j


def parse_units(file: str, text: str) -> list[Unit]:
    """Units of one cleaned note, in file order."""
    parser = _Parser(file)
    blocks = _blocks(text)
    stack: list[tuple[int, str]] = []  # (level, title)
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.level:
            stack = [(lv, t) for lv, t in stack if lv < block.level] + [(block.level, block.title)]
        path = tuple(t for _, t in stack)
        parent = path[-2] if len(path) > 1 else ""
        nxt = i + 1
        if block.level and _is_question_heading(block.title, parent, block.lines):
            # the answer runs to the next question: its sub-sections are part of it
            if all(_is_blank(ln) for ln in block.lines):
                sub, nxt = _absorb(blocks, i)
                lines = [ln for ln in sub if not _is_rule(ln)]  # separators between its parts
            elif _cut_at_rule(block.lines)[1]:  # a "---" ends the answer before its sub-sections
                lines = block.lines
            else:
                sub, nxt = _absorb(blocks, i)
                lines = block.lines + ([_Ln(block.line, "", False)] + sub if sub else [])
            parser.heading_question(path, block, lines)
        else:
            parser.inline_questions(path, block)
        i = nxt
    return parser.units
