"""The real whisper model on a short committed clip (evals/data/spoken_clip.wav, piper's voice reading
evals/data/spoken_clip.txt): the jargon a broken build or a missing prompt gets wrong."""

import pytest

from core.settings import SpeechSettings
from evals.golden import DATA
from evals.speech import word_errors
from rag.speech.jargon import initial_prompt
from rag.speech.streaming import StreamingTranscriber
from rag.speech.stt import make_transcriber
from rag.speech.types import SAMPLE_RATE, read_wav

pytestmark = pytest.mark.slow
CLIP, REFERENCE = DATA / "spoken_clip.wav", (DATA / "spoken_clip.txt").read_text().strip()
PROMPT = initial_prompt(None, ["MLflow", "DVC", "PSI", "Kubeflow"], subject="MLOps")


@pytest.fixture(scope="module")
def transcriber(tmp_path_factory):
    return make_transcriber(SpeechSettings(speech_threads=2), tmp_path_factory.mktemp("models"))  # the default model


def test_whole_clip_spells_the_notes_terms_with_word_timings(transcriber):
    result = transcriber.transcribe(read_wav(CLIP), prompt=PROMPT)
    for term in ("MLflow", "DVC", "PSI", "0.2"):
        assert term in result.text, result.text
    assert word_errors(REFERENCE, result.text).rate <= 0.15, result.text
    words = result.words
    assert len(words) >= 12 and all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert 0 <= words[0].start < 1.0 and words[-1].end <= result.audio_seconds + 0.1


def test_streamed_clip_gives_the_same_words_after_a_short_tail(transcriber):
    audio = read_wav(CLIP)
    stream = StreamingTranscriber(transcriber, prompt=PROMPT, min_segment=2.0)
    for start in range(0, len(audio), SAMPLE_RATE // 2):
        stream.feed(audio[start:start + SAMPLE_RATE // 2])
        stream.wait_idle(timeout=60)
    result = stream.finish()
    assert result.timings["calls"] >= 2  # at least one segment was transcribed before the end
    assert "MLflow" in result.text and "DVC" in result.text, result.text
    assert word_errors(REFERENCE, result.text).rate <= 0.2, result.text
    assert result.timings["tail_audio_seconds"] < result.audio_seconds
