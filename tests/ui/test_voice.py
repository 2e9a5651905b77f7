"""The microphone of the Mock interview and Ask tabs, with a scripted fake recogniser: a recording's
transcript lands in the box, a spoken answer's delivery reaches the score card and the report, the
notes' vocabulary is the recogniser's prompt, and without the speech extra there is only a note."""

from __future__ import annotations

import sys
import threading

import gradio as gr
import pytest

from conftest import ScriptTranscriber, app_services, speech_audio
from rag.lexical import words
from rag.speech.streaming import StreamingTranscriber
from rag.speech.types import SAMPLE_RATE
from ui.interview_tab import make_handlers, to_say
from ui.voice import joined, make_voice_handlers

CHUNK = SAMPLE_RATE // 2  # what the browser sends every half second


def record(services, fake: ScriptTranscriber, extra=(), box: str = "", spoken=None, seconds: float | None = None):
    """One recording through the microphone's handlers: start, the chunks, stop."""
    begin, feed, end = make_voice_handlers(services, lambda *a: extra[0].speech_prompt() if extra else "p")
    stream, _note = begin()
    audio = speech_audio(seconds or fake.seconds + 0.5)
    for i in range(0, len(audio), CHUNK):
        out = feed((SAMPLE_RATE, audio[i:i + CHUNK]), stream, *extra)
        if isinstance(out, StreamingTranscriber):
            stream = out
    return end(stream, box, spoken, *extra)


def start_interview(services):
    start, answer, *_ = make_handlers(services)
    chat, card, interview, msgs = list(start([], False, 1, "any", None, []))[-1]
    return answer, interview, msgs


def test_a_spoken_answer_lands_in_the_box_and_its_delivery_on_the_score_card_and_report(tmp_path):
    fake = ScriptTranscriber()
    services = app_services(tmp_path, transcriber=fake)
    answer, interview, msgs = start_interview(services)
    script = "um so basically " + " ".join(interview.turn.points) + " like, you know, that is it"
    fake.hear(script, pause_after={2: 3.0})
    text, spoken, live, note = record(services, fake, extra=[interview])
    assert text == script and live is None and "Transcribed" in note
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
    _text, spoken, _live, _note = record(services, fake, extra=[interview])
    typed = " ".join(interview.turn.points)
    list(answer(typed, interview, msgs, spoken))
    assert interview.turns[0].delivery is None


def test_an_edited_transcript_keeps_its_delivery_and_counts_the_terms_in_the_edited_text(tmp_path):
    fake = ScriptTranscriber("we would deploy the model with something behind a gateway")
    services = app_services(tmp_path, transcriber=fake)
    answer, interview, msgs = start_interview(services)
    terms = interview.answer_terms(interview.turn)
    assert terms
    text, spoken, _live, _note = record(services, fake, extra=[interview])
    fixed = text.replace("something", terms[0], 1)
    list(answer(fixed, interview, msgs, spoken))
    d = interview.turns[0].delivery
    assert terms[0] in d.terms_used and d.words == 10  # the term as edited in; the words as said
    assert set(d.terms_missed) == set(terms) - set(d.terms_used)


def test_a_second_recording_adds_to_the_box_and_to_the_timed_words(tmp_path):
    fake = ScriptTranscriber("the first part")
    services = app_services(tmp_path, transcriber=fake)
    text, spoken, _live, _ = record(services, fake)
    fake.hear("and the second part")
    text2, spoken2, _live, _ = record(services, fake, box=text, spoken=spoken)
    assert text2 == "the first part and the second part"
    assert [w.text for w in spoken2.words] == text2.split()
    assert spoken2.words[3].start >= spoken.audio_seconds  # timed after the first recording
    assert joined("typed  ", "said") == "typed said" and joined("", "said") == "said"


def test_a_recording_that_hears_nothing_leaves_the_box_alone(tmp_path):
    services = app_services(tmp_path)  # its fake recogniser hears nothing
    text, spoken, live, note = record(services, ScriptTranscriber(""), seconds=2)
    assert text is not None and not isinstance(text, str)  # gr.skip(): the box keeps what it had
    assert spoken is None and "Nothing was heard" in note


def test_feeding_never_waits_for_the_recogniser_to_load(tmp_path):
    """The browser drops chunks while one is pending: the first chunk must not wait for the model."""
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
    assert not fed.is_alive()  # every chunk was taken while the model was still "loading"
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
    assert not any(isinstance(b, gr.Audio) for b in blocks)
    notes = [b.value for b in blocks if isinstance(b, gr.HTML) and "No microphone" in str(b.value)]
    assert len(notes) == 2 and all("speech extra" in n for n in notes)  # Ask and Mock interview


def test_with_speech_both_tabs_have_a_streaming_microphone(tmp_path):
    from ui.app import build_app

    services = app_services(tmp_path)
    demo = build_app(services.settings, services, warm=False)
    mics = [b for b in demo.blocks.values() if isinstance(b, gr.Audio)]
    assert sorted(m.elem_id for m in mics) == ["ask-mic", "iv-mic"]
    assert all(m.streaming and m.sources == ["microphone"] for m in mics)


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
