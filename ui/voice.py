"""The microphone of the Ask and Mock interview tabs: speech to text on this machine, as it is said.

``add_microphone(services, box, spoken, prompt_for, ...)`` puts a Speak button under a text box.
The browser records (``ui/mic.js``) and sends the audio in numbered half-second pieces, one queued
event each (a hidden button's click, whose js hands over the piece): a streamed component would
keep only the latest piece while the server is busy (Gradio's ``/stream`` endpoint overwrites it),
and audio would be lost.
A per-user ``StreamingTranscriber`` (``rag.speech.streaming``) transcribes at the pauses with one
thread, so when the candidate presses Stop only the last seconds remain.  The transcript goes into
the box, to be edited before it is sent.  Audio is never written to disk unless
``COACH_KEEP_AUDIO`` is set.  Without the ``speech`` extra the button is not shown; a one-line
note says why.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr
import numpy as np

from rag.speech.streaming import StreamingTranscriber
from rag.speech.types import Transcript, write_wav
from ui.common import friendly_message, username
from ui.render import esc

log = logging.getLogger("coach.ui")

# The pieces of a recording and its end share one slot, apart from the model's: they are handled in
# the order they came (the last piece is fed before the tail is transcribed), never behind a generation.
SPEECH_GROUP = {"concurrency_id": "coach-speech", "concurrency_limit": 1}
READY_NOTE = "Press Speak and answer aloud; press Stop when done. The transcript appears in the box, to check before you send it."
JS_PATH = Path(__file__).with_name("mic.js")


def mic_script() -> str:
    """The browser side of the microphone, for the page's head."""
    try:
        return f"<script>{JS_PATH.read_text(encoding='utf-8')}</script>"
    except OSError:  # installed without package data: the button then does nothing, the note says so
        return ""


@dataclass(frozen=True)
class Piece:
    """One message of ``mic.js``: recording ``rid``, piece ``seq``, 16-bit PCM at ``rate``, ``last``."""

    rid: str
    seq: int
    rate: int
    last: bool
    samples: np.ndarray


class Recording:
    """One recording as its pieces arrive: the events that carry them may overtake one another, so
    pieces are fed in number order, and the recording is done once every piece up to the last is in."""

    def __init__(self, rid: str, stream: StreamingTranscriber) -> None:
        self.rid, self.stream = rid, stream
        self.next = 0  # the number of the next piece to feed
        self.held: dict[int, Piece] = {}  # pieces that came before their turn
        self.last: int | None = None

    def add(self, piece: Piece) -> bool:
        """Take ``piece``; True when the recording is complete (every piece fed)."""
        if piece.last:
            self.last = piece.seq
        self.held[piece.seq] = piece
        while self.next in self.held:
            p = self.held.pop(self.next)
            self.stream.feed(p.samples, p.rate)
            self.next += 1
        return self.last is not None and self.next > self.last


def parse_piece(message: str) -> Piece | None:
    """A piece from its message ``rid|seq|rate|last|base64 PCM``; None for anything else."""
    try:
        rid, seq, rate, last, data = (message or "").split("|", 4)
        return Piece(rid, int(seq), int(rate), last == "1", np.frombuffer(base64.b64decode(data), dtype="<i2"))
    except (ValueError, binascii.Error):
        return None


def note_html(text: str) -> str:
    return f'<div class="mic-note">{esc(text)}</div>'


def joined(before: str, said: str) -> str:
    """The box after a recording: what was typed (or said) before, then the new transcript."""
    before = (before or "").rstrip()
    return f"{before} {said}".strip() if before else said


def make_voice_handlers(services, prompt_for: Callable[..., str], on_transcript: Callable[..., None] | None = None):
    """``prompt_for(*extra)``: the recogniser's prompt (the notes' vocabulary) for what is being
    answered, from the extra inputs given to ``add_microphone``; ``on_transcript(text, *extra)``:
    called with the box's new text (the interviewer reads ahead).  Returns ``take(message, live,
    box, spoken, *extra)`` -> (live, box, spoken, note), the handler of every piece."""
    speech = services.settings.speech

    def take(message, live, text, spoken, *extra, request: gr.Request = None):
        piece = parse_piece(message)
        if piece is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if live is None or live.rid != piece.rid:  # the first piece of a recording starts its stream
            _drop(live)  # one never finished (its last piece lost): its worker stops
            try:
                prompt = prompt_for(*extra) if speech.speech_hotwords else ""
                # the model is loaded by the stream's worker, off this path (it may be loading still)
                live = Recording(piece.rid, StreamingTranscriber(lambda: services.transcriber, prompt=prompt))
            except Exception as e:
                gr.Warning(esc(friendly_message(e)))
                return None, gr.skip(), gr.skip(), note_html(friendly_message(e))
        try:
            done = live.add(piece)
        except RuntimeError:  # a piece after the end: the transcript is made
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if not done:
            return live, gr.skip(), gr.skip(), gr.skip()
        return (None, *_end(live.stream, text, spoken, extra, request))

    def _end(stream: StreamingTranscriber, text, spoken, extra, request):
        try:
            transcript = stream.finish()
        except Exception as e:
            gr.Warning(esc(friendly_message(e)))
            return gr.skip(), spoken, note_html(friendly_message(e))
        if speech.keep_audio:
            _keep(services, stream, username(request))
        if not transcript.text:
            return gr.skip(), spoken, note_html("Nothing was heard: check the microphone and try again.")
        new_text = joined(text, transcript.text)
        spoken = spoken.then(transcript) if isinstance(spoken, Transcript) and (text or "").strip() else transcript
        if on_transcript is not None:
            try:
                on_transcript(new_text, *extra)
            except Exception as e:  # an optimisation only
                log.info("read-ahead after a recording skipped: %s", e)
        note = (f"Transcribed {transcript.audio_seconds:.0f} s of speech ({transcript.tail_seconds:.1f} s after you stopped). "
                "Check it, then send it.")
        return new_text, spoken, note_html(note)

    return take


def _drop(live) -> None:
    if isinstance(live, Recording):
        live.stream.close()


def _keep(services, stream: StreamingTranscriber, user: str | None) -> None:
    folder = services.settings.paths.data_dir / "recordings" / (user or "local")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_wav(folder / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.wav", stream.audio())
    except OSError as e:
        gr.Warning(esc(f"The recording could not be kept in {folder}: {e.strerror or e}."))


def add_microphone(services, box: gr.Textbox, spoken: gr.State, prompt_for: Callable[..., str], *,
                   extra: list = (), on_transcript: Callable[..., None] | None = None, elem_id: str,
                   label: str = "\u25cf Speak"):
    """A Speak button whose transcript lands in ``box``; ``spoken`` (per-user state) gets the
    recording's ``Transcript`` (its timed words give delivery feedback).  Without speech input
    here, only a note saying why."""
    problem = services.speech_problem()
    if problem:
        gr.HTML(note_html(f"No microphone: {problem}"), elem_id=f"{elem_id}-note", padding=False)
        return None
    live = gr.State(None, delete_callback=_drop)  # the Recording under way
    with gr.Row(elem_classes="mic-row"):
        button = gr.Button(label, size="sm", variant="secondary", elem_id=elem_id, elem_classes="mic-button",
                           scale=0, min_width=120)
        note = gr.HTML(note_html(READY_NOTE), elem_id=f"{elem_id}-note", padding=False)
    pieces = gr.Textbox(value="", show_label=False, container=False, elem_id=f"{elem_id}-piece",
                        elem_classes="mic-piece", interactive=False)
    arrived = gr.Button("piece", elem_id=f"{elem_id}-arrived", elem_classes="mic-piece")
    ids = {"button": elem_id, "arrived": f"{elem_id}-arrived", "note": f"{elem_id}-note", "label": label}
    button.click(None, None, None, js=f"() => window.coachMic.toggle({json.dumps(ids)})", queue=False,
                 api_visibility="private")
    take = make_voice_handlers(services, prompt_for, on_transcript)
    # mic.js clicks the hidden button once per piece; the click's js takes that piece from its queue
    arrived.click(take, [pieces, live, box, spoken, *extra], [live, box, spoken, note], trigger_mode="multiple",
                  js=f"(piece, ...rest) => [window.coachMic.next({json.dumps(ids['arrived'])}), ...rest]",
                  show_progress="hidden", api_visibility="private", **SPEECH_GROUP)
    return button
