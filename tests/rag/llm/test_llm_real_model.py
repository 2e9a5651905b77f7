"""The real embedded 1.5B model, assembled from its PyPI parts and run with xllamacpp (one load for the module)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from rag.llm import make_chat_model
from rag.llm import xllama
from rag.llm.xllama import XLlamaChatModel, ChatModelError
from core.settings import Settings

pytestmark = pytest.mark.slow

PROMPT = [
    SystemMessage("You are a concise interview coach."),
    HumanMessage("In one sentence: what is a Python list?"),
]


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("llm-data"), max_tokens=40, temperature=0.0, n_ctx=2048)


@pytest.fixture(scope="module")
def model(settings):
    loads_before = xllama.load_count()
    m = make_chat_model(settings)  # assembles ~1.1 GB into settings.model_cache_dir, then loads once
    assert xllama.load_count() == loads_before + 1
    yield m
    # free the 1.1 GB copy (pytest keeps the last 3 tmp dirs)
    xllama.release_servers()
    for f in settings.model_cache_dir.glob("*.gguf*"):
        f.unlink()


def test_model_was_assembled_and_verified(model, settings):
    path = settings.model_cache_dir / "qwen2.5-coder-1.5b.gguf"
    assert model.model_path == str(path)
    assert path.stat().st_size == 1_117_320_768
    assert "cc324af070c2ecbf" in (settings.model_cache_dir / "qwen2.5-coder-1.5b.gguf.sha256").read_text()


def test_stream_delivers_tokens_and_usage(model):
    chunks = list(model.stream(PROMPT))
    texts = [c.content for c in chunks if c.content]
    assert len(texts) > 1, "expected several streamed deltas"
    answer = "".join(texts)
    assert answer.strip()
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last.usage_metadata["input_tokens"] > 10
    assert 0 < last.usage_metadata["output_tokens"] <= 40
    timings = last.response_metadata["timings"]
    assert timings["predicted_n"] == last.usage_metadata["output_tokens"]
    assert timings["predicted_per_second"] > 0


def test_invoke_returns_a_full_message(model):
    msg = model.invoke(PROMPT)
    assert isinstance(msg, AIMessage) and msg.content.strip()
    assert msg.usage_metadata["output_tokens"] > 0 and msg.usage_metadata["input_tokens"] > 10
    assert msg.response_metadata["finish_reason"] in ("stop", "length")
    assert "prompt_per_second" in msg.response_metadata["timings"]


def test_second_instance_reuses_the_loaded_server(model, settings):
    loads = xllama.load_count()
    other = XLlamaChatModel(
        model_path=model.model_path, n_ctx=settings.n_ctx, n_threads=settings.n_threads, max_tokens=8, temperature=0.0
    )
    assert other.load() is model.load()
    assert other.invoke(PROMPT).content.strip()
    again = make_chat_model(settings)
    assert again.load() is model.load()
    assert xllama.load_count() == loads


def test_stop_early_then_generate_again(model):
    long_q = [HumanMessage("Count from 1 to 200, separated by commas.")]
    got = []
    for chunk in model.stream(long_q, max_tokens=200):
        got.append(chunk.content)
        if len(got) == 3:
            break  # generator closed: the server task is cancelled and the lock freed
    msg = model.invoke(PROMPT)
    assert msg.content.strip()
    assert msg.usage_metadata["output_tokens"] <= 40


def test_raw_chat_completion_on_the_same_prompt(model):
    seen = []
    raw = model.raw_chat_completion(PROMPT, max_tokens=20, stream_callback=lambda c: seen.append(c) and False)
    assert raw["choices"][0]["message"]["content"].strip()
    assert raw["timings"]["predicted_n"] <= 20 and len(seen) > 2
    plain = model.raw_chat_completion(PROMPT, max_tokens=5)
    assert plain["usage"]["completion_tokens"] <= 5


def test_prompt_over_the_context_is_a_clear_error(model):
    with pytest.raises(ChatModelError, match="exceeds the available context size") as err:
        model.invoke([HumanMessage("word " * 3000)])
    assert err.value.kind == "exceed_context_size_error"
