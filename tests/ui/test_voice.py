"""The microphone of the Mock interview and Ask tabs, with a scripted fake recogniser: a recording's
transcript lands in the box, a spoken answer's delivery reaches the score card and the report, the
notes' vocabulary is the recogniser's prompt, and without the speech extra there is only a note."""

from __future__ import annotations

import base64
import sys
import threading

import gradio as gr
import numpy as np
import pytest

from conftest import ScriptTranscriber, app_services, speech_audio
from rag.lexical import words
from rag.speech.streaming import StreamingTranscriber
from rag.speech.types import SAMPLE_RATE
from ui.interview_tab import make_handlers, to_say
from ui.voice import Recording, joined, make_voice_handlers

CHUNK = SAMPLE_RATE // 2  # what the browser sends every half second


def messages(audio, rid: str = "r1", rate: int = SAMPLE_RATE, piece: int = CHUNK) -> list[str]:
    """What ui/mic.js sends for ``audio`` (float, at ``rate``): numbered pieces of 16-bit PCM, the last flagged."""
    starts = list(range(0, len(audio), piece))
    out = []
    for n, i in enumerate(starts):
        pcm = (np.clip(audio[i:i + piece], -1, 1) * 32767).astype("<i2")
        out.append(f"{rid}|{n}|{rate}|{int(n == len(starts) - 1)}|{base64.b64encode(pcm.tobytes()).decode()}")
    return out


def record(services, fake: ScriptTranscriber, extra=(), box: str = "", spoken=None, seconds: float | None = None):
    """One recording through the microphone's handler, piece by piece as the browser sends it;
    returns (box, spoken, note) after the last piece."""
    take = make_voice_handlers(services, lambda *a: extra[0].speech_prompt() if extra else "p")
    live = None
    for message in messages(speech_audio(seconds or fake.seconds + 0.5)):
        out_live, out_box, out_spoken, note = take(message, live, box, spoken, *extra)
        if isinstance(out_live, Recording) or out_live is None:
            live = out_live
    assert live is None  # the recording is over
    return out_box, out_spoken, note


def start_interview(services, count: int = 1):
    start, answer, *_ = make_handlers(services)
    chat, card, interview, msgs = list(start([], False, count, "any", None, []))[-1]
    return answer, interview, msgs


def test_a_spoken_answer_lands_in_the_box_and_its_delivery_on_the_score_card_and_report(tmp_path):
    fake = ScriptTranscriber()
    services = app_services(tmp_path, transcriber=fake)
    answer, interview, msgs = start_interview(services)
    script = "um so basically " + " ".join(interview.turn.points) + " like, you know, that is it"
    fake.hear(script, pause_after={2: 3.0})
    text, spoken, note = record(services, fake, extra=[interview])
    assert text == script and "Transcribed" in note
    assert fake.calls and all(c["prompt"] == interview.speech_prompt() for c in fake.calls)
    assert interview.speech_prompt()  # the question's own words and the notes' terms
    outs = list(answer(text, interview, msgs, spoken))
    assert outs[0][4] == "" and outs[0][5] is None  # box and recording cleared once, when taken
    card = next(o[1] for o in outs if isinstance(o[1], str) and "sc-score" in o[1])
    assert "How you said it" in card and "words a minute" in card
    assert "Filler words: 4" in card  # um, basically, like, you know
    assert "Long pauses: 1" in card
    turn = interview.turns[0]
    assert turn.delivery.filler_count == 4 and turn.delivery.words == len(words(script))
    report = list(interview.end())[-1].report
    assert "**How you said it** (spoken answer)" in report and "Filler words: 4" in report


def test_an_answer_typed_over_the_transcript_is_graded_as_typed(tmp_path):
    fake = ScriptTranscriber("completely different words said into the microphone earlier")
    services = app_services(tmp_path, transcriber=fake)
    answer, interview, msgs = start_interview(services)
    _text, spoken, _note = record(services, fake, extra=[interview])
    typed = " ".join(interview.turn.points)
    list(answer(typed, interview, msgs, spoken))
    assert interview.turns[0].delivery is None


def test_an_edited_transcript_keeps_its_delivery_and_counts_the_terms_in_the_edited_text(tmp_path):
    fake = ScriptTranscriber("we would deploy the model with something behind a gateway")
    services = app_services(tmp_path, transcriber=fake)
    answer, interview, msgs = start_interview(services, count=20)
    while not interview.answer_terms(interview.turn):  # "Why should we hire you?" names no term
        list(interview.respond("skip"))
    turn = interview.turn
    terms = interview.answer_terms(turn)
    text, spoken, _note = record(services, fake, extra=[interview])
    fixed = text.replace("something", terms[0], 1)
    list(answer(fixed, interview, msgs, spoken))
    d = turn.delivery
    assert terms[0] in d.terms_used and d.words == 10  # the term as edited in; the words as said
    assert set(d.terms_missed) == set(terms) - set(d.terms_used)


def test_a_second_recording_adds_to_the_box_and_to_the_timed_words(tmp_path):
    fake = ScriptTranscriber("the first part")
    services = app_services(tmp_path, transcriber=fake)
    text, spoken, _ = record(services, fake)
    fake.hear("and the second part")
    text2, spoken2, _ = record(services, fake, box=text, spoken=spoken)
    assert text2 == "the first part and the second part"
    assert [w.text for w in spoken2.words] == text2.split()
    assert spoken2.words[3].start >= spoken.audio_seconds  # timed after the first recording
    assert joined("typed  ", "said") == "typed said" and joined("", "said") == "said"


def test_a_recording_that_hears_nothing_leaves_the_box_alone(tmp_path):
    services = app_services(tmp_path)  # its fake recogniser hears nothing
    text, spoken, note = record(services, ScriptTranscriber(""), seconds=2)
    assert text is not None and not isinstance(text, str)  # gr.skip(): the box keeps what it had
    assert spoken is None and "Nothing was heard" in note


def test_feeding_never_waits_for_the_recogniser_to_load(tmp_path):
    """Feeding the first piece must not wait for the model (the event queue would stall behind it)."""
    loaded = threading.Event()
    fake = ScriptTranscriber("one two three four")

    def slow_factory():
        loaded.wait(30)
        return fake

    stream = StreamingTranscriber(slow_factory, prompt="")
    audio = speech_audio(12)
    fed = threading.Thread(target=lambda: [stream.feed(audio[i:i + CHUNK]) for i in range(0, len(audio), CHUNK)])
    fed.start()
    fed.join(10)
    assert not fed.is_alive()  # every piece was taken while the model was still "loading"
    loaded.set()
    assert stream.finish().text == "one two three four"


def test_audio_is_kept_only_when_asked(tmp_path):
    for keep in (False, True):
        fake = ScriptTranscriber("kept or not")
        services = app_services(tmp_path / str(keep), transcriber=fake, keep_audio=keep)
        record(services, fake)
        kept = list((services.settings.paths.data_dir / "recordings").glob("*/*.wav"))
        assert len(kept) == (1 if keep else 0)


def test_without_the_speech_extra_the_app_shows_a_note_instead_of_the_microphone(tmp_path, monkeypatch):
    from ui.app import build_app

    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import fails as if not installed
    services = app_services(tmp_path, real_speech=True)
    assert "faster-whisper" in services.speech_problem()
    demo = build_app(services.settings, services, warm=False)
    blocks = list(demo.blocks.values())
    assert not any(getattr(b, "elem_id", None) in ("iv-mic", "ask-mic") for b in blocks)
    notes = [b.value for b in blocks if isinstance(b, gr.HTML) and "No microphone" in str(b.value)]
    assert len(notes) == 2 and all("speech extra" in n for n in notes)  # Ask and Mock interview


def test_with_speech_both_tabs_have_a_speak_button_and_the_page_its_recorder(tmp_path):
    from ui.app import build_app, launch_kwargs

    services = app_services(tmp_path)
    demo = build_app(services.settings, services, warm=False)
    ids = {b.elem_id for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    assert {"ask-mic", "iv-mic", "ask-mic-arrived", "iv-mic-arrived"} <= ids
    assert "window.coachMic" in launch_kwargs(services.settings)["head"]


def test_pieces_that_overtake_one_another_are_fed_in_order_and_the_end_waits_for_all(tmp_path):
    from ui.voice import parse_piece

    fake = ScriptTranscriber("one two three four five six seven eight")
    services = app_services(tmp_path, transcriber=fake)
    take = make_voice_handlers(services, lambda: "")
    sent = messages(speech_audio(fake.seconds + 0.5))
    assert parse_piece(sent[0]).seq == 0 and parse_piece(sent[-1]).last and parse_piece("garbage") is None
    order = [1, 0, 2, len(sent) - 1] + list(range(3, len(sent) - 1))  # the last piece comes before some others
    live, results = None, []
    for n in order:
        out = take(sent[n], live, "", None)
        results.append(out)
        live = out[0] if isinstance(out[0], Recording) or out[0] is None else live
    assert all(isinstance(r[0], Recording) for r in results[:-1])  # not done until every piece is in
    box, spoken, note = results[-1][1:]
    assert results[-1][0] is None and box == "one two three four five six seven eight"
    assert [w.start for w in spoken.words] == sorted(w.start for w in spoken.words)
    assert take("not a piece", None, "", None)[0] is not None  # ignored: gr.skip()


def test_the_interviewer_says_its_messages_since_the_candidates_last_one():
    msgs = [{"role": "assistant", "content": "**Question 1**", "say": "Question 1 of 2. What is drift?"},
            {"role": "user", "content": "an answer"},
            {"role": "assistant", "content": "Score", "say": "You scored 80 out of 100: good.",
             "fb": "**Feedback:** You covered **PSI**."},
            {"role": "assistant", "content": "Follow-up", "say": "Follow-up: How do you alert?"}]
    assert to_say(msgs) == "You scored 80 out of 100: good. You covered PSI. Follow-up: How do you alert?"
    assert to_say(msgs[:1]) == "Question 1 of 2. What is drift?"
    assert to_say([]) == ""


@pytest.mark.parametrize("answer,spoken", [("the cat sat on the mat", True), ("the cat sat", True),
                                            ("a dog ran far away quickly", False)])
def test_still_spoken_needs_half_the_transcript_in_the_box(answer, spoken):
    from rag.interview.delivery import still_spoken

    assert still_spoken(answer, "the cat sat on the mat") is spoken
