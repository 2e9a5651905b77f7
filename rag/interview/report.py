"""The session report: a Markdown record of one mock interview (what was asked, what the candidate
said, the grade with its covered and missed points and their citations, the interviewer's feedback,
what comes back next).  Pure text assembly, plus one function that saves it."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from ingest.models import split_heading
from rag.interview.delivery import delivery_lines


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines()) or "> (nothing)"


def _cite(source: str) -> str:
    parts = split_heading(source)
    return f"{parts[0]} › {parts[-1]}" if len(parts) > 1 else (parts[0] if parts else "")


def _turn_lines(turn, number: str) -> list[str]:
    kind = "Follow-up" if turn.followup else f"Question {number}"
    lines = [f"## {kind}: {turn.question}", "", f"*Topic: {turn.item.topic or '-'}*", ""]
    if turn.outcome in ("skipped", "shown"):
        lines += [f"You {'skipped it' if turn.outcome == 'skipped' else 'asked for the answer from your notes'}.", ""]
    elif turn.outcome == "answered":
        lines += ["**Your answer**", "", _quote(turn.answer), ""]
        if turn.seconds is not None:
            lines += [f"*Answered in {turn.seconds:.0f} s (aim: about {turn.target_seconds} s spoken).*", ""]
        if turn.delivery is not None:
            lines += ["**How you said it** (spoken answer)", ""] + [f"- {line}" for line in delivery_lines(turn.delivery)] + [""]
    else:
        lines += ["Not answered (the interview ended).", ""]
    g = turn.grade
    if g is not None:
        lines += [f"**Score {g.score}/100** ({g.verdict})" + (f": {g.message}" if g.message else ""), ""]
        if g.wrong:
            lines.append("Wrong:")
            lines += [f"- you said \u201c{p.wrong}\u201d; your notes: {p.point}" + (f" ({_cite(p.source)})" if p.source else "")
                      for p in g.wrong]
            lines.append("")
        for label, points in (("Covered", g.covered), ("Missed", [p for p in g.missing if not p.wrong])):
            if points:
                lines.append(f"{label}:")
                lines += [f"- {p.point}" + (f" ({_cite(p.source)})" if p.source else "") for p in points]
                lines.append("")
    if turn.feedback.strip():
        lines += ["**Interviewer**", "", turn.feedback.strip(), ""]
    return lines


def session_report(turns, summary, started: datetime, subject: str = "") -> str:
    """The report of an interview from its turns (``session.Turn``) and its ``Summary``."""
    title = f"{subject} mock interview" if subject else "Mock interview"
    lines = [f"# {title}, {started:%Y-%m-%d %H:%M} UTC", ""]
    if summary.answered:
        lines.append(f"{summary.answered} answers, mean score {summary.mean_score:.0f}/100.")
    else:
        lines.append("No questions were answered.")
    if summary.weakest:
        lines.append("Weakest topics: " + ", ".join(summary.weakest) + ".")
    lines.append("")
    number = 0
    for turn in turns:
        if not turn.followup:
            number += 1
        lines += _turn_lines(turn, str(number))
    if summary.rows:
        lines += ["## By topic", "", "| topic | answers | mean score |", "|---|---|---|"]
        lines += [f"| {r['topic']} | {r['answered']} | {r['mean']:.0f} |" for r in summary.rows]
        lines.append("")
    if summary.due:
        lines += ["## Coming back", ""]
        lines += [f"- {d['due'] or '-'}: {d['question']}" for d in summary.due]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def save_report(text: str, folder: Path, started: datetime, session_id: str) -> Path:
    """Write the report as ``<folder>/<start time>-<session id>.md`` (atomically) and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{started:%Y%m%d-%H%M%S}-{session_id}.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def list_reports(folder: Path) -> list[Path]:
    """Saved reports, newest first."""
    return sorted(Path(folder).glob("*.md"), reverse=True) if Path(folder).is_dir() else []
