"""HTML and markdown for the panels.  Pure functions of plain data: no Gradio, no services.

Everything that comes from the notes, the model or the user is escaped here, and only here: ``esc``
for HTML panels, ``md`` for Markdown (chat messages, ``gr.Markdown``), so that a note whose heading
holds ``<img src=...>`` shows that text instead of making the browser fetch it.  Gradio's own
sanitizer drops scripts and handlers but keeps images, so it is not relied on.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html import escape

from ingest.markdown import plain_lines
from rag.evidence import block_lines
from rag.interview.bands import BANDS, FAILED_VERDICTS, band
from rag.interview.delivery import delivery_lines

SEP = " > "
_CITE = re.compile(r"(?<![\[\w])\[(\d{1,2})\](?!\()")


def esc(text) -> str:
    """Text for HTML: no tag or attribute can be made from it."""
    return escape(str(text or ""), quote=True)


_MD_PUNCT = re.compile(r"([\\`\[\]])")


def md(text) -> str:
    """Text for Markdown: HTML-escaped (no tag, no autolink ``<http://...>``), and with backslashes,
    backticks and square brackets backslash-escaped, so it makes no link, image (``![](...)``) or
    code span (in which an entity would show as typed).  Emphasis, lists and line breaks remain."""
    return _MD_PUNCT.sub(r"\\\1", escape(str(text or ""), quote=False))


def md_around(pattern: re.Pattern, text: str, repl) -> str:
    """``text`` for Markdown with each match of ``pattern`` replaced by ``repl(match)`` (Markdown the
    caller made safe) and everything between the matches escaped with ``md``."""
    out, pos = [], 0
    text = text or ""
    for m in pattern.finditer(text):
        out += [md(text[pos:m.start()]), repl(m)]
        pos = m.end()
    return "".join(out) + md(text[pos:])


def plain(text: str) -> str:
    """Note markdown reduced to readable plain text for a snippet, bullets as \u2022."""
    text = "\n".join(plain_lines(text or "", bullet="\u2022 ", keep_numbers=True))
    return re.sub(r"[ \t]+", " ", text).strip()


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def clip(text: str, n: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def short_title(heading: str) -> str:
    """The last element of a heading path, without a leading "12." number."""
    last = (heading or "").split(SEP)[-1].strip()
    return re.sub(r"^\d+\.\s*", "", last) or heading


def breadcrumb(heading: str) -> str:
    """File and section headings above the title, joined with a thin arrow."""
    parts = (heading or "").split(SEP)
    return " \u203a ".join(p.strip() for p in parts[:-1]) if len(parts) > 1 else ""


# --- Ask: citations and sources ------------------------------------------------------------

def source_id(n: int, turn: int | None = None) -> str:
    """DOM id of a source entry: ``src-N`` for the latest answer, ``src-T-N`` for earlier ones."""
    return f"src-{n}" if turn is None else f"src-{turn}-{n}"


def evidence_id(n: int, line: int, turn: int | None = None) -> str:
    """DOM id of the highlighted line ``line`` (0-based, of the block's lines) of source ``n``:
    ``src-N-eK`` for the latest answer, ``src-T-N-eK`` for earlier ones."""
    return f"{source_id(n, turn)}-e{line}"


def citation_target(n: int, turn: int | None = None, evidence: dict[int, list[int]] | None = None) -> str:
    """Where citation ``[n]`` points: the first highlighted line of source ``n``, else the source."""
    lines = (evidence or {}).get(n)
    return evidence_id(n, min(lines), turn) if lines else source_id(n, turn)


def link_citations(text: str, turn: int | None = None, valid: set[int] | None = None,
                   evidence: dict[int, list[int]] | None = None) -> str:
    """An answer as Markdown (escaped with ``md``) with each citation ``[n]`` turned into a link to
    its source entry (to its first highlighted line when ``evidence``, as from
    ``rag.evidence.evidence``, has lines for it)."""
    def repl(m: re.Match) -> str:
        n = int(m.group(1))
        if valid is not None and n not in valid:
            return md(m.group(0))
        return f"[[{n}]](#{citation_target(n, turn, evidence)})"
    return md_around(_CITE, text, repl)


def hit_dict(hit) -> dict:
    """The serialisable part of a retrieval Hit or context Block that the sources panel shows; a
    Block also gives ``lines``, the lines of the text the model was given (``rag.evidence.block_lines``:
    the line numbers of the evidence)."""
    c = hit.chunk
    d = {"n": hit.n, "heading": c.heading, "file": c.file, "text": c.text, "score": round(hit.vector_score, 3)}
    if isinstance(getattr(hit, "text", None), str):
        d["lines"] = block_lines(hit.text)
    return d


def _source_lines(lines: list[str], n: int, turn: int | None, marked) -> str:
    """Every line of the block, the supporting ones wrapped in ``<mark class="evidence">``."""
    marked = set(marked or ())
    rows = []
    for i, line in enumerate(lines):
        shown = esc(plain(line) or line)
        if i in marked:
            shown = f'<mark class="evidence" id="{evidence_id(n, i, turn)}">{shown}</mark>'
        rows.append(f'<div class="src-line">{shown}</div>')
    return f'<div class="src-lines">{"".join(rows)}</div>'


def _source_entry(s: dict, turn: int | None, cited: list[int] | None, evidence: dict | None = None) -> str:
    """One source.  A cited one (or any while the answer streams) shows the lines the model was
    given, the lines supporting the answer highlighted; the others a short snippet of the note."""
    n = s.get("n") or 0
    state = "" if not cited else (" cited" if n in cited else " uncited")
    lines = s.get("lines")
    if lines and (cited is None or n in cited):
        body = _source_lines(lines, n, turn, (evidence or {}).get(n))
    else:
        body = f'<div class="src-text">{esc(clip(plain(s.get("text", "")), 280))}</div>'
    crumb = breadcrumb(s.get("heading", ""))
    flag = '<span class="src-flag">not cited</span>' if state == " uncited" else ""
    return (
        f'<div class="src{state}" id="{source_id(n, turn)}">'
        f'<div class="src-head"><span class="src-n">{n}</span>'
        f'<span class="src-title">{esc(short_title(s.get("heading", "")))}</span>{flag}</div>'
        + (f'<div class="src-path" title="{esc(s.get("heading", ""))}">{esc(crumb)}</div>' if crumb else "")
        + body + "</div>"
    )


def sources_html(turns: list[dict], searching: bool = False) -> str:
    """The sources panel for a conversation: the latest answer's sources in full (ids src-N),
    earlier answers' sources folded below (ids src-T-N)."""
    if not turns:
        return ('<div class="panel-empty"><div class="panel-empty-title">Sources</div>'
                "<p>The notes an answer is based on appear here as soon as they are found, numbered like "
                "the citations [1] in the answer.</p>"
                '<div class="panel-empty-title tips">Tips</div><ul class="tips">'
                "<li>Ask follow-ups such as <i>\u201cand how do you roll it back?\u201d</i>: "
                "your earlier questions are taken into account.</li>"
                "<li>Click a citation like [1] to jump to the lines of the note it comes from, "
                "highlighted.</li>"
                "<li>If your notes do not cover a question, you get the nearest topics they do cover "
                "instead of a guess.</li>"
                "<li>Add or re-index notes in the <b>Notes</b> tab.</li></ul></div>")
    parts = []
    last = len(turns) - 1
    for i in range(last, -1, -1):
        t = turns[i]
        turn = None if i == last else i + 1
        parts.append(_turn_sources(t, turn, searching and i == last))
    return '<div class="sources">' + "".join(parts) + "</div>"


def _turn_sources(t: dict, turn: int | None, searching: bool) -> str:
    hits, cited = t.get("hits"), t.get("cited")
    if turn is None:
        head = f'<div class="sources-q">For: <b>{esc(clip(t.get("q", ""), 90))}</b></div>'
        if searching and hits is None:
            return head + '<div class="sources-wait">Searching your notes\u2026</div>'
        if not t.get("covered", True) and not hits:
            near = "".join(f"<li>{esc(short_title(x))}</li>" for x in t.get("nearest") or [])
            return (head + '<div class="not-covered"><b>Not in your notes.</b>'
                    + (f" The nearest topics they cover:<ul>{near}</ul>" if near else "") + "</div>")
        body = "".join(_source_entry(s, None, cited, t.get("evidence")) for s in hits or [])
        timing = t.get("timing")
        foot = f'<div class="sources-foot">{esc(timing)}</div>' if timing else ""
        return head + body + foot
    if not hits:
        return ""
    body = "".join(_source_entry(s, turn, cited, t.get("evidence")) for s in hits)
    return (f'<details class="sources-earlier"><summary>Earlier: {esc(clip(t.get("q", ""), 70))}</summary>'
            f"{body}</details>")


def chat_messages(turns: list[dict]) -> list[dict]:
    """Chatbot messages for the Ask conversation, citations linked to the sources panel."""
    msgs = []
    last = len(turns) - 1
    for i, t in enumerate(turns):
        msgs.append({"role": "user", "content": md(t["q"])})
        if t.get("a"):
            valid = {s["n"] for s in t.get("hits") or []}
            msgs.append({"role": "assistant",
                         "content": link_citations(t["a"], None if i == last else i + 1, valid, t.get("evidence"))})
    return msgs


def timing_line(timings: dict) -> str:
    if not timings:
        return ""
    parts = []
    if "first_token_ms" in timings:
        parts.append(f"first words after {timings['first_token_ms'] / 1000:.1f} s")
    if "total_ms" in timings:
        parts.append(f"answered in {timings['total_ms'] / 1000:.1f} s")
    return " \u00b7 ".join(parts)


# --- Mock interview: scorecard and summary ---------------------------------------------------

_QUOTED_QUESTION = re.compile(r"[\"\u201c]([^\"\u201d]{8,}?\?)\s*[\"\u201d]?\s*$")


def clean_question(text: str) -> str:
    """A follow-up question as generated may come wrapped: 'One follow-up could be: "What ...?"'."""
    text = (text or "").strip()
    m = _QUOTED_QUESTION.search(text)
    return m.group(1).strip() if m else text.strip('"\u201c\u201d ')


def verdict_class(score: int, verdict: str = "") -> str:
    return BANDS[-1].css if verdict in FAILED_VERDICTS else band(score).css


def scorecard_placeholder(text: str = "", guide: bool = True) -> str:
    text = text or "Start an interview: each answer is scored here against the key points of your notes."
    how = ('<div class="panel-empty-title tips">How it works</div><ul class="tips">'
           "<li>Each answer gets a score from 0 to 100 for the key points of your notes it covers: "
           + " ".join(f'<span class="band {b.css}">{f"{b.floor}+ " if b.floor else ""}{b.verdict}</span>' for b in BANDS)
           + "</li>"
           "<li>Then the interviewer gives feedback and asks a follow-up, which is scored too.</li>"
           "<li>Stuck? Type or press <b>hint</b>, <b>skip</b>, <b>show answer</b> or <b>end</b>.</li>"
           "<li>Weak answers come back sooner (spaced repetition): see the <b>Progress</b> tab.</li></ul>"
           if guide else "")
    return (f'<div class="scorecard empty"><div class="panel-empty-title">Scorecard</div>'
            f'<p class="panel-empty">{esc(text)}</p>{how}</div>')


def scorecard_pending(question: str) -> str:
    return ('<div class="scorecard pending"><div class="sc-grading">Scoring your answer\u2026</div>'
            f'<div class="sc-q">{esc(clip(question, 160))}</div></div>')


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", re.sub(r"^\d+\.\s*", "", (text or "").lower())).strip()


def cite_text(source: str, question: str = "") -> str:
    """ "file \u203a section" for a point's source; the question's own heading is left out."""
    parts = [p.strip() for p in (source or "").split(SEP) if p.strip()]
    if len(parts) > 2 and question and _norm(parts[-1]) == _norm(question):
        parts = parts[:-1]
    if len(parts) <= 1:
        return parts[0] if parts else ""
    section = re.sub(r"^\d+\.\s*", "", parts[-1])
    return f"{parts[0]} \u203a {section}"


def scorecard_html(grade, question: str, followup: bool = False, number: int | None = None, total: int | None = None,
                   seconds: float | None = None, target: int | None = None, delivery=None) -> str:
    """The score card of a graded answer; ``delivery`` (``rag.interview.delivery.Delivery``): how a
    spoken answer was said, shown below the points."""
    cls = verdict_class(grade.score, grade.verdict)
    label = "Follow-up" if followup else (f"Question {number} of {total}" if number and total else "Question")
    cites = [cite_text(p.source, question) for p in grade.points]
    shared = cites[0] if cites and len(set(cites)) == 1 else ""
    items = []
    for p, c in zip(grade.points, cites):
        mark, kind = ("\u2713", "ok") if p.covered else ("!", "wrong") if p.wrong else ("\u2717", "miss")
        cite = f'<span class="sc-cite" title="{esc(p.source)}">{esc(c)}</span>' if c and not shared else ""
        said = (f'<span class="sc-said">You said: \u201c{esc(clip(p.wrong, 140))}\u201d</span>' if p.wrong else "")
        items.append(f'<li class="{kind}"><span class="sc-mark">{mark}</span>'
                     f'<span class="sc-point">{esc(clip(p.point, 170))}{cite}{said}</span></li>')
    covered = sum(p.covered for p in grade.points)
    counts = f"{covered} of {len(grade.points)} key points" if grade.points else ""
    if grade.wrong:
        counts += f", {len(grade.wrong)} wrong"
    timing = (f'<div class="sc-time">Answered in {seconds:.0f} s'
              + (f" \u00b7 aim: about {target} s spoken" if target else "") + "</div>") if seconds is not None else ""
    source = (f'<div class="sc-source" title="{esc(grade.points[0].source)}">From your notes: {esc(shared)}</div>'
              if shared else "")
    if delivery is not None:
        timing += ('<div class="sc-delivery"><div class="sc-delivery-head">How you said it</div><ul>'
                   + "".join(f"<li>{esc(line)}</li>" for line in delivery_lines(delivery)) + "</ul></div>")
    return (
        f'<div class="scorecard {cls}">'
        f'<div class="sc-label">{esc(label)}</div>'
        f'<div class="sc-top"><div class="sc-score">{int(grade.score)}<span class="sc-max">/100</span></div>'
        f'<div class="sc-side"><div class="sc-verdict">{esc(grade.verdict.capitalize())}</div>'
        f'<div class="sc-counts">{esc(counts)}</div></div></div>'
        f'<div class="sc-q">{esc(clip(clean_question(question), 200))}</div>'
        + (f'<ul class="sc-points">{"".join(items)}</ul>' if items else "")
        + source + timing + "</div>"
    )


def when_text(iso: str | None, now: datetime | None = None) -> str:
    """ "now", "in 10 min", "in 3 h", "tomorrow", "in 5 days" for an ISO time."""
    if not iso:
        return "\u2014"
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    secs = (dt - now).total_seconds()
    if secs <= 60:
        return "now"
    if secs < 3600:
        return f"in {round(secs / 60)} min"
    if secs < 86400:
        return f"in {round(secs / 3600)} h"
    days = round(secs / 86400)
    return "tomorrow" if days <= 1 else f"in {days} days"


def summary_html(summary, now: datetime | None = None) -> str:
    if not summary.answered:
        return scorecard_placeholder("Interview ended. No questions were answered.", guide=False)
    mean = summary.mean_score or 0
    rows = "".join(
        f'<tr><td>{esc(r["topic"])}</td><td class="num {verdict_class(round(r["mean"]))}">{r["mean"]:.0f}</td>'
        f'<td class="num">{r["answered"]}</td></tr>' for r in summary.rows)
    weak = ", ".join(esc(w) for w in summary.weakest) or "none \u2014 well done"
    due = "".join(f'<li><span class="due-when">{esc(when_text(d["due"], now))}</span> {esc(clip(d["question"], 90))}</li>'
                  for d in summary.due[:8])
    return (
        f'<div class="scorecard summary {verdict_class(round(mean))}">'
        '<div class="sc-label">Interview summary</div>'
        f'<div class="sc-top"><div class="sc-score">{mean:.0f}<span class="sc-max">/100</span></div>'
        f'<div class="sc-side"><div class="sc-verdict">Mean score</div>'
        f'<div class="sc-counts">{plural(summary.answered, "answer")}</div></div></div>'
        f'<table class="sum-table"><thead><tr><th>Topic</th><th>Score</th><th>Answered</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        f'<div class="sum-weak"><b>Weakest:</b> {weak}</div>'
        + (f'<div class="sum-due"><b>Coming back</b><ul>{due}</ul></div>' if due else "")
        + "</div>"
    )


def summary_markdown(summary, now: datetime | None = None) -> str:
    if not summary.answered:
        return "**Interview ended.** No questions were answered."
    lines = [f"**Interview ended** \u2014 {plural(summary.answered, 'answer')}, mean score **{summary.mean_score:.0f}/100**.", ""]
    lines += [f"- {md(r['topic'])}: **{r['mean']:.0f}**/100 ({r['answered']} answered)" for r in summary.rows]
    if summary.weakest:
        lines += ["", "Weakest topics: " + ", ".join(md(w) for w in summary.weakest) + "."]
    soon = [d for d in summary.due if d.get("due")][:3]
    if soon:
        lines += ["", "Coming back: " + "; ".join(f"{md(clip(d['question'], 60))} ({when_text(d['due'], now)})"
                                                  for d in soon) + "."]
    return "\n".join(lines)


_PATH_IN_PARENS = re.compile(r"\(([\w.-]+\.(?:md|markdown|txt)(?: > [^()\n]+?)+)\)")


def shorten_paths(text: str) -> str:
    """An interviewer's message as Markdown (escaped with ``md``), heading paths in it,
    "(file > H1 > H2 > Question?)", shortened to "(file \u203a H2)"."""
    def repl(m: re.Match) -> str:
        last = m.group(1).split(SEP)[-1].strip()
        return f"(_{md(cite_text(m.group(1), last if last.endswith('?') else ''))}_)"
    return md_around(_PATH_IN_PARENS, text, repl)


# --- header -----------------------------------------------------------------------------------

def status_html(meta: dict | None, model: str) -> str:
    if not meta:
        notes = '<span class="chip warn">notes not indexed yet</span>'
    else:
        files = meta.get("files") or {}
        rep = meta.get("report") or {}
        chunks = rep.get("chunks", sum(f.get("chunks", 0) for f in files.values()))
        questions = rep.get("questions", sum(f.get("questions", 0) for f in files.values()))
        notes = (f'<span class="chip">{plural(len(files), "note")}</span><span class="chip">{plural(chunks, "chunk")}</span>'
                 f'<span class="chip">{plural(questions, "question")}</span>')
    return f'<div class="status">{notes}<span class="chip model" title="chat model">{esc(model)}</span></div>'


def gaps_html(gaps: list[dict]) -> str:
    """The questions the notes could not answer (``ProgressStore.gaps``), for the Notes tab."""
    head = '<div class="gaps"><div class="gaps-title">Gaps in your notes</div>'
    if not gaps:
        return (head + '<div class="gaps-empty">None yet. Questions asked in the Ask tab that your notes cannot '
                "answer are listed here, with the nearest sections, so you know what to write next.</div></div>")
    items = []
    for g in gaps:
        times = f' <span class="gaps-times">asked {g["times"]}\u00d7</span>' if g["times"] > 1 else ""
        near = "; ".join(short_title(n) for n in g["nearest"][:3])
        thin = ' <span class="gaps-thin">answered mostly from outside your notes</span>' if g.get("reason") == "thin" else ""
        items.append(f'<li><span class="gaps-q">{esc(g["question"])}</span>{times}{thin}'
                     + (f'<div class="gaps-near">nearest: {esc(near)}</div>' if near else "") + "</li>")
    return head + '<div class="gaps-sub">Questions they could not answer, newest first:</div><ul>' + "".join(items) + "</ul></div>"
