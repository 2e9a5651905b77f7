"""Transcribe while the candidate speaks, so that after they stop only the last seconds remain.

``StreamingTranscriber.feed(chunk)`` appends microphone audio (the app's recorder, ``ui/mic.js``, sends
16-bit pieces every half second).  A background thread cuts the audio not yet
transcribed at a pause (``find_cut``: at least ``min_segment`` seconds, cut in the middle of the last
quiet stretch of ``pause`` seconds; with no pause, at the quietest point once ``max_segment`` is reached)
and transcribes that segment with the transcriber's *background* threads (one by default, so a chat
answer being generated meanwhile keeps its cores), its prompt being the notes' vocabulary.
``finish()`` (end of speech) transcribes the tail at once with all the speech threads, in parallel with
a segment still in flight, and returns the whole ``Transcript`` with its timings: ``tail_seconds`` is
end-of-speech-to-transcript latency.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from rag.speech.stt import Transcriber
from rag.speech.types import SAMPLE_RATE, Segment, Transcript, join_segments, resampler, to_mono16k

FRAME = 0.03  # seconds per loudness frame
SILENCE_FLOOR = 0.003  # RMS below this is silence whatever the level of the speech (about -50 dBFS)
SILENCE_RATIO = 0.12  # ... and so is a frame quieter than this share of the loud frames' level


def quiet_frames(audio: np.ndarray) -> np.ndarray:
    """One bool per ``FRAME`` of ``audio``: is it quiet (a pause, not speech)?"""
    n = int(FRAME * SAMPLE_RATE)
    frames = len(audio) // n
    if frames == 0:
        return np.zeros(0, dtype=bool)
    rms = np.sqrt(np.mean(np.square(audio[: frames * n].reshape(frames, n), dtype=np.float64), axis=1))
    loud = float(np.percentile(rms, 90))
    return rms < max(SILENCE_FLOOR, SILENCE_RATIO * loud)


def find_cut(audio: np.ndarray, *, min_segment: float, max_segment: float, pause: float) -> int | None:
    """Where to cut ``audio`` (samples not yet transcribed) so that its head can be transcribed now:
    the middle of the last quiet stretch of at least ``pause`` seconds that starts after ``min_segment``
    seconds; without one, once ``audio`` is longer than ``max_segment``, its quietest frame in the
    second half of the ``max_segment`` window; otherwise None (wait for more audio)."""
    n = int(FRAME * SAMPLE_RATE)
    if len(audio) < min_segment * SAMPLE_RATE:
        return None
    quiet = quiet_frames(audio)
    need, first = max(1, round(pause / FRAME)), int(min_segment / FRAME)
    best, run = None, 0
    for i, q in enumerate(quiet):
        run = run + 1 if q else 0
        if run >= need and i - run // 2 >= first:
            best = i - run // 2  # the middle of the stretch so far: some silence on each side
    if best is not None:
        return best * n
    if len(audio) >= max_segment * SAMPLE_RATE:
        lo, hi = int(max_segment / FRAME / 2), int(max_segment / FRAME)
        m = len(audio[: hi * n]) // n
        rms = np.sqrt(np.mean(np.square(audio[: m * n].reshape(m, n), dtype=np.float64), axis=1))
        return (lo + int(np.argmin(rms[lo:hi]))) * n
    return None


class StreamingTranscriber:
    """One answer being spoken.  Thread-safe ``feed``; ``finish`` once.  ``prompt``: the notes'
    vocabulary for the question (``rag.speech.jargon.initial_prompt``).  ``transcriber``: the
    recogniser, or a function returning it, called when the first segment is transcribed, so that
    feeding never waits for a model to load (the pieces queued behind it would stall)."""

    def __init__(self, transcriber: Transcriber | Callable[[], Transcriber], *, prompt: str = "", min_segment: float = 8.0,
                 max_segment: float = 20.0, pause: float = 0.3, sample_rate: int = SAMPLE_RATE) -> None:
        self._transcriber, self.prompt, self.sample_rate = transcriber, prompt, sample_rate
        self.min_segment, self.max_segment, self.pause = min_segment, max_segment, pause
        self._chunks: list[tuple[int, np.ndarray]] = []  # (rate, samples) as fed; converted by the worker
        self._audio = np.zeros(0, dtype=np.float32)
        self._done = 0  # samples transcribed (or being transcribed: see _flight)
        self._flight: tuple[int, int] | None = None  # (start, end) of the segment in the worker now
        self._segments: list[tuple[int, tuple[Segment, ...]]] = []  # (start sample, segments)
        self._busy_seconds = 0.0
        self._calls = 0
        self._errors: list[BaseException] = []
        self._cond = threading.Condition()
        self._finished = False
        self._idle = True  # the worker waits for audio: nothing it could cut yet
        self._worker = threading.Thread(target=self._run, name="speech-stream", daemon=True)
        self._worker.start()

    @property
    def transcriber(self) -> Transcriber:
        if not isinstance(self._transcriber, Transcriber):
            self._transcriber = self._transcriber()
        return self._transcriber

    # --- input -------------------------------------------------------------------------------
    def feed(self, chunk, sample_rate: int | None = None) -> None:
        """Append audio: a float/int array at ``sample_rate`` (default: the one given at creation),
        or a ``(rate, array)`` pair as Gradio's microphone gives."""
        if isinstance(chunk, tuple):
            sample_rate, chunk = chunk
        rate, samples = int(sample_rate or self.sample_rate), np.asarray(chunk)  # converted later: feed never waits
        with self._cond:
            if self._finished:
                raise RuntimeError("feed() after finish()")
            self._chunks.append((rate, samples))
            self._idle = False
            self._cond.notify_all()

    def audio(self) -> np.ndarray:
        """All the audio fed so far (mono float32, 16 kHz)."""
        with self._cond:
            self._gather()
            return self._audio.copy()

    @property
    def audio_seconds(self) -> float:
        with self._cond:
            return len(self._audio) / SAMPLE_RATE + sum(len(c) / rate for rate, c in self._chunks)

    # --- the background worker ---------------------------------------------------------------
    def _gather(self) -> None:  # with the lock held
        if self._chunks:
            self._audio = np.concatenate([self._audio, *self._converted(self._chunks)])
            self._chunks.clear()

    @staticmethod
    def _converted(chunks: list[tuple[int, np.ndarray]]) -> list[np.ndarray]:
        """Mono 16 kHz pieces of ``chunks``; runs of one rate are resampled together (no seams)."""
        out, i = [], 0
        while i < len(chunks):
            j = i
            while j < len(chunks) and chunks[j][0] == chunks[i][0]:
                j += 1
            out.append(to_mono16k(chunks[i][0], np.concatenate([c for _r, c in chunks[i:j]])))
            i = j
        return out

    def _transcribe(self, start: int, end: int, background: bool) -> None:
        with self._cond:
            audio = self._audio[start:end]
        # The prompt is the notes' vocabulary only: with the words already transcribed in it too, whisper
        # repeats them on a short segment (measured on the tuning part: whole sentences said twice).
        result = self.transcriber.transcribe(audio, prompt=self.prompt or None, background=background)
        offset = start / SAMPLE_RATE
        with self._cond:
            self._segments.append((start, tuple(s.shifted(offset) for s in result.segments)))
            self._busy_seconds += result.seconds
            self._calls += 1

    def _run(self) -> None:
        resampler()  # imported here, not under the lock the first chunks are fed with
        while True:
            with self._cond:
                while True:
                    self._gather()
                    cut = None if self._finished else find_cut(
                        self._audio[self._done:], min_segment=self.min_segment,
                        max_segment=self.max_segment, pause=self.pause)
                    if self._finished or cut:
                        break
                    self._idle = True
                    self._cond.notify_all()
                    self._cond.wait()
                if self._finished:
                    return
                start, end = self._done, self._done + cut
                self._flight, self._done = (start, end), end
            try:
                self._transcribe(start, end, background=True)
            except BaseException as e:  # reported by finish(), in the caller's thread
                with self._cond:
                    self._errors.append(e)
            finally:
                with self._cond:
                    self._flight = None
                    self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every segment that can be cut from the audio fed so far is transcribed (for
        tests and for the bench's fast replay of a recording); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._finished or (self._idle and not self._chunks and self._flight is None),
                                       timeout)

    def close(self) -> None:
        """Drop the recording unfinished (a new one started, the user left): the worker stops after
        the segment it may be transcribing; nothing more is transcribed."""
        with self._cond:
            self._finished = True
            self._cond.notify_all()

    # --- end of speech ----------------------------------------------------------------------
    def finish(self) -> Transcript:
        """End of speech: transcribe what remains (with all the speech threads, while a segment still
        in flight finishes), and return the whole transcript; ``tail_seconds`` is the time this took."""
        t0 = time.perf_counter()
        with self._cond:
            self._finished = True
            self._gather()
            tail_start, total = self._done, len(self._audio)
            in_flight = self._flight is not None
            self._cond.notify_all()
        if total > tail_start:
            self._transcribe(tail_start, total, background=False)
        self._worker.join()
        if self._errors:
            raise self._errors[0]
        tail_seconds = time.perf_counter() - t0
        segments = tuple(s for _start, segs in sorted(self._segments, key=lambda x: x[0]) for s in segs)
        timings = {"calls": self._calls, "tail_audio_seconds": round((total - tail_start) / SAMPLE_RATE, 3),
                   "segment_in_flight_at_end": in_flight, "busy_seconds": round(self._busy_seconds, 3)}
        return Transcript(join_segments(segments), segments, total / SAMPLE_RATE, self._busy_seconds,
                          tail_seconds, timings)
