"""Shared fakes.  Unit tests use these; integration tests use the real models (see markers)."""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from core.env import set_offline_defaults

set_offline_defaults()  # the test session is an entry point too

_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbeddings(Embeddings):
    """Deterministic bag-of-words hashing embeddings: texts sharing words are similar.

    Good enough for testing ranking, fusion and grading logic without a model.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls = 0  # number of texts embedded, to assert incremental behaviour

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dim
        for w in _WORD.findall(text.lower()):
            h = int(hashlib.md5(w.encode()).hexdigest(), 16)
            v[h % self.dim] += 1.0
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / n for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += len(texts)
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


# Settings on FakeEmbeddings' cosine scale (shared words, not meaning): the coverage gate low, the
# "not in your notes" mark off (its own tests set it), and so the refusal of an answer not found in
# the notes (the canned answers are not written from the fake notes; its own tests set it).
FAKE_SCALE = {"min_relevance": 0.05, "mark_unsupported_below": 0.0, "refuse_ungrounded": False}


@pytest.fixture
def fake_embeddings() -> FakeEmbeddings:
    return FakeEmbeddings()


def on_topic_answer(item) -> str:
    """A short answer in the words of ``item``'s first key point: on topic under FakeEmbeddings
    (which only see shared words) but missing the other points, as a partial spoken answer would."""
    from rag.interview.keypoints import split_key_points

    points = split_key_points(item.answer) if item.answer.strip() else []
    return "I think " + (points[0] if points else item.question)


# --- chat model fakes ------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]


def fake_chat(*replies: str) -> GenericFakeChatModel:
    """A chat model that streams the given replies in turn (word by word), then repeats the last."""
    replies = list(replies) or ["OK [1]."]

    def gen():
        i = 0
        while True:
            yield AIMessage(replies[min(i, len(replies) - 1)])
            i += 1

    return GenericFakeChatModel(messages=gen())


class ExplodingChat(GenericFakeChatModel):
    """Fails the test if the chain calls the model (e.g. for an out-of-scope question)."""

    def _stream(self, *a, **k):
        raise AssertionError("the chat model must not be called here")

    def _generate(self, *a, **k):
        raise AssertionError("the chat model must not be called here")


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """Two real note files (one with mojibake headings) in a fresh folder."""
    d = tmp_path / "corpus"
    d.mkdir()
    for name in ("001_96c6a94c357aef9e.txt", "003_eba972981bf49b22.txt"):
        (d / name).write_bytes((ROOT / "corpus" / name).read_bytes())
    return d


@pytest.fixture
def fake_services(tmp_path, small_corpus, fake_embeddings):
    """Services over the small corpus with fake embeddings and a canned chat model, already indexed."""
    from rag.services import build_services
    from core.settings import Settings

    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", **FAKE_SCALE)
    services = build_services(settings, embeddings=fake_embeddings,
                              chat_model=fake_chat("MLOps combines ML and DevOps [1]. It versions models [2][9]."))
    services.ingest()
    return services


@pytest.fixture(scope="session")
def real_services(tmp_path_factory):
    """The real MiniLM model and a real Chroma store over the real corpus (chat model: the real
    default, loaded only if a test touches ``services.chat_model``)."""
    from rag.services import build_services
    from core.settings import Settings

    data = tmp_path_factory.mktemp("real-data")
    settings = Settings(corpus_dir=ROOT / "corpus", data_dir=data, seed=1)  # repeatable model output
    shared_models = ROOT / ".coach-data" / "models"
    if shared_models.exists():  # reuse an already assembled model file instead of re-joining 1 GB
        (data / "models").symlink_to(shared_models, target_is_directory=True)
    services = build_services(settings)
    services.ingest()
    return services


# --- the UI's fakes: a canned chat model and a running app over a two-note corpus -------------
ANSWER = "Canary shifts traffic gradually [1]. Blue-green swaps environments [2]."
# "{notes_start}" becomes the first words of note [1], so the follow-up is about the notes
FEEDBACK = "Feedback: Good start.\nFollow-up: What else do your notes say about {notes_start}?"
CORPUS_FILES = ("003_eba972981bf49b22.txt", "004_acdbecc340a2dbb9.txt")


class CannedChat(BaseChatModel):
    """Streams a canned answer with citations, or canned interviewer feedback, word by word."""

    answer: str = ANSWER
    feedback: str = FEEDBACK
    calls: int = 0
    last_prompt: str = ""

    @property
    def _llm_type(self) -> str:
        return "canned"

    def _pick(self, messages) -> str:
        self.calls += 1
        text = self.last_prompt = " ".join(str(m.content) for m in messages)
        if "Candidate's answer" not in text:
            return self.answer
        block = re.search(r"^\[1\][^\n]*\n(.*?)(?:\n\n|\Z)", text, re.M | re.S)
        words = [w for w in re.findall(r"[A-Za-z][\w-]*", block.group(1) if block else "") if w not in ("Answer", "A", "Q")]
        start = " ".join(words[:10]) or "it"
        return self.feedback.replace("{notes_start}", start)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._pick(messages)))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        for piece in re.findall(r"\S+\s*", self._pick(messages)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


class PrefillingChat(CannedChat):
    """CannedChat that can also prefill (like the local llama.cpp model): records every prefilled
    prefix and every prompt it answered, as lists of messages."""

    prefills: list = []
    prompts: list = []

    def prefill(self, messages) -> dict:
        self.prefills = [*self.prefills, list(messages)]
        return {}

    def _pick(self, messages) -> str:
        self.prompts = [*self.prompts, list(messages)]
        return super()._pick(messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_corpus(folder: Path, names=CORPUS_FILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(ROOT / "corpus" / name, folder / name)
    return folder


def speech_audio(seconds: float):
    """Audio for ``ScriptTranscriber``: sample i has the value (i // 160) / 32767 (its time in
    centiseconds, exact in 16-bit PCM too), so the fake knows exactly where in an answer any piece of
    it starts, however the audio was cut and converted."""
    import numpy as np

    from rag.speech.types import SAMPLE_RATE

    n = int(seconds * SAMPLE_RATE)
    assert n < 32767 * 160, "at most 327 s"
    return ((np.arange(n) // 160) / 32767).astype(np.float32)


def speech_audio_start(audio) -> float:
    """Where a piece of ``speech_audio`` starts, in seconds."""
    import numpy as np

    from rag.speech.types import SAMPLE_RATE

    k = np.round(np.asarray(audio, dtype=np.float64) * 32767).astype(np.int64)
    steps = np.nonzero(np.diff(k))[0]
    first = int(k[steps[0] + 1]) * 160 - int(steps[0] + 1) if len(steps) else int(k[0]) * 160
    return first / SAMPLE_RATE


class ScriptTranscriber:
    """Speech-to-text that "hears" ``script`` said at ``words_per_second`` in ``speech_audio``: a call
    returns the script's words that start within the piece of audio it is given (timed from the
    piece's start), so streamed and whole transcriptions agree whatever the order of the calls.
    ``pause_after``: {word index: seconds of silence after it}.  Records each call."""

    def __init__(self, script: str = "", words_per_second: float = 2.5, pause_after: dict | None = None) -> None:
        self.calls: list[dict] = []
        self.hear(script, words_per_second, pause_after)

    def hear(self, script: str, words_per_second: float = 2.5, pause_after: dict | None = None) -> None:
        """What the next recordings say."""
        self.words = script.split()
        t, self.times = 0.0, []
        for i, _w in enumerate(self.words):
            self.times.append((t, t + 0.8 / words_per_second))
            t += 1 / words_per_second + (pause_after or {}).get(i, 0.0)
        self.seconds = t

    def warm(self) -> None:
        self.warmed = True

    def transcribe(self, audio, *, prompt=None, background=False):
        from rag.speech.types import SAMPLE_RATE, Segment, Transcript, Word

        n = len(audio) / SAMPLE_RATE
        start = speech_audio_start(audio) if len(audio) else 0.0
        self.calls.append({"start": start, "seconds": n, "prompt": prompt, "background": background})
        words = tuple(Word(w, a - start, b - start) for w, (a, b) in zip(self.words, self.times) if start <= a < start + n)
        segs = (Segment(" ".join(w.text for w in words), words[0].start, words[-1].end, words),) if words else ()
        return Transcript(" ".join(w.text for w in words), segs, n, 0.01)


class ToneTranscriber:
    """Speech-to-text that hears one word ("w1", "w2", ...) per burst of sound between pauses, timed
    within the audio it is given; records every call.  ``delay``: seconds each call takes."""

    def __init__(self, delay: float = 0.0):
        self.calls: list[dict] = []
        self.delay = delay
        self.counter = 0
        self.lock = threading.Lock()
        self.started = threading.Event()  # set when a first call begins

    def warm(self) -> None:
        pass

    def transcribe(self, audio, *, prompt=None, background=False):
        from rag.speech.streaming import quiet_frames
        from rag.speech.types import SAMPLE_RATE, Segment, Transcript, Word

        self.started.set()
        time.sleep(self.delay)
        quiet = quiet_frames(audio)
        words, start = [], None
        for i, q in enumerate(list(quiet) + [True]):
            if not q and start is None:
                start = i
            elif q and start is not None:
                with self.lock:
                    self.counter += 1
                    n = self.counter
                words.append(Word(f"w{n}", start * 0.03, i * 0.03))
                start = None
        self.calls.append({"seconds": len(audio) / SAMPLE_RATE, "prompt": prompt, "background": background})
        seg = (Segment(" ".join(w.text for w in words), words[0].start, words[-1].end, tuple(words)),) if words else ()
        return Transcript(seg[0].text if seg else "", seg, len(audio) / SAMPLE_RATE, self.delay)


def app_services(base: Path, chat_model=None, embeddings=None, corpus: Path | None = None, transcriber=None,
                 real_speech: bool = False, **settings):
    """Services over ``corpus`` (default: a copy of the two test notes in ``base``) with fake
    embeddings and ``chat_model`` (default: ``CannedChat``), ingested; the app tests' starting point.
    Speech: ``transcriber`` (default: a ``ScriptTranscriber`` that hears nothing), or the real
    whisper model with ``real_speech``."""
    from core.settings import Settings
    from rag.services import build_services

    config = Settings(corpus_dir=corpus or make_corpus(base / "corpus"), data_dir=base / "data",
                      **{**FAKE_SCALE, **settings})
    services = build_services(config, embeddings=embeddings or FakeEmbeddings(dim=4096),
                              chat_model=chat_model or CannedChat(),
                              transcriber=None if real_speech else transcriber or ScriptTranscriber(""))
    services.ingest()
    return services


@contextmanager
def served(services, warm: bool = True):
    """The app of ``services`` on a free local port; yields its URL and closes it afterwards."""
    from ui.app import build_app, launch

    demo = build_app(services.settings, services, warm=warm)
    launch(demo, services.settings, server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield demo.local_url
    finally:
        demo.close()


@pytest.fixture
def ui_services(tmp_path_factory):
    """Services on a two-note corpus with fake embeddings and the canned chat model, ingested."""
    return app_services(tmp_path_factory.mktemp("ui-app"), upload_max_bytes=20_000)


@pytest.fixture
def running_app(ui_services):
    """The app served on a free local port; yields its URL and closes it afterwards."""
    with served(ui_services) as url:
        yield url


# --- a ragas judge LLM (ragas is imported only by the tests that use it) ----------------------
def fake_ragas_llm(statements: list[str], verdicts: list[int], fail: Exception | None = None):
    """A ragas instructor LLM that returns canned statements, then canned 0/1 verdicts for them,
    and records the prompts it was sent (or raises ``fail``)."""
    from ragas.llms.base import InstructorBaseRagasLLM

    class FakeRagasLLM(InstructorBaseRagasLLM):
        def __init__(self) -> None:
            self.prompts: list[str] = []

        def generate(self, prompt, response_model):
            self.prompts.append(prompt)
            if fail is not None:
                raise fail
            if response_model.__name__ == "StatementGeneratorOutput":
                return response_model(statements=statements)
            return response_model(statements=[{"statement": s, "reason": "canned", "verdict": v}
                                              for s, v in zip(statements, verdicts)])

        async def agenerate(self, prompt, response_model):
            return self.generate(prompt, response_model)

    return FakeRagasLLM()


# --- no silent skips: a skipped test fails the run (CI reads the exit code) ---------------------
_SKIPPED: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append(f"{report.nodeid}: {report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr}")


def pytest_terminal_summary(terminalreporter):
    if _SKIPPED:
        terminalreporter.write_line(f"FAILED: {len(_SKIPPED)} test(s) skipped; a skip fails the run:", red=True)
        for line in _SKIPPED:
            terminalreporter.write_line(f"  {line}", red=True)


def pytest_sessionfinish(session, exitstatus):
    if _SKIPPED and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
