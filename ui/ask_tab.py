"""Tab "Ask": multi-turn questions answered from the notes, streamed, with a sources panel.

The conversation lives in a per-user ``gr.State`` as a list of turns (question, answer,
sources, citations, evidence); the chat and the sources panel are re-rendered from it, so citation
links of the latest answer point at ``#src-N`` and those of earlier answers at ``#src-T-N`` (at
``#src-N-eK``, the first highlighted line of the source, once the answer's evidence is known:
``rag.evidence``).
"""

from __future__ import annotations

import logging

import gradio as gr

from rag.evidence import evidence
from rag.lexical import content_words
from rag.prompts import is_refusal
from ui import render
from ui.common import MODEL_GROUP, friendly_message, username
from ui.voice import add_microphone

log = logging.getLogger(__name__)

def example_questions(bank, n: int = 4, max_words: int = 12) -> list[str]:
    """Up to ``n`` short questions of the notes with a written answer, each from another topic
    (files taken in turn), as the Ask tab's examples: whatever the notes are about."""
    by_file: dict[str, list[str]] = {}
    seen_topics: set[tuple[str, str]] = set()
    for q in bank:
        text = " ".join(q.question.split())
        if not q.answer.strip() or len(text.split()) > max_words or (q.file, q.topic) in seen_topics:
            continue
        seen_topics.add((q.file, q.topic))
        by_file.setdefault(q.file, []).append(text)
    picked: list[str] = []

    def distinct(text: str) -> bool:  # not about the same thing as one already picked
        words = set(content_words(text))
        return all(len(words & (other := set(content_words(p)))) < 0.5 * max(min(len(words), len(other)), 1)
                   for p in picked)

    for i in range(max((len(v) for v in by_file.values()), default=0)):
        for questions in by_file.values():
            if i < len(questions) and len(picked) < n and distinct(questions[i]):
                picked.append(questions[i])
    return picked
MAX_QUESTION_CHARS = 2000


def _view(turns: list[dict], searching: bool = False, box=None):
    """One update of the tab.  The input box is left alone unless ``box`` is given: the user may be
    typing the next question while an answer streams (it is queued, not lost)."""
    return render.chat_messages(turns), render.sources_html(turns, searching), turns, gr.skip() if box is None else box


def make_ask(services):
    def ask(question: str, turns: list[dict] | None, request: gr.Request = None):
        """Answer ``question`` from the notes; yields (chat, sources panel, turns, input box).  A
        question they cannot answer is kept as a gap in the user's own progress."""
        from rag.chain import Answer, Sources, Token

        turns = list(turns or [])
        q = " ".join((question or "").split())[:MAX_QUESTION_CHARS]
        if not q:
            gr.Warning("Type a question first.")
            yield _view(turns, box=question)
            return
        turn = {"q": q, "a": "", "hits": None, "cited": None, "covered": True, "nearest": [], "timing": "",
                "evidence": {}}
        turns.append(turn)
        yield _view(turns, searching=True, box="")
        history = [t["q"] for t in turns[:-1]]
        try:
            for ev in services.chain.stream(q, history):
                if isinstance(ev, Sources):
                    turn["hits"] = [render.hit_dict(h) for h in ev.blocks]
                    turn["covered"] = bool(ev.retrieval.covered)
                    turn["nearest"] = list(ev.retrieval.nearest_topics or [])
                    yield _view(turns)
                elif isinstance(ev, Token):
                    turn["a"] += ev.text
                    yield _view(turns)
                elif isinstance(ev, Answer):
                    turn["a"] = ev.answer or turn["a"]
                    turn["cited"] = list(ev.cited)
                    turn["covered"] = bool(ev.covered)
                    turn["thin"] = ev.thin
                    turn["timing"] = render.timing_line(ev.timings)
                    # the lines of each cited block that support the sentences citing it
                    turn["evidence"] = evidence(turn["a"], ev.sources)
            if not turn["a"].strip():
                turn["a"] = "_The model returned an empty answer. Try rephrasing the question._"
            reason = "declined" if not turn["covered"] or is_refusal(turn["a"]) else ("thin" if turn.get("thin") else "")
            if reason:  # a gap in the notes: listed in the Notes tab
                nearest = turn["nearest"] or [h["heading"] for h in turn["hits"] or []]
                services.progress_for(username(request)).record_gap(q, nearest[:3], reason=reason)
        except Exception as e:  # shown in the chat, never as a traceback
            if turn["hits"] is None:
                turn["hits"] = []
            turn["a"] = (turn["a"] + "\n\n" if turn["a"] else "") + f"\u26a0\ufe0f {friendly_message(e)}"
        yield _view(turns)

    return ask


def make_read_ahead(services):
    def read_ahead(text: str, turns: list[dict] | None):
        """While the question is typed: retrieve for it and process the prompt's notes (rag/pace.py)."""
        if not (text and services.chat_model_loaded):
            return
        try:
            # as typed: whole_words reads a trailing space as "the last word is complete"
            services.chain.read_ahead(text[:MAX_QUESTION_CHARS], [t["q"] for t in turns or []])
        except Exception as e:  # an optimisation only: the question itself will report any error
            log.info("read-ahead skipped: %s", e)

    return read_ahead


def build_ask_tab(services) -> None:
    ask = make_ask(services)
    examples = example_questions(services.question_bank())
    turns = gr.State([])
    with gr.Row(equal_height=False, elem_classes="tab-row"):
        with gr.Column(scale=2, min_width=460):
            chatbot = gr.Chatbot(
                show_label=False, elem_id="ask-chat", height="max(362px, calc(100vh - 284px))", buttons=["copy"], feedback_options=None,
                placeholder="**Ask anything about your notes.** Answers cite the notes they come from.",
                examples=[{"text": q} for q in examples] or None, group_consecutive_messages=False,
            )
            with gr.Row(elem_classes="input-row"):
                box = gr.Textbox(show_label=False, placeholder="Ask about your notes\u2026  (Enter to send)",
                                 scale=8, container=False, max_lines=4, autofocus=True, elem_id="ask-input")
                send = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ask-send")
                clear = gr.Button("Clear", variant="secondary", scale=1, min_width=70, elem_id="ask-clear")
            heard = gr.State(None)  # a spoken question's transcript (asking needs only its text)
            read_ahead = make_read_ahead(services)
            add_microphone(services, box, heard, lambda _turns: services.vocabulary().prompt(None), extra=[turns],
                           on_transcript=read_ahead, elem_id="ask-mic")
        with gr.Column(scale=1, min_width=300):
            sources = gr.HTML(render.sources_html([]), elem_id="sources-panel", padding=False)

    outputs = [chatbot, sources, turns, box]
    # no queue: it hands the work to the background prefill and returns
    box.input(read_ahead, [box, turns], None, queue=False, show_progress="hidden",
              api_visibility="private", trigger_mode="always_last")
    # "multiple": a question sent while an answer streams waits in the queue and is answered next
    box.submit(ask, [box, turns], outputs, api_name="ask", show_progress="hidden", trigger_mode="multiple",
               **MODEL_GROUP)
    send.click(ask, [box, turns], outputs, api_visibility="private", show_progress="hidden",
               trigger_mode="multiple", **MODEL_GROUP)

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value or "")

    chatbot.example_select(pick_example, None, box, api_visibility="private", queue=False).then(
        ask, [box, turns], outputs, api_visibility="private", show_progress="hidden", **MODEL_GROUP)

    def clear_chat():
        return _view([], box="")

    clear.click(clear_chat, None, outputs, api_name="ask_clear", queue=False)
    chatbot.clear(clear_chat, None, outputs, api_visibility="private", queue=False)
