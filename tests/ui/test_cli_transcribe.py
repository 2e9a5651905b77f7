"""`coach transcribe FILE.wav [--json]` through the real entry point, with a fake transcriber."""

import json

import numpy as np
from typer.testing import CliRunner

from core.errors import SpeechUnavailable
from evals.golden import DATA
from rag.speech import stt
from rag.speech.types import Segment, Transcript, Word
from ui.cli import app

runner = CliRunner()
CLIP = DATA / "spoken_clip.wav"


class Fake:
    def __init__(self):
        self.heard = []

    def transcribe(self, audio, *, prompt=None, background=False):
        self.heard.append((len(audio), prompt))
        words = (Word("We", 0.1, 0.3), Word("log", 0.3, 0.5), Word("MLflow.", 0.6, 1.1))
        return Transcript("We log MLflow.", (Segment("We log MLflow.", 0.1, 1.1, words),), len(audio) / 16_000, 0.25)


def test_transcribe_prints_the_text_and_json_with_word_timings(monkeypatch, tmp_path):
    fake = Fake()
    monkeypatch.setattr(stt, "make_transcriber", lambda speech, models_dir: fake)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_SPEECH_HOTWORDS", "false")
    plain = runner.invoke(app, ["transcribe", str(CLIP)])
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.strip() == "We log MLflow."
    result = runner.invoke(app, ["transcribe", str(CLIP), "--json"])
    data = json.loads(result.stdout)
    assert data["segments"][0]["words"][2] == {"text": "MLflow.", "start": 0.6, "end": 1.1}
    assert data["audio_seconds"] == round(fake.heard[0][0] / 16_000, 3) and 6 < data["audio_seconds"] < 8
    assert data["seconds"] == 0.25 and data["prompt"] == "" and fake.heard[0][1] is None


def test_transcribe_without_the_extra_or_with_a_bad_file_is_one_error_line(monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))

    def unavailable(speech, models_dir):
        raise SpeechUnavailable("Speech input needs faster-whisper: install the speech extra.")

    monkeypatch.setattr(stt, "make_transcriber", unavailable)
    result = runner.invoke(app, ["transcribe", str(CLIP)])
    assert result.exit_code == 1 and "error: Speech input needs faster-whisper" in result.output
    assert "Traceback" not in result.output
    bad = tmp_path / "x.wav"
    bad.write_bytes(np.zeros(10, dtype=np.uint8).tobytes())
    result = runner.invoke(app, ["transcribe", str(bad)])
    assert result.exit_code == 1 and "not a readable PCM WAV" in result.output
