"""Plain data of speech-to-text and the audio helpers every adapter shares (numpy only, no model).

Audio inside the package is always mono float32 in [-1, 1] at ``SAMPLE_RATE`` (16 kHz, what
whisper reads); ``to_mono16k`` converts what a microphone widget or a WAV file gives.
"""

from __future__ import annotations

import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from core.errors import AudioUnreadable

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Word:
    text: str  # as the recogniser wrote it, punctuation attached ("MLflow,")
    start: float  # seconds from the start of the audio
    end: float


@dataclass(frozen=True)
class Segment:
    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()

    def shifted(self, offset: float) -> Segment:
        """The segment with its timings ``offset`` seconds later (a piece of a longer recording)."""
        return Segment(self.text, self.start + offset, self.end + offset,
                       tuple(Word(w.text, w.start + offset, w.end + offset) for w in self.words))


@dataclass(frozen=True)
class Transcript:
    """What was said, with timings.  ``seconds``: processing time of the whole audio (one call, or
    the sum of the streamed calls); ``tail_seconds``: for a streamed transcript, the time from
    ``finish()`` (end of speech) to this transcript."""

    text: str
    segments: tuple[Segment, ...] = ()
    audio_seconds: float = 0.0
    seconds: float = 0.0
    tail_seconds: float | None = None
    timings: dict = field(default_factory=dict)

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.segments for w in s.words)

    def then(self, other: Transcript) -> Transcript:
        """This transcript followed by ``other`` (a second recording added to the same answer): its
        timings shifted past this one's audio."""
        moved = tuple(s.shifted(self.audio_seconds) for s in other.segments)
        return Transcript(join_segments((*self.segments, *moved)), (*self.segments, *moved),
                          self.audio_seconds + other.audio_seconds, self.seconds + other.seconds, other.tail_seconds)

    @property
    def real_time_factor(self) -> float | None:
        return round(self.seconds / self.audio_seconds, 4) if self.audio_seconds else None

    def to_dict(self) -> dict:
        return {"text": self.text, "audio_seconds": round(self.audio_seconds, 3), "seconds": round(self.seconds, 3),
                "tail_seconds": None if self.tail_seconds is None else round(self.tail_seconds, 3),
                "real_time_factor": self.real_time_factor, "timings": self.timings,
                "segments": [{**asdict(s), "words": [asdict(w) for w in s.words]} for s in self.segments]}


def join_segments(segments) -> str:
    """The transcript text of ``segments``: their texts, stripped, one space apart."""
    return " ".join(s.text.strip() for s in segments if s.text.strip())


def to_mono16k(sample_rate: int, audio: np.ndarray) -> np.ndarray:
    """Mono float32 at 16 kHz from what a microphone or WAV file gives: int16/int32/float samples,
    shape (n,) or (n, channels), any rate."""
    a = np.asarray(audio)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max)
    a = a.astype(np.float32, copy=False)
    if a.ndim == 2:
        a = a.mean(axis=1) if a.shape[1] <= 8 else a.mean(axis=0)  # (n, ch); a (ch, n) array also works
    if sample_rate != SAMPLE_RATE and a.size:
        from math import gcd

        g = gcd(int(sample_rate), SAMPLE_RATE)
        a = resampler()(a, SAMPLE_RATE // g, int(sample_rate) // g).astype(np.float32)
    return a


def resampler():
    """scipy's polyphase resampler; its first import takes seconds, so streaming starts it early."""
    from scipy.signal import resample_poly

    return resample_poly


def read_wav(path: Path) -> np.ndarray:
    """A PCM WAV file as mono float32 at 16 kHz; a file that is not one is an
    ``AudioUnreadable`` sentence naming it (the only audio format read without ffmpeg)."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
            raw = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as e:
        raise AudioUnreadable(f"{path} is not a readable PCM WAV file ({e}); convert it, e.g. "
                                f"ffmpeg -i {Path(path).name} -ar 16000 -ac 1 out.wav") from None
    dtype = {1: np.uint8, 2: np.int16, 4: np.int32}.get(width)
    if dtype is None:
        raise AudioUnreadable(f"{path} has {8 * width}-bit samples; convert it to 16-bit PCM WAV")
    a = np.frombuffer(raw, dtype=dtype)
    if dtype is np.uint8:
        a = (a.astype(np.int16) - 128) * 256
    return to_mono16k(rate, a.reshape(-1, channels))


def write_wav(path: Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Mono float audio as a 16-bit PCM WAV file."""
    pcm = (np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
