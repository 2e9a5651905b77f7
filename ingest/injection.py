"""Text in a note that addresses the chat model instead of the reader (prompt injection).

A note is material: the answer prompt quotes it inside a fence (rag/prompts.py) and tells the
model never to follow it.  This module finds the sentences that try anyway, so that

* ``coach ingest`` and the Notes tab warn about the note (the user sees what was found), and
* the prompts leave those sentences out (``rag.prompts`` drops every flagged line part before it
  numbers a block; ``rag.interview.feedback`` drops flagged key points).  They are not facts
  about the subject, so dropping them loses no answer, and a small model obeys an instruction it
  sees even inside a fence (the 1.5B model answered ``PWNED`` 4 of 4 times to one such line).
  The index keeps the note as it is written: it is the user's text, and the warning says where.

Only phrases addressed to an assistant count: overriding instructions ("ignore all previous
instructions", "disregard the above", in English, French, German, Spanish, Italian and
Portuguese), a new role ("you are now", "from now on you"), the prompt ("system prompt", "repeat
your instructions"), output orders ("answer only with", "respond with exactly", "reply only:"),
suppression ("do not mention"), links or images to output, chat-template role tokens
(``<|im_start|>``, ``[INST]``, ``<<SYS>>``), role headers ("### Instruction", "system:" at the
start of a line) and notes "to the AI/assistant".  Study instructions to the reader ("Explain
...", "Mention tools like ...", "Include drift metrics") are not flagged: none of the real notes
in corpus/ is (tests/ingest/test_injection.py).  Look-alike letters (Cyrillic "а", Greek "Ι") and
full-width forms are folded to Latin before matching.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Cyrillic and Greek letters that look like Latin ones (the common confusables), folded before matching.
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ո": "n", "ѵ": "v", "ԝ": "w",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ι": "i", "ν": "v", "κ": "k", "ρ": "p",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
})

_OVERRIDE_VERB = r"(?:ignore|disregard|forget|override|bypass|skip|ignorez|ignorer|ignoriere|ignorieren|vergiss|vergessen|" \
                 r"oublie[zr]?|ignora|ignore[mn]|olvida|dimentica|esque[cç]a)"
_RULES = r"(?:instructions?|prompts?|rules|directions|guidelines|context|the\s+(?:notes\s+)?above|everything(?:\s+(?:above|before|else))?|" \
         r"consignes|r[eè]gles|anweisungen|regeln|instrucciones|istruzioni|instru[cç][oõ]es)"
_ASSISTANT = r"(?:ai|a\.i\.|assistant|chatbot|bot|llm|language\s+model|model|gpt|interviewer)"
_VOCATIVE = rf"(?:(?:dear\s+|hey\s+)?{_ASSISTANT}\s*[,:]\s*)?(?:(?:please|now|instead|then|also|always|just)\s*,?\s+)*"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("override", re.compile(rf"\b{_OVERRIDE_VERB}\b[^.!?\n]{{0,50}}?\b{_RULES}", re.I)),
    ("new role", re.compile(r"\byou\s+are\s+now\b|\bfrom\s+now\s+on,?\s+(?:you|answer|reply|respond|always|only)\b"
                            r"|\bact\s+as\s+(?:an?\s+)?(?:unrestricted|different|new)\b|\bpretend\s+(?:to\s+be|you\s+are)\b", re.I)),
    ("prompt", re.compile(r"\bsystem\s+prompt\b|\b(?:repeat|reveal|print|show|output)\s+(?:your|the)\s+(?:\w+\s+)?"
                          r"(?:instructions|prompt|rules)\b|\bnew\s+(?:instructions|rules?)\s+(?:from\s+the\s+system\b|[:.])", re.I)),
    ("output order", re.compile(
        rf"(?:^|[.!?:;]\s+|\band\s+){_VOCATIVE}(?:answer|reply|respond)\s+(?:(?:to\s+\w+(?:\s+\w+)?\s+)?(?:only|exactly|solely)\b|with\b)"
        rf"|(?:^|[.!?:;]\s+|\band\s+){_VOCATIVE}(?:output|print|say|write|return)\s+(?:only|exactly|just|the\s+word)\b"
        rf"|\b(?:answer|reply|respond)\s+only\s*:"
        rf"|\b(?:start|begin|end|prefix)\s+(?:every|each|all|your)\s+(?:answer|reply|response|message)s?\s+with\b"
        rf"|\bthe\s+(?:correct|only|right)\s+answer\s+to\s+(?:any|every|all)\s+question", re.I | re.M)),
    ("suppression", re.compile(r"\b(?:do\s+not|don'?t|never)\s+(?:mention|reveal|tell\s+the\s+user|say\s+anything)\b", re.I)),
    ("link to output", re.compile(r"\b(?:include|append|add|insert|output|embed|show)\b[^.!?\n]{0,40}\b(?:link|url|image|this\s+markdown)\b"
                                  r"[^.!?\n]{0,40}\b(?:answer|reply|response|output)\b"
                                  r"|\b(?:when|whenever|each\s+time)\s+you\s+(?:answer|respond|reply)\b[^.!?\n]{0,60}\b(?:link|url|image|append|include)\b",
                                  re.I)),
    ("grading order", re.compile(r"\btell\s+the\s+(?:candidate|user)\b[^.!?\n]{0,60}\b(?:perfect|flawless|correct|excellent|100)\b"
                                 r"|\b(?:give|award|score)\s+(?:it|them|the\s+(?:candidate|answer))\s+(?:a\s+)?(?:100|full\s+marks|top\s+marks)\b", re.I)),
    ("role token", re.compile(r"<\|[a-z_]{2,20}\|>|\[/?INST\]|<<\s*/?SYS\s*>>|</?\s*(?:system|assistant|im_start|im_end)\s*>", re.I)),
    ("role header", re.compile(r"^\s*(?:>\s*)*(?:(?:#{1,6}\s*|\*\*)?(?:system|assistant|developer)\s*(?:\*\*)?\s*:"
                               r"|#{1,6}\s*instruction\s*:)", re.I | re.M)),
    ("addressed", re.compile(rf"\b(?:note|message|instructions?|attention)\s+(?:to|for)\s+(?:the\s+|any\s+)?{_ASSISTANT}\b"
                             rf"|\b(?:important|attention)\s+(?:note\s+)?(?:to|for)\s+(?:the\s+)?{_ASSISTANT}\b"
                             rf"|(?:^|[.!?]\s+)(?:{_ASSISTANT})\s*,\s*(?:respond|reply|answer|say|output|ask)\b", re.I | re.M)),
]

# a sentence ends at . ! ? and white space before a capital (any script: "DAG. Ιgnore" with a Greek Ι)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[<]|[^\W\d_a-z])")


@dataclass(frozen=True)
class Flag:
    kind: str  # which rule matched (the first name in _PATTERNS order)
    line: int  # 1-based line of the note
    text: str  # the sentence (or line) that matched, as written


def fold(text: str) -> str:
    """``text`` with full-width forms, look-alike Cyrillic/Greek letters and invisible characters
    folded to plain Latin, for matching only (same length is not kept)."""
    return unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)


def _kind(text: str) -> str | None:
    folded = fold(text)
    for kind, pattern in _PATTERNS:
        if pattern.search(folded):
            return kind
    return None


def sentences(line: str) -> list[str]:
    """The sentences of one line, for reporting and dropping only the part that matched."""
    return [s for s in _SENTENCE_END.split(line) if s.strip()]


def injection_flags(text: str) -> list[Flag]:
    """Every sentence of ``text`` (a note, or any part of one) addressed to the chat model."""
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        if _kind(line) is None:
            continue
        for s in sentences(line) or [line]:
            kind = _kind(s)
            if kind is not None:
                out.append(Flag(kind, i, s.strip()))
        if not any(f.line == i for f in out):  # matched only across sentences: flag the whole line
            out.append(Flag(_kind(line) or "", i, line.strip()))
    return out


def is_injection(text: str) -> bool:
    """Does ``text`` hold a sentence addressed to the chat model?"""
    return _kind(text) is not None


def without_injections(line: str) -> str:
    """``line`` without its sentences addressed to the chat model ("" when nothing else is left)."""
    if _kind(line) is None:
        return line
    kept = [s for s in sentences(line) if _kind(s) is None]
    joined = " ".join(s.strip() for s in kept)
    return "" if _kind(joined) is not None else joined


WARNING_MARK = "reads as an instruction to the AI"  # in every warning of injection_warning


def is_injection_warning(warning: str) -> bool:
    """Is this line of an ingest summary an ``injection_warning``?  (The Notes tab shows them.)"""
    return WARNING_MARK in warning


def injection_warning(name: str, flags: list[Flag]) -> str:
    """The ingest summary's line for a note with flagged sentences."""
    first = flags[0]
    quote = first.text if len(first.text) <= 80 else first.text[:77] + "..."
    more = f" (and {len(flags) - 1} more)" if len(flags) > 1 else ""
    return (f"{name}: line {first.line} {WARNING_MARK}, left out of its prompts: "
            f"\u201c{quote}\u201d{more}")
