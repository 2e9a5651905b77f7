"""The microphone of the Ask and Mock interview tabs: speech to text on this machine, as it is said.

``add_microphone(services, box, prompt_for, ...)`` puts a streaming microphone under a text box.
While the candidate speaks, Gradio hands over the audio in half-second chunks; a per-user
``StreamingTranscriber`` (``rag.speech.streaming``) transcribes it at the pauses with one thread,
so when they press stop only the last seconds remain.  The transcript goes into the box, where it
can be edited before it is sent; nothing else is sent for them.  Audio is dropped once transcribed
unless ``COACH_KEEP_AUDIO`` is set.  Without the ``speech`` extra the microphone is not shown; a
one-line note says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone

import gradio as gr

from rag.speech.streaming import StreamingTranscriber
from rag.speech.types import Transcript, write_wav
from ui.common import friendly_message, username
from ui.render import esc

log = logging.getLogger("coach.ui")

# The chunks of a recording and its end share one slot, apart from the model's: they are handled in
# the order they came (a chunk sent before the stop is fed before the tail is transcribed), and
# never wait behind a generation.
SPEECH_GROUP = {"concurrency_id": "coach-speech", "concurrency_limit": 1}
STREAM_EVERY = 0.5  # seconds of audio per chunk the browser sends while recording
LAST_CHUNK_WAIT = 0.3  # at most this long, after stop, for a chunk still on its way ...
LAST_CHUNK_QUIET = 0.15  # ... while the last one came less than this long ago
MAX_RECORDING = 300  # seconds; a longer recording is cut (an answer runs two minutes)
READY_NOTE = "Speak your answer, then stop: the transcript appears in the box, to check before you send it."


def note_html(text: str) -> str:
    return f'<div class="mic-note">{esc(text)}</div>'


def joined(before: str, said: str) -> str:
    """The box after a recording: what was typed (or said) before, then the new transcript."""
    before = (before or "").rstrip()
    return f"{before} {said}".strip() if before else said


def make_voice_handlers(services, prompt_for: Callable[..., str], on_transcript: Callable[..., None] | None = None):
    """``prompt_for(*extra)``: the recogniser's prompt (the notes' vocabulary) for what is being
    answered, from the extra inputs given to ``add_microphone``; ``on_transcript(text, *extra)``:
    called with the box's new text (the interviewer reads ahead)."""
    speech = services.settings.speech

    def begin():
        """Recording started: forget any earlier stream (the first chunk starts a new one)."""
        return None, note_html("Listening\u2026 press stop when you are done.")

    def feed(chunk, stream, *extra):
        """A chunk of the recording.  The first one starts this user's streaming transcriber (so no
        audio is lost while the model loads: later chunks wait in the queue behind it)."""
        if chunk is None:
            return gr.skip()
        created = stream is None
        if created:
            try:
                prompt = prompt_for(*extra) if speech.speech_hotwords else ""
                stream = StreamingTranscriber(lambda: services.transcriber, prompt=prompt)
            except Exception as e:
                gr.Warning(esc(friendly_message(e)))
                return gr.skip()
        try:
            stream.feed(chunk)
        except RuntimeError:  # a chunk after stop: the transcript is already made
            pass
        return stream if created else gr.skip()

    def end(stream, text, spoken, *extra, request: gr.Request = None):
        """Recording stopped: transcribe the last seconds and put the transcript into the box."""
        if stream is None:
            return gr.skip(), spoken, None, note_html("Nothing was recorded: check the microphone and try again.")
        deadline = time.monotonic() + LAST_CHUNK_WAIT
        while time.monotonic() < deadline and stream.seconds_since_feed() < LAST_CHUNK_QUIET:
            time.sleep(0.03)  # the chunk cut at the stop may still be on its way
        try:
            transcript = stream.finish()
        except Exception as e:
            gr.Warning(esc(friendly_message(e)))
            return gr.skip(), spoken, None, note_html(friendly_message(e))
        if speech.keep_audio:
            _keep(services, stream, username(request))
        if not transcript.text:
            return gr.skip(), spoken, None, note_html("Nothing was heard: check the microphone and try again.")
        new_text = joined(text, transcript.text)
        spoken = spoken.then(transcript) if isinstance(spoken, Transcript) and (text or "").strip() else transcript
        if on_transcript is not None:
            try:
                on_transcript(new_text, *extra)
            except Exception as e:  # an optimisation only
                log.info("read-ahead after a recording skipped: %s", e)
        note = (f"Transcribed {transcript.audio_seconds:.0f} s of speech ({transcript.tail_seconds:.1f} s after you stopped). "
                "Check it, then send it.")
        return new_text, spoken, None, note_html(note)

    return begin, feed, end


def _keep(services, stream: StreamingTranscriber, user: str | None) -> None:
    folder = services.settings.paths.data_dir / "recordings" / (user or "local")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_wav(folder / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.wav", stream.audio())
    except OSError as e:
        gr.Warning(esc(f"The recording could not be kept in {folder}: {e.strerror or e}."))


def add_microphone(services, box: gr.Textbox, spoken: gr.State, prompt_for: Callable[..., str], *,
                   extra: list = (), on_transcript: Callable[..., None] | None = None, elem_id: str):
    """A streaming microphone whose transcript lands in ``box``; ``spoken`` (per-user state) gets
    the recording's ``Transcript`` (its timed words give delivery feedback).  Without speech input
    here, only a note saying why."""
    problem = services.speech_problem()
    if problem:
        gr.HTML(note_html(f"No microphone: {problem}"), elem_id=f"{elem_id}-note", padding=False)
        return None
    live = gr.State(None)
    with gr.Row(elem_classes="mic-row"):
        mic = gr.Audio(sources=["microphone"], type="numpy", streaming=True, show_label=False, container=False,
                       elem_id=elem_id, buttons=[], editable=False)
        note = gr.HTML(note_html(READY_NOTE), elem_id=f"{elem_id}-note", padding=False)
    begin, feed, end = make_voice_handlers(services, prompt_for, on_transcript)
    mic.start_recording(begin, None, [live, note], queue=False, show_progress="hidden", api_visibility="private")
    mic.stream(feed, [mic, live, *extra], [live], stream_every=STREAM_EVERY, time_limit=MAX_RECORDING,
               show_progress="hidden", api_visibility="private", **SPEECH_GROUP)
    mic.stop_recording(end, [live, box, spoken, *extra], [box, spoken, live, note], show_progress="hidden",
                       api_visibility="private", **SPEECH_GROUP)
    return mic
