"""Speech-to-text behind one small interface: ``Transcriber``, its faster-whisper adapter and the factory.

``make_transcriber(settings.speech, models_dir)`` returns a ``WhisperTranscriber`` (CTranslate2, int8 on
the CPU, English, greedy decoding, silero VAD filter, word timings) over the weights of the ``speech``
extra, or raises ``SpeechUnavailable`` with the one sentence saying how to install it (the app hides
the microphone with that sentence).  Nothing is downloaded: the weights are local folders.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from core.errors import SpeechUnavailable
from core.settings import SpeechSettings
from rag.speech.models import INSTALL_HINT, model_dir
from rag.speech.types import SAMPLE_RATE, Segment, Transcript, Word, join_segments

TOKENS_PER_SECOND = 6  # tokens a second of fast speech needs (words, punctuation, timestamps)
MAX_NEW_TOKENS = 200  # with the prompt (at most ~220 tokens) within whisper's 448
REPETITIVE = 2.4  # a segment whose text gzips better than this is a loop, not speech (whisper's own threshold)


@runtime_checkable
class Transcriber(Protocol):
    """Mono float32 16 kHz audio -> ``Transcript``.  ``prompt``: text the speech is likely to use
    (the notes' vocabulary, the words said just before); ``background``: a call made while the
    candidate is still speaking, which may use fewer threads."""

    def transcribe(self, audio: np.ndarray, *, prompt: str | None = None, background: bool = False) -> Transcript: ...

    def warm(self) -> None:
        """Load now what a streamed answer will need (so the first one does not wait for it)."""


class WhisperTranscriber:
    """faster-whisper on the CPU.  Two instances of the model share nothing but the weights file:
    one with ``threads`` for whole recordings and the tail after the end of speech, one with
    ``background_threads`` (loaded on first use) for segments transcribed while the candidate speaks."""

    def __init__(self, path: Path, *, threads: int = 2, background_threads: int = 1, name: str = "") -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise SpeechUnavailable(f"Speech input needs faster-whisper: {INSTALL_HINT}.") from None
        self._cls, self.path, self.name = WhisperModel, Path(path), name or Path(path).name
        self.threads, self.background_threads = threads, background_threads
        t0 = time.perf_counter()
        self._main = self._load(threads)
        self.load_seconds = time.perf_counter() - t0
        self._background = self._main if background_threads == threads else None
        self._lock = threading.Lock()

    def _load(self, threads: int):
        try:
            return self._cls(str(self.path), device="cpu", compute_type="int8", cpu_threads=threads)
        except (RuntimeError, ValueError, OSError) as e:
            raise SpeechUnavailable(f"The whisper model in {self.path} cannot be loaded ({e}); reinstall it: {INSTALL_HINT}.") from None

    def warm(self) -> None:
        self._model(True)

    def _model(self, background: bool):
        if not background:
            return self._main
        with self._lock:
            if self._background is None:
                self._background = self._load(self.background_threads)
            return self._background

    def transcribe(self, audio: np.ndarray, *, prompt: str | None = None, background: bool = False) -> Transcript:
        audio = np.asarray(audio, dtype=np.float32)
        t0 = time.perf_counter()
        if audio.size < SAMPLE_RATE // 10:  # under 0.1 s: nothing to hear
            return Transcript("", (), audio.size / SAMPLE_RATE, 0.0)
        seconds = audio.size / SAMPLE_RATE
        # A window of whisper holds 30 s; speech is at most ~4 words (~6 tokens) a second.  The cap stops a
        # short segment from running on into the prompt's terms ("AWS, AWS, AWS...") and bounds its CPU.
        cap = None if seconds > 30 else min(MAX_NEW_TOKENS, int(TOKENS_PER_SECOND * seconds) + 10)
        segments, _info = self._model(background).transcribe(
            audio, language="en", beam_size=1, vad_filter=True, word_timestamps=True,
            initial_prompt=prompt or None, condition_on_previous_text=True, max_new_tokens=cap,
            temperature=(0.0, 0.5), hallucination_silence_threshold=2.0)  # one fallback re-decoding: bounded CPU
        segs: list[Segment] = []
        for s in segments:  # a generator: decoding happens here
            text = s.text.strip()
            if s.compression_ratio > REPETITIVE or (segs and text == segs[-1].text):
                continue  # "very simple, very simple, ..." or a sentence said once and written twice
            segs.append(Segment(text, float(s.start), float(s.end),
                                tuple(Word(w.word.strip(), float(w.start), float(w.end)) for w in (s.words or ()))))
        return Transcript(join_segments(segs), tuple(segs), seconds, time.perf_counter() - t0)


def _model_path(speech: SpeechSettings, models_dir: Path) -> Path:
    """The folder of the chosen whisper weights; ``SpeechUnavailable`` (how to install the
    ``speech`` extra) when faster-whisper or the weights are missing.  Loads no model."""
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        raise SpeechUnavailable(f"Speech input needs faster-whisper: {INSTALL_HINT}.") from None
    return model_dir(speech.speech_model, models_dir)


def speech_problem(speech: SpeechSettings, models_dir: Path) -> str | None:
    """Why speech-to-text cannot run here (one sentence), or None: faster-whisper and the chosen
    weights are installed.  Loads no model (the app asks this to show or hide the microphone)."""
    try:
        _model_path(speech, models_dir)
    except SpeechUnavailable as e:
        return str(e)
    return None


def make_transcriber(speech: SpeechSettings, models_dir: Path) -> Transcriber:
    """The transcriber ``speech`` asks for; ``SpeechUnavailable`` (one sentence: how to install the
    ``speech`` extra) when faster-whisper or the chosen weights are not installed."""
    return WhisperTranscriber(_model_path(speech, models_dir), threads=speech.speech_threads,
                              background_threads=speech.speech_background_threads, name=speech.speech_model)
