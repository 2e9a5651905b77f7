"""Pure rendering and error handling of the UI, without a server."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import gradio as gr
import pytest

from rag.interview.grading import Grade, PointResult
from rag.interview.session import Summary
from core.errors import IndexNotBuilt
from ui import render
from ui.ask_tab import make_ask
from ui.common import friendly_message, guarded


def _turn(q, a, hits=(1, 2), cited=(1,), covered=True, nearest=()):
    return {"q": q, "a": a, "covered": covered, "nearest": list(nearest), "cited": list(cited), "timing": "",
            "hits": [{"n": n, "heading": f"notes.md > Deploy > {n}. Topic {n}", "file": "notes.md",
                      "text": f"**Text** of <b>note</b> {n}"} for n in hits]}


def test_citations_link_to_source_entries():
    assert render.link_citations("A [1]. B [2][3].") == "A [[1]](#src-1). B [[2]](#src-2)[[3]](#src-3)."
    assert render.link_citations("A [1].", turn=2) == "A [[1]](#src-2-1)."
    # brackets that are no citation are escaped, so they show as typed (and make no link)
    assert render.link_citations("list[0] and [9]", valid={1}) == "list\\[0\\] and \\[9\\]"
    assert _shown(render.link_citations("already [[1]](#src-1)")) == "already [[1]](#src-1)"


def test_latest_turn_uses_src_n_and_earlier_turns_are_renumbered():
    turns = [_turn("first?", "One [1]."), _turn("second?", "Two [2].")]
    msgs = render.chat_messages(turns)
    assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant"]
    assert msgs[1]["content"] == "One [[1]](#src-1-1)." and msgs[3]["content"] == "Two [[2]](#src-2)."
    html = render.sources_html(turns)
    assert 'id="src-1"' in html and 'id="src-2"' in html and 'id="src-1-1"' in html and "Earlier: first?" in html
    assert html.index('id="src-1"') < html.index("Earlier:")  # the latest answer's sources come first


def test_sources_escape_note_text_and_mark_uncited():
    html = render.sources_html([_turn("q", "a [1]", cited=(1,))])
    assert "<b>note</b>" not in html and "&lt;b&gt;note&lt;/b&gt;" in html and "**" not in html
    assert 'class="src cited" id="src-1"' in html and 'class="src uncited" id="src-2"' in html
    assert "Topic 1" in html and "notes.md \u203a Deploy" in html
    # nothing cited: no source is dimmed
    assert "uncited" not in render.sources_html([_turn("q", "a", cited=())])


def test_searching_and_not_covered_states():
    searching = {"q": "x?", "a": "", "hits": None, "cited": None, "covered": True, "nearest": []}
    assert "Searching your notes" in render.sources_html([searching], searching=True)
    html = render.sources_html([_turn("x?", "My notes don't cover that.", hits=(), covered=False,
                                      nearest=["12. Canary deployments", "Drift"])])
    assert "Not in your notes" in html and "<li>Canary deployments</li>" in html
    assert "Tips" in render.sources_html([])


def test_scorecard_shows_score_verdict_points_and_citations():
    grade = Grade(72, [PointResult("Shift traffic gradually", True, 0.8, 0.7, "f.md > Deploy > What is canary?"),
                       PointResult("Watch <metrics>", False, 0.2, 0.1, "f.md > Deploy > What is canary?")],
                  verdict="good")
    html = render.scorecard_html(grade, "What is canary?", number=1, total=5)
    assert 'class="sc-score">72<' in html and "Good" in html and "Question 1 of 5" in html
    assert 'class="ok"' in html and 'class="miss"' in html and "&lt;metrics&gt;" in html
    assert "1 of 2 key points" in html and "From your notes: f.md \u203a Deploy" in html
    mixed = Grade(30, [PointResult("a", True, 0, 0, "f.md > A > X"), PointResult("b", False, 0, 0, "g.md > B")],
                  verdict="weak")
    html = render.scorecard_html(mixed, "Q?", followup=True)
    assert "Follow-up" in html and "f.md \u203a X" in html and "g.md \u203a B" in html and "scorecard bad" in html


def test_summary_renders_topics_weakest_and_when_cards_come_back():
    now = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
    summary = Summary(rows=[{"topic": "Drift", "answered": 2, "mean": 35.0}, {"topic": "CI/CD", "answered": 1, "mean": 90.0}],
                      weakest=["Drift"], answered=3, mean_score=53.3,
                      due=[{"question": "What is drift?", "topic": "Drift", "due": (now + timedelta(minutes=10)).isoformat()},
                           {"question": "What is CI?", "topic": "CI/CD", "due": (now + timedelta(days=3)).isoformat()}])
    html = render.summary_html(summary, now=now)
    assert "Interview summary" in html and ">53<" in html and "Drift" in html and "in 10 min" in html
    assert "in 3 days" in html and "Weakest:</b> Drift" in html
    md = render.summary_markdown(summary, now=now)
    assert md.startswith("**Interview ended** \u2014 3 answers, mean score **53/100**.") and "Weakest topics: Drift." in md


@pytest.mark.parametrize("delta, text", [(timedelta(seconds=-5), "now"), (timedelta(minutes=10), "in 10 min"),
                                         (timedelta(hours=5), "in 5 h"), (timedelta(days=1), "tomorrow"),
                                         (timedelta(days=6), "in 6 days")])
def test_when_text(delta, text):
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert render.when_text((now + delta).isoformat(), now) == text


def test_status_chips():
    meta = {"files": {"a.md": {"chunks": 3, "questions": 2}}, "report": {"chunks": 3, "questions": 2}}
    html = render.status_html(meta, "qwen2.5-coder-1.5b")
    assert "1 note<" in html and "3 chunks" in html and "2 questions" in html and "qwen2.5-coder-1.5b" in html
    assert "not indexed yet" in render.status_html(None, "m")


def test_friendly_messages_never_show_a_traceback():
    assert "Re-index" in friendly_message(IndexNotBuilt("store missing"))
    msg = friendly_message(KeyError("boom"))
    assert "Something went wrong (KeyError)" in msg and "Traceback" not in msg

    @guarded
    def broken():
        raise ValueError("internal detail")

    with pytest.raises(gr.Error) as info:
        broken()
    assert "ValueError" in info.value.message and "internal detail" not in info.value.message


class _BrokenChain:
    def stream(self, question, history):
        from rag.chain import Sources, Token

        yield Sources(SimpleNamespace(covered=True, nearest_topics=[]), [])
        yield Token("Partial ")
        raise IndexNotBuilt("no store")


def test_ask_turns_a_failure_into_a_chat_message():
    ask = make_ask(SimpleNamespace(chain=_BrokenChain()))
    updates = list(ask("what is canary?", []))
    chat, sources, turns, box = updates[-1]
    assert chat[-1]["content"].startswith("Partial") and "Re-index" in chat[-1]["content"]
    assert "Traceback" not in chat[-1]["content"] and len(turns) == 1
    assert updates[0][3] == "" and box == gr.skip()  # cleared once; later updates leave the box alone


def test_heading_paths_in_interviewer_messages_are_shortened():
    text = ("Answer from your notes:\n- Canary (002_x.txt > Guide > Deployment > 9. What is canary?)\n"
            "- Drift (003_y.md > Prep > Monitoring)\nHint: compare (a > b)")
    assert render.shorten_paths(text) == ("Answer from your notes:\n- Canary (_002_x.txt \u203a Deployment_)\n"
                                          "- Drift (_003_y.md \u203a Monitoring_)\nHint: compare (a &gt; b)")


@pytest.mark.parametrize("raw, clean", [
    ("How would you roll it back automatically?", "How would you roll it back automatically?"),
    ('One short follow-up question about a detail in the notes could be: "What is GEM vs EWC?" ',
     "What is GEM vs EWC?"),
    ("\u201cWhy use a feature store?\u201d", "Why use a feature store?"),
])
def test_follow_up_questions_are_unwrapped(raw, clean):
    assert render.clean_question(raw) == clean


def test_gaps_html_escapes_and_lists():
    html = render.gaps_html([{"question": "<img src=x> why?", "times": 3, "last_at": "", "nearest": ["a.txt > B > C"]}])
    assert "&lt;img src=x&gt; why?" in html and "<img" not in html and "asked 3\u00d7" in html
    assert "nearest: C" in html
    assert "None yet" in render.gaps_html([])


# --- evidence: the supporting lines of each cited source, highlighted ----------------------------
LONG_LINE = "- Canary: route 5-10% of <b>requests</b> & watch the error rate " + "while it holds " * 20


def _evidence_turn(q="q", evidence=None, cited=(1,)):
    lines = ["Canary deployment:", LONG_LINE.strip(), "- Blue-green <script>alert(1)</script> switches at once."]
    hits = [{"n": 1, "heading": "notes.md > Deploy > Canary", "file": "notes.md", "text": "raw", "lines": lines},
            {"n": 2, "heading": "notes.md > Deploy > Other", "file": "notes.md", "text": "Other " * 80,
             "lines": ["Other line one.", "Other line two."]}]
    return {"q": q, "a": "Canary routes requests [1]. Blue-green switches [1].", "covered": True, "nearest": [],
            "cited": list(cited), "timing": "", "hits": hits, "evidence": {1: [1, 2]} if evidence is None else evidence}


def test_a_cited_source_shows_all_its_lines_with_the_supporting_ones_marked_and_escaped():
    html = render.sources_html([_evidence_turn()])
    entry = html[html.index('id="src-1"'):html.index('id="src-2"')]
    assert entry.count('<div class="src-line">') == 3  # every line the model was given, not a clip
    assert ("while it holds " * 20).strip() + "</mark>" in entry and "\u2026" not in entry
    assert '<div class="src-line">Canary deployment:</div>' in entry  # not a supporting line: not marked
    assert ('<mark class="evidence" id="src-1-e1">\u2022 Canary: route 5-10% of &lt;b&gt;requests&lt;/b&gt; &amp; '
            "watch the error rate") in entry
    assert ('<mark class="evidence" id="src-1-e2">\u2022 Blue-green &lt;script&gt;alert(1)&lt;/script&gt; '
            "switches at once.</mark>") in entry
    assert "<script>" not in html and "<b>requests" not in html
    # the uncited source stays compact: a clipped snippet, no lines, no marks
    other = html[html.index('id="src-2"'):]
    assert 'class="src-text"' in other and "src-line" not in other and "<mark" not in other and "\u2026" in other


def test_a_citation_links_to_the_first_highlighted_line_or_else_to_its_source():
    turn = _evidence_turn()
    assert render.chat_messages([turn])[1]["content"] == (
        "Canary routes requests [[1]](#src-1-e1). Blue-green switches [[1]](#src-1-e1).")
    bare = _evidence_turn(evidence={})
    assert render.chat_messages([bare])[1]["content"].count("(#src-1)") == 2
    assert "<mark" not in render.sources_html([bare]) and 'class="src-line"' in render.sources_html([bare])
    assert render.link_citations("A [2].", evidence={1: [3]}) == "A [[2]](#src-2)."


def test_earlier_turns_keep_their_highlights_under_their_own_ids():
    turns = [_evidence_turn("first?"), _evidence_turn("second?", evidence={1: [0]})]
    msgs = render.chat_messages(turns)
    assert "(#src-1-1-e1)" in msgs[1]["content"] and "(#src-1-e0)" in msgs[3]["content"]
    html = render.sources_html(turns)
    assert 'id="src-1-e0"' in html and 'id="src-1-1-e1"' in html and 'id="src-1-1-e2"' in html
    assert 'id="src-1-e1"' not in html  # the latest turn marks only its own line
    for target in ("src-1-e0", "src-1-1-e1"):  # each link has exactly one element to land on
        assert html.count(f'id="{target}"') == 1


def test_while_the_answer_streams_every_source_shows_its_lines_unmarked():
    streaming = {**_evidence_turn(), "a": "Canary ro", "cited": None, "evidence": {}}
    html = render.sources_html([streaming])
    assert html.count('class="src-lines"') == 2 and "<mark" not in html and "uncited" not in html


class _CannedChain:
    """Sources (real Blocks), a streamed answer, then the Answer: what AnswerChain.stream yields."""

    def __init__(self, blocks, answer):
        self.blocks, self.answer = blocks, answer

    def stream(self, question, history):
        from rag.chain import Answer, Sources, Token

        yield Sources(SimpleNamespace(covered=True, nearest_topics=[]), self.blocks)
        for word in self.answer.split(" "):
            yield Token(word + " ")
        yield Answer(question, self.answer, self.blocks, [2], True, {"total_ms": 1200.0})


def test_ask_stores_the_evidence_and_the_panel_marks_the_copied_line():
    from ingest.models import Chunk
    from rag.types import Block, Hit

    texts = ["Canary deployment sends a small share of traffic first.\n- Watch the error rate.",
             "Blue-green keeps two environments.\n- Smoke tests run against <i>green</i>.\n"
             "- The load balancer switches all traffic to green at once."]
    blocks = [Block(n, Hit(Chunk(f"c{n}", "notes.md", ("Deploy", f"Topic {n}"), text), 0.1, 0.5), text)
              for n, text in enumerate(texts, start=1)]
    answer = "The load balancer switches all traffic to green at once [2]."
    chat, sources, turns, _ = list(make_ask(SimpleNamespace(chain=_CannedChain(blocks, answer)))("canary?", []))[-1]
    assert turns[0]["evidence"] == {2: [2]}  # line 2 of block 2, nothing in block 1
    assert turns[0]["hits"][1]["lines"][1] == "- Smoke tests run against <i>green</i>."
    assert chat[-1]["content"] == "The load balancer switches all traffic to green at once [[2]](#src-2-e2)."
    assert ('<mark class="evidence" id="src-2-e2">\u2022 The load balancer switches all traffic to green at once.</mark>'
            in sources)
    assert sources.count("<mark") == 1 and "&lt;i&gt;green&lt;/i&gt;" in sources and "<i>green" not in sources


# --- markup from the notes, the model or the user is shown as text, never made into elements ----
from html import unescape  # noqa: E402

from markdown_it import MarkdownIt  # noqa: E402

# CommonMark with raw HTML on, as Gradio's Markdown and Chatbot render it (their sanitizer keeps <img>)
_MD = MarkdownIt("commonmark", {"html": True})
HOSTILE = [
    '<img src="http://127.0.0.1:9/q.png">',
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "[x](javascript:alert(1))",
    "![](http://127.0.0.1:9/md.png)",
    "![a][r]\n\n[r]: http://127.0.0.1:9/ref.png",
    "<http://127.0.0.1:9/auto.png>",
    "`<img src=x>` and \\[not a link](x) &lt;b&gt;",
]
_ELEMENT = re.compile(r"<\s*(img|script|svg|iframe|object|embed|video|audio|link|style|a)\b", re.I)


def _html(markdown: str) -> str:
    return _MD.render(markdown)


def _shown(markdown: str) -> str:
    """The text a reader sees for ``markdown``."""
    return unescape(re.sub(r"<[^>]+>", "", _html(markdown))).strip()


def _made(markdown: str) -> list[str]:
    """The elements ``markdown`` makes other than paragraphs, lists and emphasis."""
    return _ELEMENT.findall(_html(markdown))


@pytest.mark.parametrize("text", HOSTILE)
def test_md_shows_hostile_markup_as_text(text):
    out = render.md(text)
    assert _made(out) == [] and _shown(out) == _shown_plain(text)
    assert "<" not in render.esc(text) and '"' not in render.esc(text)


def _shown_plain(text: str) -> str:
    """``text`` as a paragraph of plain text shows it: blank lines and indentation aside."""
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


def test_md_keeps_emphasis_and_lists():
    assert _html(render.md("- **bold** and _it_")).count("<li>") == 1
    assert "<strong>bold</strong>" in _html(render.md("**bold**"))


@pytest.mark.parametrize("text", HOSTILE)
def test_chat_and_interview_markdown_from_hostile_notes_makes_no_element(text):
    turn = {"q": text, "a": f"{text} [1] and [7]", "hits": [{"n": 1}], "evidence": {}}
    user, answer = render.chat_messages([turn])
    assert _made(user["content"]) == [] and _shown(user["content"]) == _shown_plain(text)
    assert _made(answer["content"]) == ["a"]  # the one link: citation [1], to its source
    assert 'href="#src-1"' in _html(answer["content"]) and "[7]" in _shown(answer["content"])
    info = render.shorten_paths(f"Answer from your notes:\n{text}\n\n(n{text}.md > H > Q?)")
    assert _made(info) == []
    summary = Summary(answered=1, mean_score=40.0, rows=[{"topic": text, "mean": 40.0, "answered": 1}],
                      weakest=[text], due=[{"question": text, "due": "2030-01-01T00:00:00+00:00"}], report="")
    assert _made(render.summary_markdown(summary)) == []
    assert _shown_plain(text).splitlines()[0] in _shown(render.summary_markdown(summary))


@pytest.mark.parametrize("text", HOSTILE)
def test_html_panels_from_hostile_notes_make_no_element(text):
    grade = Grade(score=40, verdict="partial", message=text,
                  points=[PointResult(point=text, covered=False, similarity=0.1, lexical=0.0,
                                      source=f"{text}.md > {text}", wrong=text)])
    panels = [
        render.sources_html([{"q": text, "a": "", "covered": True, "nearest": [], "cited": [1], "timing": text,
                              "hits": [{"n": 1, "heading": f"{text}.md > {text} > {text}", "file": f"{text}.md",
                                        "text": text, "lines": [text, text]}], "evidence": {1: [1]}}]),
        render.sources_html([{"q": text, "covered": False, "hits": [], "nearest": [f"{text} > {text}"]}]),
        render.scorecard_html(grade, text, number=1, total=2, seconds=3.0),
        render.scorecard_pending(text),
        render.scorecard_placeholder(text),
        render.gaps_html([{"question": text, "times": 2, "nearest": [f"f > {text}"], "reason": "thin"}]),
        render.status_html({"files": {text: {"chunks": 1}}}, text),
    ]
    for html in panels:
        assert re.findall(r"<\s*(img|script|svg|iframe|a)\b", html) == [], html
        assert render.esc(_shown_plain(text).splitlines()[0])[:20] in html


@pytest.mark.parametrize("text", HOSTILE)
def test_interview_chat_from_hostile_notes_makes_no_element(text):
    from rag.interview.session import Ask, Feedback, Graded, Info
    from ui.interview_tab import run_events

    turn = SimpleNamespace(followup=False, item=SimpleNamespace(topic=text), level=None, target_seconds=45, delivery=None,
                           question=text, seconds=2.0)
    grade = Grade(score=0, verdict="off-topic", message=text,
                  points=[PointResult(point=text, covered=False, similarity=0.0, lexical=0.0, source=text)])
    events = [Ask(text=text, turn=turn, number=1, total=2), Graded(grade, turn), Feedback("Feedback: " + text),
              Feedback(" more"), Info(text), Ask(text=text, turn=SimpleNamespace(followup=True), number=1, total=2)]
    chat, card, _, _ = list(run_events(events, SimpleNamespace(index=0, plan=[1, 2]), [], ""))[-1]
    assert len(chat) == 4  # the question, the grade and its feedback, the info, the follow-up
    for message in chat:
        assert _made(message["content"]) == [], message["content"]
    first = _shown_plain(text).splitlines()[0]
    assert first in _shown(chat[0]["content"]) and first in _shown(chat[1]["content"])  # the topic, the grade's message
    assert "<img" not in card and "<script" not in card


def test_notes_tab_messages_escape_file_names_and_warnings():
    from ui.notes_tab import report_line

    report = SimpleNamespace(files=1, chunks=1, seconds=0.1, added=1, updated=0, deleted=0, unchanged=0, embedded=1,
                             warnings=[f"{t}.md: skipped" for t in HOSTILE])
    line = report_line(report)
    assert _made(line) == [] and '<img src="http://127.0.0.1:9/q.png">.md: skipped' in _shown(line)
