"""Fixtures of the UI tests: a canned chat model, a small notes folder, a running app."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import sys
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ANSWER = "Canary shifts traffic gradually [1]. Blue-green swaps environments [2]."
FEEDBACK = "Feedback: Good start.\nFollow-up: How would you roll it back automatically?"
CORPUS_FILES = ("003_eba972981bf49b22.txt", "004_acdbecc340a2dbb9.txt")


def load_fake_embeddings():
    """``FakeEmbeddings`` of tests/conftest.py, loaded by path (every conftest is called "conftest")."""
    spec = importlib.util.spec_from_file_location("_coach_tests_root_conftest", ROOT / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FakeEmbeddings


class CannedChat(BaseChatModel):
    """Streams a canned answer with citations, or canned interviewer feedback, word by word."""

    answer: str = ANSWER
    feedback: str = FEEDBACK
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "canned"

    def _pick(self, messages) -> str:
        self.calls += 1
        text = " ".join(str(m.content) for m in messages)
        return self.feedback if "Candidate's answer" in text else self.answer

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._pick(messages)))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        for piece in re.findall(r"\S+\s*", self._pick(messages)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_corpus(folder: Path, names=CORPUS_FILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(ROOT / "corpus" / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def fake_services(tmp_path_factory):
    """Services on a two-note corpus with fake embeddings and the canned chat model, ingested."""
    from rag.services import build_services
    from rag.settings import Settings

    base = tmp_path_factory.mktemp("ui-app")
    settings = Settings(corpus_dir=make_corpus(base / "corpus"), data_dir=base / "data", min_relevance=0.05,
                        upload_max_bytes=20_000)
    services = build_services(settings, embeddings=load_fake_embeddings()(dim=4096), chat_model=CannedChat())
    services.ingest()
    return services


@pytest.fixture(scope="module")
def running_app(fake_services):
    """The app served on a free local port; yields its URL and closes it afterwards."""
    from ui.app import build_app, launch

    demo = build_app(fake_services.settings, fake_services)
    launch(demo, fake_services.settings, server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield demo.local_url
    finally:
        demo.close()
