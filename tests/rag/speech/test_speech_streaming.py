"""Transcribing while the candidate speaks: where segments are cut, what the tail is, the prompts given,
with a fake transcriber that 'hears' one word per burst of tone."""

import threading
import time

import numpy as np
import pytest

from conftest import ToneTranscriber
from rag.speech.streaming import StreamingTranscriber, find_cut, quiet_frames
from rag.speech.types import SAMPLE_RATE, Segment, Transcript, Word, to_mono16k


def tone(seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def speech(words: int, word_s: float = 0.4, gap_s: float = 0.1) -> np.ndarray:
    return np.concatenate([np.concatenate([tone(word_s), silence(gap_s)]) for _ in range(words)])


def test_find_cut_waits_for_min_length_then_cuts_in_the_last_pause():
    audio = np.concatenate([speech(5), silence(0.6), speech(5), silence(0.6), speech(2)])
    assert find_cut(audio[: 2 * SAMPLE_RATE], min_segment=4, max_segment=20, pause=0.3) is None
    cut = find_cut(audio, min_segment=2, max_segment=20, pause=0.3)
    second_pause = (2.5 + 0.6 + 2.5) * SAMPLE_RATE
    assert second_pause < cut < second_pause + 0.6 * SAMPLE_RATE  # inside the later of the two pauses


def test_find_cut_without_a_pause_cuts_at_the_quietest_point_once_max_length_is_reached():
    audio = np.concatenate([tone(7), tone(0.2, level=0.01), tone(6)])
    assert find_cut(audio[: 6 * SAMPLE_RATE], min_segment=2, max_segment=10, pause=0.3) is None
    cut = find_cut(audio, min_segment=2, max_segment=10, pause=0.3)
    assert 7 * SAMPLE_RATE <= cut <= 7.2 * SAMPLE_RATE


def test_stream_transcribes_segments_in_the_background_and_only_the_tail_at_the_end():
    fake = ToneTranscriber()
    stream = StreamingTranscriber(fake, prompt="MLflow, DVC.", min_segment=2.0)
    audio = np.concatenate([speech(6), silence(0.5), speech(6), silence(0.5), speech(3)])
    for start in range(0, len(audio), SAMPLE_RATE // 2):
        stream.feed(audio[start:start + SAMPLE_RATE // 2])
        assert stream.wait_idle(timeout=5)
    result = stream.finish()
    assert result.text.split() == [f"w{i}" for i in range(1, 16)]  # every word once, in order
    assert [c["background"] for c in fake.calls] == [True] * (len(fake.calls) - 1) + [False]
    assert len(fake.calls) >= 3 and fake.calls[-1]["seconds"] < 2.5  # the tail: the last words only
    assert result.timings["tail_audio_seconds"] == pytest.approx(fake.calls[-1]["seconds"], abs=0.01)
    assert {c["prompt"] for c in fake.calls} == {"MLflow, DVC."}  # the vocabulary; not the words said before
    words = result.words
    assert all(a.end <= b.start for a, b in zip(words, words[1:]))  # timings shifted onto one clock
    assert words[-1].end == pytest.approx(len(audio) / SAMPLE_RATE, abs=0.15)
    assert result.audio_seconds == pytest.approx(len(audio) / SAMPLE_RATE)


def test_finish_does_not_wait_for_the_segment_in_flight_before_starting_the_tail():
    fake = ToneTranscriber(delay=0.6)
    stream = StreamingTranscriber(fake, min_segment=2.0)
    stream.feed(np.concatenate([speech(6), silence(0.5)]))
    assert fake.started.wait(10)  # the worker has taken the first segment
    stream.feed(speech(2))
    t0 = time.perf_counter()
    result = stream.finish()
    assert time.perf_counter() - t0 < 1.1  # in parallel: about one delay, not two
    assert result.timings["segment_in_flight_at_end"] is True
    assert len(result.text.split()) == 8


def test_feed_accepts_gradio_microphone_chunks_and_refuses_audio_after_finish():
    fake = ToneTranscriber()
    stream = StreamingTranscriber(fake)
    pcm = (speech(3) * 32767).astype(np.int16)
    stereo48k = np.repeat(to_mono16k(SAMPLE_RATE, pcm)[:, None], 2, axis=1)
    stream.feed((48_000, np.repeat((stereo48k * 32767).astype(np.int16), 3, axis=0)))
    assert stream.audio_seconds == pytest.approx(len(pcm) / SAMPLE_RATE, abs=0.01)
    assert len(stream.finish().text.split()) == 3
    with pytest.raises(RuntimeError):
        stream.feed(pcm)


def test_a_failing_transcriber_is_reported_by_finish():
    class Broken(ToneTranscriber):
        def transcribe(self, audio, **kw):
            raise ValueError("boom")

    stream = StreamingTranscriber(Broken(), min_segment=1.0)
    stream.feed(np.concatenate([speech(4), silence(0.5), speech(1)]))
    with pytest.raises(ValueError):
        stream.finish()


def test_a_second_recording_follows_the_first_in_one_transcript():
    a = Transcript("one two", (Segment("one two", 0.5, 1.5, (Word("one", 0.5, 0.9), Word("two", 1.0, 1.5))),), 2.0, 0.1)
    b = Transcript("three", (Segment("three", 0.2, 0.6, (Word("three", 0.2, 0.6),)),), 1.0, 0.05, tail_seconds=0.3)
    both = a.then(b)
    assert both.text == "one two three" and both.audio_seconds == 3.0 and both.tail_seconds == 0.3
    assert [(w.text, w.start) for w in both.words] == [("one", 0.5), ("two", 1.0), ("three", 2.2)]


def test_a_closed_stream_stops_its_worker_and_refuses_more_audio():
    fake = ToneTranscriber()
    stream = StreamingTranscriber(fake, min_segment=2.0)
    stream.feed(speech(3))
    stream.close()
    stream._worker.join(10)
    assert not stream._worker.is_alive()
    with pytest.raises(RuntimeError):
        stream.feed(speech(1))
