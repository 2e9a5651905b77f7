"""XLlamaChatModel against a fake xllamacpp server: message conversion, streaming, cancel, errors."""

from __future__ import annotations

import threading
import time

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, ChatMessage, HumanMessage, SystemMessage, ToolMessage

from rag.llm import xllama
from rag.llm.xllama import LoadedServer, XLlamaChatModel, ChatModelError, to_openai_messages

USAGE = {"completion_tokens": 3, "prompt_tokens": 12, "total_tokens": 15, "prompt_tokens_details": {"cached_tokens": 4}}
TIMINGS = {"cache_n": 4, "prompt_n": 8, "prompt_ms": 100.0, "prompt_per_second": 80.0, "predicted_n": 3,
           "predicted_ms": 120.0, "predicted_per_second": 25.0}


def _chunk(delta: dict, finish=None) -> dict:
    return {"choices": [{"finish_reason": finish, "index": 0, "delta": delta}], "id": "chatcmpl-x",
            "object": "chat.completion.chunk"}


class FakeServer:
    """Mimics xllamacpp.Server.handle_chat_completions (chunk shapes copied from the real one)."""

    def __init__(self, pieces=("Hello", " there", "!"), error: dict | None = None, raise_exc: Exception | None = None):
        self.pieces = list(pieces)
        self.error = error
        self.raise_exc = raise_exc
        self.requests: list[dict] = []
        self.cancelled_at: int | None = None
        self.gate: threading.Event | None = None  # if set, wait on it after the first piece
        self.finished = threading.Event()

    def handle_chat_completions(self, request, callback=None):
        self.requests.append(request)
        try:
            if self.raise_exc:
                raise self.raise_exc
            if self.error:
                if callback:
                    callback({"error": self.error})
                    return None
                return {"error": self.error}
            if callback is None:
                return {"choices": [{"finish_reason": "stop", "index": 0,
                                     "message": {"role": "assistant", "content": "".join(self.pieces)}}],
                        "usage": USAGE, "timings": TIMINGS}
            if callback(_chunk({"role": "assistant", "content": None})):
                self.cancelled_at = 0
                return None
            for i, piece in enumerate(self.pieces, start=1):
                if callback(_chunk({"content": piece})):
                    self.cancelled_at = i
                    return None
                if i == 1 and self.gate is not None:
                    assert self.gate.wait(5), "consumer never saw the first piece while generation ran"
            callback(_chunk({}, finish="stop"))
            if request.get("stream_options", {}).get("include_usage"):
                callback({"choices": [], "id": "chatcmpl-x", "usage": USAGE, "timings": TIMINGS})
            return None
        finally:
            self.finished.set()


@pytest.fixture
def fake(monkeypatch):
    server = FakeServer()
    monkeypatch.setattr(xllama, "get_server", lambda *a, **k: LoadedServer(server=server, key=("fake",), load_seconds=0.0))
    return server


def _model(**kw) -> XLlamaChatModel:
    return XLlamaChatModel(model_path="/models/fake.gguf", **kw)


def test_message_conversion():
    msgs = [
        SystemMessage("sys"),
        HumanMessage("q1"),
        AIMessage("a1"),
        HumanMessage(content=[{"type": "text", "text": "part "}, "two"]),
        ChatMessage(role="human", content="chat"),
        ToolMessage("42", tool_call_id="c1"),
        {"role": "user", "content": "raw"},
    ]
    assert to_openai_messages(msgs) == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "part two"},
        {"role": "user", "content": "chat"},
        {"role": "tool", "content": "42", "tool_call_id": "c1"},
        {"role": "user", "content": "raw"},
    ]


def test_non_text_content_is_refused():
    with pytest.raises(ChatModelError, match="only reads text"):
        to_openai_messages([HumanMessage(content=[{"type": "image", "url": "http://x/y.png"}])])


def test_request_carries_params_and_call_overrides(fake):
    m = _model(temperature=0.3, max_tokens=55, stop=["\n\n"])
    m.invoke([SystemMessage("s"), HumanMessage("q")])
    req = fake.requests[-1]
    assert req["messages"] == [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]
    assert (req["temperature"], req["max_tokens"], req["stop"]) == (0.3, 55, ["\n\n"])
    assert req["stream"] is True and req["stream_options"] == {"include_usage": True}
    m.invoke("q", stop=["END"], max_tokens=7, temperature=0.0)
    req = fake.requests[-1]
    assert (req["stop"], req["max_tokens"], req["temperature"]) == (["END"], 7, 0.0)


def test_stream_yields_one_chunk_per_delta_with_usage_on_the_last(fake):
    chunks = list(_model().stream("hi"))
    assert [c.content for c in chunks] == ["Hello", " there", "!", ""]
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last.usage_metadata["input_tokens"] == 12 and last.usage_metadata["output_tokens"] == 3
    assert last.usage_metadata["input_token_details"] == {"cache_read": 4}
    assert last.response_metadata["timings"] == TIMINGS
    assert last.response_metadata["finish_reason"] == "stop"
    assert all(c.usage_metadata is None for c in chunks[:-1])


def test_invoke_consumes_the_stream(fake):
    msg = _model().invoke("hi")
    assert isinstance(msg, AIMessage) and not isinstance(msg, AIMessageChunk)
    assert msg.content == "Hello there!"
    assert msg.usage_metadata["total_tokens"] == 15
    assert msg.response_metadata["timings"]["predicted_per_second"] == 25.0
    assert msg.response_metadata["model_name"] == "fake"
    assert msg.response_metadata["latency"]["first_token_s"] is not None


def test_streaming_is_real_not_buffered(fake):
    """The first piece reaches the consumer while the server is still generating."""
    fake.gate = threading.Event()
    it = _model().stream("hi")
    first = next(it)
    assert first.content == "Hello" and not fake.finished.is_set()
    fake.gate.set()
    assert "".join(c.content for c in it) == " there!"


def test_closing_the_stream_cancels_generation_and_frees_the_lock(fake):
    fake.pieces = [f"t{i} " for i in range(50)]
    fake.gate = threading.Event()
    it = _model().stream("hi")
    assert next(it).content == "t0 "
    it.close()
    fake.gate.set()
    assert fake.finished.wait(5)
    assert fake.cancelled_at is not None and fake.cancelled_at < 50
    fake.pieces = ["ok"]
    fake.gate = None
    assert _model().invoke("again").content == "ok"  # lock was released


def test_server_error_chunk_becomes_xllama_error(fake):
    fake.error = {"code": 400, "message": "request (5000 tokens) exceeds the available context size (4096 tokens)",
                  "type": "exceed_context_size_error"}
    with pytest.raises(ChatModelError, match="exceeds the available context size") as err:
        _model().invoke("long")
    assert err.value.kind == "exceed_context_size_error" and err.value.code == 400


def test_server_exception_becomes_xllama_error(fake):
    fake.raise_exc = ValueError("Expected 'messages' to be an array")
    with pytest.raises(ChatModelError, match="messages"):
        list(_model().stream("x"))
    fake.raise_exc = None
    assert _model().invoke("x").content == "Hello there!"


def test_generations_are_serialised(fake):
    """Two threads streaming at once never overlap inside the server."""
    active = []
    overlap = []
    orig = fake.handle_chat_completions

    def tracking(request, callback=None):
        active.append(1)
        if len(active) > 1:
            overlap.append(1)
        time.sleep(0.05)
        try:
            return orig(request, callback)
        finally:
            active.pop()

    fake.handle_chat_completions = tracking
    out = []
    threads = [threading.Thread(target=lambda: out.append(_model().invoke("x").content)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert out == ["Hello there!"] * 3 and not overlap


def test_raw_chat_completion_plain_and_streaming(fake):
    m = _model(max_tokens=99)
    r = m.raw_chat_completion([{"role": "user", "content": "hi"}], max_tokens=5)
    assert r["choices"][0]["message"]["content"] == "Hello there!" and r["timings"] == TIMINGS
    assert fake.requests[-1]["max_tokens"] == 5 and "stream" not in fake.requests[-1]
    seen = []
    r = m.raw_chat_completion([HumanMessage("hi")], max_tokens=5, stream_callback=lambda c: seen.append(c))
    assert r["choices"][0]["message"]["content"] == "Hello there!"
    assert r["usage"] == USAGE and r["timings"] == TIMINGS and r["choices"][0]["finish_reason"] == "stop"
    assert len(seen) >= 5
    # same request as the chain would send, apart from streaming flags
    chain_req = m.build_request([HumanMessage("hi")], max_tokens=5)
    sent = {k: v for k, v in fake.requests[-1].items() if k not in ("stream", "stream_options")}
    assert sent == chain_req


def test_raw_chat_completion_callback_can_cancel(fake):
    fake.pieces = [f"t{i}" for i in range(20)]
    r = _model().raw_chat_completion([HumanMessage("hi")], stream_callback=lambda c: "t2" in str(c))
    assert fake.cancelled_at == 3 and r["choices"][0]["message"]["content"] == "t0t1t2"


def test_unknown_server_option_is_rejected():
    import types

    params = types.SimpleNamespace(n_ubatch=512, cpuparams=types.SimpleNamespace(poll=50))
    xllama._set_param(params, "cpuparams.poll", 0)
    xllama._set_param(params, "n_ubatch", 256)
    assert params.cpuparams.poll == 0 and params.n_ubatch == 256
    with pytest.raises(ChatModelError, match="Unknown xllamacpp server option 'n_bogus'"):
        xllama._set_param(params, "n_bogus", 1)


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ChatModelError, match="does not exist"):
        XLlamaChatModel(model_path=str(tmp_path / "none.gguf")).load()


@pytest.mark.parametrize("data, reason", [
    (b"", "is empty or too short"),
    (b"PK\x03\x04" + bytes(200), "is not a GGUF model file"),
    (b"# a note, not a model\n" * 20, "is not a GGUF model file"),
])
def test_a_file_that_is_not_a_model_is_named_as_such(tmp_path, data, reason):
    path = tmp_path / "model.gguf"
    path.write_bytes(data)
    with pytest.raises(ChatModelError, match=f"{reason}.*COACH_MODEL_PATH"):
        XLlamaChatModel(model_path=str(path)).load()


def test_a_cut_short_gguf_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.gguf"
    path.write_bytes(b"GGUF\x03\x00\x00\x00" + bytes(4000))  # the signature, then nothing usable
    with pytest.raises(ChatModelError, match=r"Could not load the model .*cut short.*COACH_MODEL_PATH"):
        XLlamaChatModel(model_path=str(path)).load()


def test_astream_and_ainvoke_fall_back_to_the_sync_stream(fake):
    import asyncio

    async def go():
        pieces = [c.content async for c in _model().astream("hi")]
        msg = await _model().ainvoke("hi")
        return pieces, msg

    pieces, msg = asyncio.run(go())
    assert pieces == ["Hello", " there", "!", ""]
    assert msg.content == "Hello there!" and msg.usage_metadata["output_tokens"] == 3
