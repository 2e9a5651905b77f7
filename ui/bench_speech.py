"""``coach bench --speech``: speech-to-text accuracy and speed on the spoken test set.

The reference answers (``evals.speech.spoken_items``: strong and partial answers of the grading set)
are read aloud by two local voices (piper's "joe" from the ``voice`` extra, Debian's espeak-ng),
cached as WAV files in ``<data_dir>/speech-bench/`` (git-ignored; nothing large is committed), then:

1. **accuracy**: each recording is replayed through ``StreamingTranscriber`` as the app uses it
   (segments cut at pauses), with the notes' vocabulary as prompt and without; word error rate
   overall and on the technical terms, real-time factor (processing time / audio length);
   **grades**: each transcript with the vocabulary graded as the interview grades it (same key points,
   the real embeddings) against the grade of the text that was read, per voice and style;
2. **latency**: answers joined into recordings of about ``long_seconds`` (two minutes) fed at the pace
   of speech in half-second chunks, with the chat model loaded; time from the end of speech to the
   complete transcript;
3. **stall**: the chat model's tokens/s alone and while a recording is transcribed in the background.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.settings import Settings
from evals.grading import grade_bank_answer
from evals.speech import GRADE_MARGIN, SPOKEN_STYLES, Errors, grade_gaps, spoken_form, spoken_items, term_errors, word_errors
from rag.interview.keypoints import split_key_points
from rag.speech.streaming import StreamingTranscriber
from rag.speech.stt import make_transcriber
from rag.speech.types import SAMPLE_RATE, read_wav, write_wav

CHUNK_SECONDS = 0.5  # what a streaming microphone delivers at a time
GENERATION_PROMPT = [{"role": "user", "content": "Explain in detail how you would monitor a model in production for drift."}]


def _voices(names: tuple[str, ...]):
    from rag.speech.tts import EspeakVoice, PiperVoice

    make = {"piper": PiperVoice, "espeak": EspeakVoice}
    return [make[n]() for n in names]


def _recording(voice, text: str, cache: Path) -> np.ndarray:
    key = hashlib.sha256(f"{voice.name}\n{text}".encode()).hexdigest()[:16]
    path = cache / voice.name / f"{key}.wav"
    if path.is_file():
        return read_wav(path)
    audio = voice.speak(spoken_form(text))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, audio)
    return read_wav(path)


def replay(transcriber, audio: np.ndarray, prompt: str, *, realtime: bool) -> object:
    """Feed ``audio`` in ``CHUNK_SECONDS`` chunks, at the pace of speech (``realtime``) or as fast as the
    segments are transcribed (same cuts as a live microphone whose transcriber keeps up); the transcript."""
    stream = StreamingTranscriber(transcriber, prompt=prompt)
    step = int(CHUNK_SECONDS * SAMPLE_RATE)
    t0 = time.perf_counter()
    for i, start in enumerate(range(0, len(audio), step)):
        stream.feed(audio[start:start + step])
        if realtime:
            time.sleep(max(0.0, t0 + (i + 1) * CHUNK_SECONDS - time.perf_counter()))
        else:
            stream.wait_idle()
    return stream.finish()


class _Foreground:
    """The transcriber with all its threads for every segment: the accuracy passes replay recordings as
    fast as they can, so the thread policy for a live microphone does not apply there."""

    def __init__(self, transcriber) -> None:
        self.transcriber = transcriber

    def transcribe(self, audio, *, prompt=None, background=False):
        return self.transcriber.transcribe(audio, prompt=prompt, background=False)

    def warm(self) -> None:
        self.transcriber.warm()


def _rate(e: Errors) -> float | None:
    return None if e.rate is None else round(100 * e.rate, 2)


def _generate_while(llm, busy: threading.Event | None) -> dict:
    """Tokens/s of the chat model: one answer, or answers one after another while ``busy`` is set."""
    tokens = 0
    t0 = time.perf_counter()
    while True:
        r = llm.raw_chat_completion(GENERATION_PROMPT, max_tokens=96, cache_prompt=False)
        tokens += (r.get("usage") or {}).get("completion_tokens", 0)
        if busy is None or not busy.is_set():
            break
    seconds = time.perf_counter() - t0
    return {"tokens": tokens, "seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds, 2)}


def bench_speech(settings: Settings, make_services: Callable[[Settings], object], *, split: str = "heldout",
                 limit: int | None = None, voices: tuple[str, ...] = ("piper", "espeak"),
                 long_seconds: float = 120.0, with_llm: bool = True, log=print) -> dict:
    services = make_services(settings)
    bank = {q.qid: q for q in services.question_bank()}
    vocabulary = services.vocabulary()
    items = [it for it in spoken_items(split, limit) if it["qid"] in bank]
    prompts = {it["id"]: vocabulary.prompt(bank[it["qid"]], split_key_points(bank[it["qid"]].answer)) for it in items}
    cache = settings.paths.data_dir / "speech-bench"
    t0 = time.perf_counter()
    transcriber = make_transcriber(settings.speech, settings.paths.model_cache_dir)
    figures: dict = {"cpu_count": os.cpu_count(), "load_average_start": [round(x, 2) for x in os.getloadavg()],
                     "speech_model": settings.speech.speech_model, "speech_threads": settings.speech.speech_threads,
                     "speech_background_threads": settings.speech.speech_background_threads,
                     "model_load_s": round(time.perf_counter() - t0, 2), "split": split, "answers": len(items)}
    recordings: dict[str, dict[str, np.ndarray]] = {}
    for voice in _voices(voices):
        log(f"{voice.name}: reading {len(items)} answers aloud (cached in {cache})…")
        recordings[voice.name] = {it["id"]: _recording(voice, it["text"], cache) for it in items}
    # 1. accuracy, with and without the notes' vocabulary
    said: dict[str, dict[str, str]] = {name: {} for name in recordings}
    for name, recs in recordings.items():
        for mode in ("prompt", "no_prompt"):
            log(f"{name}: transcribing {len(items)} answers ({mode.replace('_', ' ')})…")
            total, terms, busy, audio_s, worst = Errors(0, 0), Errors(0, 0), 0.0, 0.0, []
            for it in items:
                tr = replay(_Foreground(transcriber), recs[it["id"]], prompts[it["id"]] if mode == "prompt" else "", realtime=False)
                e, te = word_errors(it["text"], tr.text), term_errors(it["text"], tr.text)
                total, terms = total + e, terms + te
                busy, audio_s = busy + tr.seconds, audio_s + tr.audio_seconds
                worst.append((e.rate or 0.0, it["id"], tr.text))
                if mode == "prompt":
                    said[name][it["id"]] = tr.text
            worst.sort(reverse=True)
            figures[f"{name}_{mode}"] = {"wer_pct": _rate(total), "term_wer_pct": _rate(terms), "words": total.words,
                                         "term_words": terms.words, "audio_s": round(audio_s, 1),
                                         "real_time_factor": round(busy / audio_s, 3) if audio_s else None,
                                         "worst": [{"id": i, "wer_pct": round(100 * r, 1), "text": t} for r, i, t in worst[:2]]}
    both = [figures[f"{n}_prompt"] for n in recordings]
    figures["wer_pct"] = round(statistics.fmean(f["wer_pct"] for f in both), 2)
    figures["term_wer_pct"] = round(statistics.fmean(f["term_wer_pct"] for f in both), 2)
    log(f"grading {len(items)} texts and their {len(items) * len(said)} transcripts…")
    typed = {it["id"]: grade_bank_answer(it["text"], bank[it["qid"]], services.embeddings).score for it in items}
    figures["grades"] = {}
    for name, texts in said.items():
        rows = [{"id": it["id"], "style": it["style"], "text_score": typed[it["id"]],
                 "spoken_score": grade_bank_answer(texts[it["id"]], bank[it["qid"]], services.embeddings).score,
                 "transcript": texts[it["id"]]} for it in items]
        figures["grades"][name] = {**{s: grade_gaps([r for r in rows if r["style"] == s]) for s in SPOKEN_STYLES}, "answers": rows}
    # 2. latency at the pace of speech, chat model loaded; 3. the chat model's pace meanwhile
    llm = services.chat_model if with_llm else None
    if llm is not None and not hasattr(llm, "raw_chat_completion"):
        llm = None  # an endpoint model: loaded elsewhere, nothing here to stall
    figures["chat_model_loaded"] = llm is not None
    if llm is not None:
        figures["generation_alone"] = _generate_while(llm, None)
    for name, recs in recordings.items():
        gap = np.zeros(SAMPLE_RATE, dtype=np.float32)
        parts, ids = [], []
        for it in items:
            if sum(len(p) for p in parts) >= long_seconds * SAMPLE_RATE:
                break
            parts += [recs[it["id"]], gap]
            ids.append(it["id"])
        audio = np.concatenate(parts[:-1])
        prompt = prompts[ids[-1]]
        log(f"{name}: a {len(audio) / SAMPLE_RATE:.0f} s answer at the pace of speech (latency)…")
        tr = replay(transcriber, audio, prompt, realtime=True)
        figures[f"{name}_latency"] = {"audio_s": round(tr.audio_seconds, 1), "end_of_speech_to_transcript_s": round(tr.tail_seconds, 2),
                                      **tr.timings}
        if llm is not None and name == next(iter(recordings)):
            log(f"{name}: the same answer again while the chat model generates (stall)…")
            busy = threading.Event()
            busy.set()
            out: dict = {}
            gen = threading.Thread(target=lambda: out.update(_generate_while(llm, busy)))
            gen.start()
            tr = replay(transcriber, audio, prompt, realtime=True)
            busy.clear()
            gen.join()
            figures["generation_while_transcribing"] = out
            figures[f"{name}_latency_while_generating"] = {"end_of_speech_to_transcript_s": round(tr.tail_seconds, 2), **tr.timings}
    figures["latency_max_s"] = max(v["end_of_speech_to_transcript_s"] for k, v in figures.items() if k.endswith(("_latency", "_latency_while_generating")))
    figures["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def summary_lines(f: dict) -> list[str]:
    lines = [f"speech model: whisper {f['speech_model']} int8, {f['speech_threads']} threads "
             f"({f['speech_background_threads']} while the candidate speaks), {f['answers']} answers of the {f['split']} part, "
             f"load average {f['load_average_start']} -> {f['load_average_end']}"]
    for k, v in f.items():
        if k.endswith(("_prompt",)) and isinstance(v, dict):
            lines.append(f"{k}: WER {v['wer_pct']}% ({v['words']} words), terms {v['term_wer_pct']}% ({v['term_words']} words), "
                         f"real-time factor {v['real_time_factor']}")
    lines.append(f"WER (with the notes' vocabulary, mean of the voices): {f['wer_pct']}% (target <= 8%); "
                 f"on technical terms: {f['term_wer_pct']}% (target <= 10%)")
    lines += grade_lines(f["grades"])
    for k, v in f.items():
        if "latency" in k and isinstance(v, dict):
            lines.append(f"{k}: {v['end_of_speech_to_transcript_s']} s after the end of speech "
                         f"(tail {v['tail_audio_seconds']} s of audio, {v['calls']} calls)")
    if "generation_alone" in f:
        lines.append(f"chat model: {f['generation_alone']['tokens_per_s']} tokens/s alone, "
                     f"{f.get('generation_while_transcribing', {}).get('tokens_per_s')} tokens/s while transcribing")
    lines.append(f"worst end-of-speech latency: {f['latency_max_s']} s (target < 1.5 s)")
    return lines


def grade_lines(grades: dict, margin: int = GRADE_MARGIN) -> list[str]:
    """The grades part of the summary: each voice's gaps by style, then the target met or missed (every
    strong answer of every voice within ``margin`` points of its typed grade)."""
    lines = []
    for name, by_style in grades.items():
        for style in SPOKEN_STYLES:
            g = by_style[style]
            if g["n"]:
                worst = ", ".join(f"{w['id']} {w['text_score']} -> {w['spoken_score']}" for w in g["worst"])
                lines.append(f"{name} {style} grades, spoken vs typed: mean |difference| {g['mean_abs_diff']}, max {g['max_abs_diff']}, "
                             f"mean {g['mean_diff']:+}, {100 * g['within_margin']:.0f}% within {margin} points of {g['n']} (worst: {worst})")
    strong = {name: by_style["strong"] for name, by_style in grades.items() if by_style["strong"]["n"]}
    if not strong:
        return [*lines, f"strong answers: spoken within {margin} points of typed: not measured (no strong answer)"]
    verdict = ", ".join(f"{name} {'met' if g['max_abs_diff'] <= margin else 'missed'}" for name, g in strong.items())
    met = all(g["max_abs_diff"] <= margin for g in strong.values())
    return [*lines, f"strong answers: spoken within {margin} points of typed (every answer): {'met' if met else 'missed'} ({verdict})"]
