"""The real embedded 1.5B model, assembled from its PyPI parts and run with xllamacpp (one load for the module).

Temperature 0 and seed 1: every generation is checked for what it says (a one-sentence
definition of a Python list), not only for its plumbing, so a request that loses the question,
or a cancelled generation that leaks into the next one, fails here."""

from __future__ import annotations

import re

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
_DEFINING = re.compile(r"\b(ordered|mutable|sequence|collection|items|elements|values)\b", re.I)


def assert_defines_a_list(text: str) -> None:
    """The answer to PROMPT: a Python list, said with what it is (not a greeting, not another topic)."""
    assert re.search(r"\blists?\b", text, re.I) and _DEFINING.search(text), text


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("llm-data"), max_tokens=40, temperature=0.0, n_ctx=2048, seed=1)


@pytest.fixture(scope="module")
def model(settings):
    loads_before = xllama.load_count()
    # assembles ~1.1 GB into the model cache dir, then loads once
    m = make_chat_model(settings.chat, settings.paths.model_cache_dir)
    assert xllama.load_count() == loads_before + 1
    yield m
    # free the 1.1 GB copy (pytest keeps the last 3 tmp dirs)
    xllama.release_servers()
    for f in settings.paths.model_cache_dir.glob("*.gguf*"):
        f.unlink()


def test_model_was_assembled_and_verified(model, settings):
    path = settings.paths.model_cache_dir / "qwen2.5-coder-1.5b.gguf"
    assert model.model_path == str(path)
    assert path.stat().st_size == 1_117_320_768
    assert "cc324af070c2ecbf" in (settings.paths.model_cache_dir / "qwen2.5-coder-1.5b.gguf.sha256").read_text()


def test_stream_delivers_tokens_and_usage(model):
    chunks = list(model.stream(PROMPT))
    texts = [c.content for c in chunks if c.content]
    assert len(texts) > 1, "expected several streamed deltas"
    answer = "".join(texts)
    assert_defines_a_list(answer)
    assert len(re.findall(r"[.!?](?:\s|$)", answer.strip())) == 1, answer  # "in one sentence"
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last.usage_metadata["input_tokens"] > 10
    assert 0 < last.usage_metadata["output_tokens"] <= 40
    timings = last.response_metadata["timings"]
    assert timings["predicted_n"] == last.usage_metadata["output_tokens"]
    assert timings["predicted_per_second"] > 0


def test_invoke_returns_a_full_message(model):
    msg = model.invoke(PROMPT)
    assert isinstance(msg, AIMessage)
    assert_defines_a_list(msg.content)
    assert msg.usage_metadata["output_tokens"] > 0 and msg.usage_metadata["input_tokens"] > 10
    assert msg.response_metadata["finish_reason"] in ("stop", "length")
    assert "prompt_per_second" in msg.response_metadata["timings"]


def test_second_instance_reuses_the_loaded_server(model, settings):
    loads = xllama.load_count()
    chat = settings.chat
    other = XLlamaChatModel(
        model_path=model.model_path, n_ctx=chat.n_ctx, n_threads=chat.n_threads, max_tokens=8, temperature=0.0, seed=1
    )
    assert other.load() is model.load()
    short = other.invoke(PROMPT)
    assert re.search(r"\blist\b", short.content, re.I) and short.usage_metadata["output_tokens"] <= 8, short.content
    again = make_chat_model(chat, settings.paths.model_cache_dir)
    assert again.load() is model.load()
    assert xllama.load_count() == loads


def test_stop_early_then_generate_again(model):
    long_q = [HumanMessage("Count from 1 to 200, separated by commas.")]
    got = []
    for chunk in model.stream(long_q, max_tokens=200):
        got.append(chunk.content)
        if len(got) == 3:
            break  # generator closed: the server task is cancelled and the lock freed
    assert "".join(got).startswith("1"), got  # it was counting
    msg = model.invoke(PROMPT)
    assert_defines_a_list(msg.content)  # the new generation answers the new prompt ...
    assert not re.search(r"\b\d+\s*,\s*\d+", msg.content), msg.content  # ... with nothing of the count in it
    assert msg.usage_metadata["output_tokens"] <= 40


def test_raw_chat_completion_on_the_same_prompt(model):
    seen = []
    raw = model.raw_chat_completion(PROMPT, max_tokens=20, stream_callback=lambda c: seen.append(c) and False)
    assert_defines_a_list(raw["choices"][0]["message"]["content"])
    assert raw["timings"]["predicted_n"] <= 20 and len(seen) > 2
    plain = model.raw_chat_completion(PROMPT, max_tokens=5)
    assert plain["usage"]["completion_tokens"] <= 5
    assert re.search(r"\blist\b", plain["choices"][0]["message"]["content"], re.I), plain["choices"]


def test_prompt_over_the_context_is_a_clear_error(model):
    with pytest.raises(ChatModelError, match="exceeds the available context size") as err:
        model.invoke([HumanMessage("word " * 3000)])
    assert err.value.kind == "exceed_context_size_error"
