"""Tab "Mock interview": the interviewer asks, the scorecard grades at once, feedback streams,
a follow-up comes, and a summary closes the session.

The ``Interview`` object and the chat messages live in per-user ``gr.State``; nothing about a
session is kept on a shared object.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import gradio as gr

from ingest.markdown import strip_inline
from rag.interview.delivery import still_spoken
from rag.interview.levels import LEVELS, label, level_of, parse_level
from rag.speech.types import Transcript
from ui import render
from ui.common import MODEL_GROUP, friendly_message, username
from ui.voice import add_microphone

COMMANDS = {  # button -> (what the chat shows, what the interview receives)
    "hint": ("Hint, please.", "hint"),
    "skip": ("Skip this one.", "skip"),
    "show": ("Show me the answer.", "show answer"),
    "end": ("End the interview.", "end"),
}


_FEEDBACK_LABEL = re.compile(r"^\s*\**\s*feedback\s*\**\s*:\s*\**\s*", re.I)


def topic_choices(services) -> list[tuple[str, str]]:
    counts = Counter(q.topic for q in services.question_bank())
    return [(f"{t} ({n})", t) for t, n in sorted(counts.items(), key=lambda kv: kv[0].lower())]


ANY_LEVEL = "any"  # the Level dropdown's value for "Any level"


def level_choices(services) -> list[tuple[str, str]]:
    """"Any level", then each level the question bank has (easiest first), with its count."""
    counts = Counter(level_of(q.headings) for q in services.question_bank())
    return [("Any level", ANY_LEVEL)] + [(f"{label(lv)} ({counts[lv]})", lv) for lv in LEVELS if counts[lv]]


def clip_point(point: str) -> str:
    return render.clip(point, 80)


def _ask_text(ev) -> str:
    if ev.turn.followup:
        return f"**Follow-up** \u00b7 {render.md(render.clean_question(ev.text))}"
    topic = render.md(ev.turn.item.topic)
    level = f" \u00b7 {label(ev.turn.level)} level" if ev.turn.level else ""
    return (f"**Question {ev.number} of {ev.total}**{level} \u00b7 _{topic}_ \u00b7 aim for about "
            f"{ev.turn.target_seconds} s\n\n{render.md(ev.text)}")


def _grade_text(grade, followup: bool) -> str:
    head = f"{'Follow-up score' if followup else 'Score'} **{grade.score}**/100 \u00b7 {grade.verdict}"
    if grade.verdict in ("off-topic", "too short", "no answer") and grade.message:
        head += f"\n\n{render.md(grade.message)}"
    return head


def _ask_said(ev) -> str:
    """The question as the interviewer says it aloud."""
    text = render.clean_question(ev.text)
    return f"Follow-up: {text}" if ev.turn.followup else f"Question {ev.number} of {ev.total}. {text}"


def to_say(msgs: list[dict]) -> str:
    """What the interviewer says aloud after an answer: the plain text of its messages since the
    candidate's last one (score, feedback, follow-up or next question)."""
    last_user = max((i for i, m in enumerate(msgs) if m["role"] == "user"), default=-1)
    parts = []
    for m in msgs[last_user + 1:]:
        parts.append(m.get("say", ""))
        if m.get("fb"):
            parts.append(strip_inline(_FEEDBACK_LABEL.sub("", m["fb"])))
    return " ".join(p.strip() for p in parts if p and p.strip())


def run_events(events, interview, msgs: list[dict], card: str):
    """Render interview events into (chat, scorecard, interview, msgs) updates as they come."""
    from rag.interview.session import Ask, Feedback, Graded, Info, Summary

    current: dict | None = None  # the assistant message feedback streams into
    streaming = False
    try:
        for ev in events:
            if isinstance(ev, Ask):
                current = None
                msgs.append({"role": "assistant", "content": _ask_text(ev), "say": _ask_said(ev)})
            elif isinstance(ev, Graded):
                card = render.scorecard_html(ev.grade, ev.turn.question, ev.turn.followup,
                                             interview.index + 1, len(interview.plan), seconds=ev.turn.seconds,
                                             target=None if ev.turn.followup else ev.turn.target_seconds,
                                             delivery=ev.turn.delivery)
                current = {"role": "assistant", "content": _grade_text(ev.grade, ev.turn.followup),
                           "say": f"You scored {ev.grade.score} out of 100: {ev.grade.verdict}."}
                msgs.append(current)
                streaming = False
            elif isinstance(ev, Feedback):
                if current is None:
                    current = {"role": "assistant", "content": ""}
                    msgs.append(current)
                if not streaming:  # the feedback goes below the score line
                    current["head"], current["fb"] = current["content"], ""
                    streaming = True
                current["fb"] += ev.text
                body = _FEEDBACK_LABEL.sub("", current["fb"])
                if "feedback:".startswith(body.strip().strip("*").lower()):  # the label still arriving
                    body = ""
                body = render.md(body)
                current["content"] = (current["head"] + "\n\n" + body) if current["head"] else body
            elif isinstance(ev, Info):
                current = None
                msgs.append({"role": "assistant", "content": render.shorten_paths(ev.text), "say": ev.text})
            elif isinstance(ev, Summary):
                current = None
                msgs.append({"role": "assistant", "content": render.summary_markdown(ev), "say": ev.text()})
                card = render.summary_html(ev)
            yield _out(msgs, card, interview)
    except Exception as e:  # a friendly line in the chat, never a traceback
        msgs.append({"role": "assistant", "content": f"\u26a0\ufe0f {render.md(friendly_message(e))}"})
        yield _out(msgs, card, interview)


def _out(msgs: list[dict], card: str, interview):
    chat = [{"role": m["role"], "content": m["content"]} for m in msgs]
    return chat, card, interview, msgs


def make_handlers(services):
    how_to_answer = "Type your answer in the box" + (", or press Speak and say it" if services.speech_problem() is None
                                                     else "")
    def start(topics, weak, count, level, interview, msgs, request: gr.Request = None):
        """Plan and start a new interview; the first question comes at once.  ``level``: a level
        name to start at (the session then adapts to the answers) or "any".  The session reads and
        records the logged-in user's own progress."""
        if interview is not None and not interview.finished:
            for _ in interview.end():  # close the previous session in the progress store
                pass
        try:
            n = max(1, min(20, int(count or 5)))
            interview = services.new_interview(topics=list(topics or []) or None, count=n, weak=bool(weak),
                                               level=parse_level(level), user=username(request))
        except Exception as e:
            gr.Warning(render.esc(friendly_message(e)))
            yield _out(list(msgs or []), render.scorecard_placeholder(), None)
            return
        msgs = []
        card = render.scorecard_placeholder(f"{how_to_answer}. Your score and the key points you covered appear here.")
        yield from run_events(interview.start(), interview, msgs, card)

    def respond(text, interview, msgs, shown=None, spoken: Transcript | None = None):
        """Grade an answer (or run a command: hint, skip, show answer, end).  ``spoken``: the
        transcript of the recording the answer came from (delivery feedback)."""
        from rag.interview.session import parse_command

        msgs = list(msgs or [])
        text = (text or "").strip()
        if interview is None or interview.finished:
            gr.Warning("Press \u201cStart interview\u201d first." if interview is None
                       else "This interview has ended. Press \u201cStart interview\u201d for a new one.")
            yield _out(msgs, gr.skip(), interview)
            return
        if not text:
            gr.Warning("Type your answer first, or use Hint / Skip.")
            yield _out(msgs, gr.skip(), interview)
            return
        msgs.append({"role": "user", "content": render.md(shown or text)})
        if parse_command(text) is None:
            card = render.scorecard_pending(interview.turn.question if interview.turn else "")
        else:
            card = gr.skip()
        yield _out(msgs, card, interview)
        yield from run_events(interview.respond(text, spoken=spoken), interview, msgs, card)

    def answer(text, interview, msgs, spoken=None):
        """The box (and the recording's transcript) is cleared once, when the answer is taken: later
        updates leave it alone, so the next answer can be typed (and read ahead) while the feedback
        streams.  The recording counts only if the box still holds mostly what was said."""
        said = spoken if isinstance(spoken, Transcript) and still_spoken(text or "", spoken.text) else None
        for i, (chat, card, iv, m) in enumerate(respond(text, interview, msgs, spoken=said)):
            yield (chat, card, iv, m, "", None) if i == 0 else (chat, card, iv, m, gr.skip(), gr.skip())

    def command(name: str):
        shown, cmd = COMMANDS[name]

        def run(interview, msgs):
            yield from respond(cmd, interview, msgs, shown=shown)
        run.__name__ = f"interview_{name}"
        return run

    def dispute_choices(interview):
        """The dispute controls, shown only while the current question's answer has missed points."""
        choices = [(clip_point(p), i) for i, p in interview.disputable()] if interview is not None else []
        return gr.update(choices=choices, value=None, visible=bool(choices)), gr.update(visible=bool(choices))

    def dispute(index, interview, msgs):
        """The candidate says they did cover a point the grade marked missing."""
        msgs = list(msgs or [])
        if interview is None or index is None:
            gr.Warning("Pick the point you covered first.")
            return msgs, gr.skip(), interview, msgs, gr.skip(), gr.skip()
        try:
            turn, old, new = interview.dispute(int(index))
        except ValueError as e:
            gr.Warning(render.esc(str(e).capitalize() + "."))
            return (msgs, gr.skip(), interview, msgs, *dispute_choices(interview))
        point = turn.grade.points[int(index)].point.rstrip(" .;:")
        msgs.append({"role": "assistant", "content": f"Regraded: you covered \u201c{render.md(point)}\u201d. "
                                                     f"Score {old} \u2192 **{new}**/100; when it comes back is "
                                                     "rescheduled to match."})
        card = render.scorecard_html(turn.grade, turn.question, False, interview.index + 1, len(interview.plan),
                                     seconds=turn.seconds, target=turn.target_seconds, delivery=turn.delivery)
        return (msgs, card, interview, msgs, *dispute_choices(interview))

    def typing(text, interview):
        """While the candidate types: the interviewer reads ahead (rag/pace.py)."""
        if interview is not None and text:
            interview.typing(text)

    return start, answer, command, typing, dispute_choices, dispute


# Read aloud by the browser's own speech synthesis, and only with a voice of this machine
# (``localService``): a browser's network voices would send the text to a cloud service.
SPEAK_JS = """(text) => {
  const said = (text || "").replace(/^\\d+\\|/, "");
  const synth = window.speechSynthesis;
  if (!said || !synth) return;
  const voices = synth.getVoices().filter((v) => v.localService);
  const voice = voices.find((v) => (v.lang || "").toLowerCase().startsWith("en")) || voices[0];
  if (!voice) { console.warn("Interview Coach: no local voice to speak with"); return; }
  synth.cancel();
  const u = new SpeechSynthesisUtterance(said);
  u.voice = voice; u.lang = voice.lang; u.rate = 1.0;
  synth.speak(u);
}"""


def _speaker(msgs: gr.State, speak: gr.Checkbox, say: gr.Textbox) -> dict:
    """The step that follows every interviewer turn: with "Interviewer speaks" on, ``say`` gets
    what the interviewer said (numbered, so the same words said twice still change it), and its
    change reads them aloud in the browser."""
    def next_words(messages, on):
        if not on:
            return gr.skip()
        text = to_say(messages or [])
        return f"{time.monotonic_ns()}|{text}" if text else gr.skip()

    say.change(None, [say], None, js=SPEAK_JS, queue=False, api_visibility="private")
    speak.change(None, [speak], None, js="(on) => { if (!on && window.speechSynthesis) window.speechSynthesis.cancel(); }",
                 queue=False, api_visibility="private")
    return {"fn": next_words, "inputs": [msgs, speak], "outputs": [say], "queue": False, "show_progress": "hidden",
            "api_visibility": "private"}


def _close_session(interview) -> None:
    """Called by Gradio when a user's session expires: record the interview's end."""
    if interview is not None and not getattr(interview, "finished", True):
        for _ in interview.end():
            pass


def build_interview_tab(services):
    """Build the tab; returns (topics dropdown, refresh function) for the tab's select event."""
    start, answer, command, typing, dispute_choices, dispute = make_handlers(services)
    interview = gr.State(None, delete_callback=_close_session)
    msgs = gr.State([])
    with gr.Row(equal_height=True, elem_classes="iv-controls"):
        topics = gr.Dropdown(topic_choices(services), multiselect=True, value=[], label="Topics (empty = all)",
                             scale=5, min_width=260, elem_id="iv-topics")
        level = gr.Dropdown(level_choices(services), value=ANY_LEVEL, label="Level", scale=2, min_width=170,
                            elem_id="iv-level")
        count = gr.Slider(1, 20, value=5, step=1, label="Questions", scale=2, min_width=170, elem_id="iv-count",
                          buttons=[])
        with gr.Column(scale=2, min_width=170, elem_classes="iv-weak-col"):
            weak = gr.Checkbox(label="Only my weak spots", value=False, elem_id="iv-weak",
                               info="Topics you score lowest on")
        start_btn = gr.Button("Start interview", variant="primary", scale=1, min_width=160, elem_id="iv-start")
    with gr.Row(equal_height=False, elem_classes="tab-row"):
        with gr.Column(scale=2, min_width=460):
            chat = gr.Chatbot(show_label=False, elem_id="iv-chat", height="max(300px, calc(100vh - 392px))", feedback_options=None,
                              buttons=["copy"], group_consecutive_messages=False,
                              placeholder="**Mock interview.** Pick topics (or none for all) and press "
                                          "**Start interview**. Answer as you would out loud.")
            with gr.Row(elem_classes="input-row"):
                box = gr.Textbox(show_label=False, container=False, lines=1, max_lines=6, scale=8,
                                 placeholder="Your answer\u2026  (Enter to send, Shift+Enter for a new line)",
                                 elem_id="iv-input")
                send = gr.Button("Answer", variant="primary", scale=1, min_width=80, elem_id="iv-send")
            spoken = gr.State(None)  # the last recording's transcript, until the answer is sent
            add_microphone(services, box, spoken, lambda iv: iv.speech_prompt() if iv is not None else "",
                           extra=[interview], on_transcript=typing, elem_id="iv-mic")
            with gr.Row(elem_classes="cmd-row"):
                buttons = {name: gr.Button(label, size="sm", variant="secondary", elem_id=f"iv-{name}")
                           for name, label in (("hint", "Hint"), ("skip", "Skip"), ("show", "Show answer"),
                                               ("end", "End interview"))}
                speak = gr.Checkbox(label="Interviewer speaks", value=False, elem_id="iv-speak", container=False,
                                    min_width=150)
            say = gr.Textbox(value="", show_label=False, container=False, elem_id="iv-say", elem_classes="iv-say",
                             interactive=False)
        with gr.Column(scale=1, min_width=300):
            card = gr.HTML(render.scorecard_placeholder(), elem_id="scorecard", padding=False)
            with gr.Column(elem_classes="dispute-col"):
                disputed = gr.Dropdown([], value=None, label="Grade wrong? A point you did cover", visible=False,
                                       allow_custom_value=True,  # choices change per answer; dispute() checks
                                       elem_id="iv-dispute-point")
                dispute_btn = gr.Button("I covered it", size="sm", visible=False, elem_id="iv-dispute")

    outs = [chat, card, interview, msgs]
    dispute_controls = [disputed, dispute_btn]
    said = _speaker(msgs, speak, say)
    start_btn.click(start, [topics, weak, count, level, interview, msgs], outs, api_name="interview_start",
                    show_progress="hidden", **MODEL_GROUP).then(dispute_choices, [interview], dispute_controls,
                                                                queue=False).then(**said)
    # no queue: it only hands the text to the background prefill and returns
    box.input(typing, [box, interview], None, queue=False, show_progress="hidden", api_visibility="private",
              trigger_mode="always_last")
    box.submit(answer, [box, interview, msgs, spoken], [*outs, box, spoken], api_name="interview_answer",
               show_progress="hidden", **MODEL_GROUP).then(dispute_choices, [interview], dispute_controls,
                                                           queue=False).then(**said)
    send.click(answer, [box, interview, msgs, spoken], [*outs, box, spoken], api_visibility="private",
               show_progress="hidden", **MODEL_GROUP).then(dispute_choices, [interview], dispute_controls,
                                                           queue=False).then(**said)
    dispute_btn.click(dispute, [disputed, interview, msgs], [*outs, *dispute_controls], api_name="interview_dispute",
                      show_progress="hidden")
    for name, btn in buttons.items():
        btn.click(command(name), [interview, msgs], outs, api_name=f"interview_{name}",
                  show_progress="hidden", **MODEL_GROUP).then(dispute_choices, [interview], dispute_controls,
                                                              queue=False).then(**said)

    def refresh_controls(selected, chosen_level):
        """On opening the tab: the topics and levels of the notes as they are now (after an upload
        or a re-index), keeping what is still there of the user's choice."""
        choices = topic_choices(services)
        known = {v for _, v in choices}
        levels = level_choices(services)
        keep = chosen_level if chosen_level in {v for _, v in levels} else ANY_LEVEL
        return (gr.update(choices=choices, value=[t for t in (selected or []) if t in known]),
                gr.update(choices=levels, value=keep))

    return [topics, level], refresh_controls

