"""LangChain chat model over an in-process llama.cpp server (``xllamacpp.Server``).

* **One load per process.**  A loaded model is ~1.1 GB of weights plus a KV cache, takes 2-4 s to load,
  and its thread pool wants every core.  Building the adapter twice (the UI, the grader and the
  question generator each make one) must not load twice: servers live in a module-level cache
  keyed by ``(path, n_ctx, n_threads, extra server options)`` and guarded by a lock, so concurrent
  first uses also load once.  Reusing the server also keeps its prompt-prefix cache warm (a repeated
  system prompt is not re-evaluated).
* **One generation at a time.**  On 2 cores two concurrent generations only slow each other down, so
  every server call holds a process-wide lock (the Gradio queue serialises users anyway).
* **Real streaming.**  ``Server.handle_chat_completions(request, callback)`` blocks and calls
  ``callback(chunk_dict)`` per token in the calling thread (it releases the GIL while computing).  We
  run it in a worker thread feeding a queue, and ``_stream`` yields one ``ChatGenerationChunk`` per
  delta.  When the consumer stops (closes the generator), the callback returns True on the next
  token and llama.cpp cancels the task.  ``_generate`` consumes ``_stream``: streaming is written once.
* Exceptions raised inside the callback are swallowed by xllamacpp, and errors (e.g. prompt longer
  than the context) come back as ``{"error": {...}}`` dicts, not exceptions: both are turned into
  :class:`ChatModelError` here.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel, generate_from_stream
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from core.errors import ChatModelError

log = logging.getLogger(__name__)

StreamCallback = Callable[[dict], Any]


# --------------------------------------------------------------------------- server cache


@dataclass
class LoadedServer:
    server: Any  # xllamacpp.Server
    key: tuple
    load_seconds: float
    api_key: str = ""  # of the server's HTTP side (see get_server)
    loaded_at: float = field(default_factory=time.time)

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``http://host:port/v1``) of the server's HTTP side."""
        address = str(self.server.listening_address).strip().rstrip("/")
        return f"{address if address.startswith('http') else 'http://' + address}/v1"


_SERVERS: dict[tuple, LoadedServer] = {}
_SERVERS_LOCK = threading.Lock()  # guards _SERVERS and loading (so racing first uses load once)
_GENERATION_LOCK = threading.Lock()  # one generation at a time in this process (2 cores)
_LOAD_COUNT = 0  # number of Server() constructions in this process (tests assert reuse)


def load_count() -> int:
    """How many times a model was actually loaded in this process."""
    return _LOAD_COUNT


def loaded_servers() -> list[LoadedServer]:
    with _SERVERS_LOCK:
        return list(_SERVERS.values())


def release_servers() -> None:
    """Drop every cached server (frees the memory once no adapter holds a reference)."""
    with _GENERATION_LOCK, _SERVERS_LOCK:
        _SERVERS.clear()


def _enum_value(value: Any) -> Any:
    """Allow ``"llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_ENABLED"`` strings for xllamacpp enums."""
    if isinstance(value, str) and value.count(".") == 1 and value.split(".")[0][:1].islower():
        import xllamacpp

        enum_name, member = value.split(".")
        enum = getattr(xllamacpp, enum_name, None)
        if enum is not None and hasattr(enum, member):
            return getattr(enum, member)
    return value


def _set_param(params: Any, dotted: str, value: Any) -> None:
    obj = params
    *parents, leaf = dotted.split(".")
    for name in parents:
        obj = getattr(obj, name)
    if not hasattr(obj, leaf):
        raise ChatModelError(f"Unknown xllamacpp server option {dotted!r}.")
    setattr(obj, leaf, _enum_value(value))


_OTHER_MODEL = "set COACH_MODEL_PATH to another .gguf chat model, or unset it to use the built-in one"


def gguf_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be a GGUF model, read from its first bytes (None when it may be one)."""
    with open(path, "rb") as f:
        head = f.read(8)
    if len(head) < 8:
        return "is empty or too short to be a model file"
    if head[:4] != b"GGUF":
        return "is not a GGUF model file (it does not start with the GGUF signature)"
    return None


def serve_http(model_path: str | Path, *, host: str, port: int, parallel: int, n_ctx_per_slot: int,
               n_threads: int, api_key: str, verbosity: int = 1) -> str:
    """Load the model as an OpenAI-compatible HTTP server for other processes (a team's app
    processes, ``COACH_LLM_PROVIDER=openai``): ``parallel`` slots decoded together (continuous
    batching), each with ``n_ctx_per_slot`` tokens, every request needing ``api_key``.  Returns
    the base URL (``.../v1``); the server runs until this process ends."""
    if not api_key:
        raise ChatModelError("the model server needs an API key")
    loaded = get_server(model_path, n_ctx_per_slot * parallel, n_threads, verbosity=verbosity, options={
        "hostnames": [host], "port": int(port), "n_parallel": int(parallel), "api_keys": [api_key]})
    return loaded.base_url


def get_server(
    model_path: str | Path,
    n_ctx: int,
    n_threads: int,
    options: dict[str, Any] | None = None,
    verbosity: int = 1,
) -> LoadedServer:
    """The process-wide server for this model and configuration, loading it on first use."""
    global _LOAD_COUNT
    path = str(Path(model_path).resolve())
    opts = dict(options or {})
    key = (path, int(n_ctx), int(n_threads), tuple(sorted((k, repr(v)) for k, v in opts.items())))
    with _SERVERS_LOCK:
        cached = _SERVERS.get(key)
        if cached is not None:
            return cached
        if not Path(path).is_file():
            raise ChatModelError(f"The model file {path} does not exist.")
        if (problem := gguf_problem(path)) is not None:
            raise ChatModelError(f"{path} {problem}: {_OTHER_MODEL}")
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = path
        params.n_ctx = int(n_ctx)
        params.n_parallel = 1  # one slot: requests are serialised anyway, and the slot keeps the prefix cache
        params.cpuparams.n_threads = int(n_threads)
        params.cpuparams_batch.n_threads = int(n_threads)
        params.verbosity = int(verbosity)  # 1 = errors only; llama.cpp's default (3) logs every request
        # The server also listens on a random 127.0.0.1 port with CORS open to all origins; a random
        # API key locks that side door (direct calls below are not affected).
        api_key = secrets.token_hex(16)
        params.api_keys = [api_key]
        for name, value in opts.items():
            _set_param(params, name, value)
        t0 = time.perf_counter()
        try:
            server = xllamacpp.Server(params)
        except Exception as e:  # xllamacpp raises RuntimeError/ValueError with llama.cpp's message
            raise ChatModelError(f"Could not load the model {path} ({e}); a GGUF file that will not load is "
                                 f"usually cut short or of an architecture this llama.cpp lacks: {_OTHER_MODEL}") from e
        loaded = LoadedServer(server=server, key=key, load_seconds=time.perf_counter() - t0, api_key=api_key)
        _LOAD_COUNT += 1
        _SERVERS[key] = loaded
        log.info("loaded %s in %.1f s (n_ctx=%d, n_threads=%d)", path, loaded.load_seconds, n_ctx, n_threads)
        return loaded


# --------------------------------------------------------------------------- messages


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content or []:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif isinstance(block, dict) and block.get("type") in ("reasoning", "thinking"):
            continue
        else:
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            raise ChatModelError(f"The local model only reads text; it cannot take a {kind!r} content block.")
    return "".join(parts)


def to_openai_messages(messages: Sequence[BaseMessage | dict]) -> list[dict[str, str]]:
    """LangChain messages -> OpenAI-style ``{"role", "content"}`` dicts (dicts pass through)."""
    out: list[dict[str, str]] = []
    for m in messages:
        if isinstance(m, dict):
            out.append({"role": str(m["role"]), "content": _content_text(m.get("content", ""))})
            continue
        if isinstance(m, SystemMessage):
            role = "system"
        elif isinstance(m, HumanMessage):
            role = "user"
        elif isinstance(m, AIMessage):
            role = "assistant"
        elif isinstance(m, ToolMessage):
            role = "tool"
        elif isinstance(m, ChatMessage):
            role = {"human": "user", "ai": "assistant"}.get(m.role, m.role)
        else:
            raise ChatModelError(f"Unsupported message type for the local model: {type(m).__name__}.")
        msg = {"role": role, "content": _content_text(m.content)}
        if isinstance(m, ToolMessage):
            msg["tool_call_id"] = m.tool_call_id
        out.append(msg)
    return out


def _usage(usage: dict | None) -> UsageMetadata | None:
    if not usage:
        return None
    prompt = int(usage.get("prompt_tokens", 0))
    completion = int(usage.get("completion_tokens", 0))
    um = UsageMetadata(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=int(usage.get("total_tokens", prompt + completion)),
    )
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    if cached is not None:
        um["input_token_details"] = {"cache_read": int(cached)}
    return um


def _raise_if_error(payload: Any) -> None:
    if isinstance(payload, dict) and "error" in payload:
        err = payload["error"]
        if isinstance(err, dict):
            msg = err.get("message") or str(err)
            raise ChatModelError(f"The local model refused the request: {msg}", code=err.get("code"), kind=err.get("type"))
        raise ChatModelError(f"The local model refused the request: {err}")


# --------------------------------------------------------------------------- the chat model


class XLlamaChatModel(BaseChatModel):
    """Chat model running a GGUF file in-process with xllamacpp (llama.cpp)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())

    model_path: str = Field(description="GGUF file to load.")
    n_ctx: int = 4096
    n_threads: int = 2
    temperature: float = 0.1
    max_tokens: int = 320
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] | None = None
    server_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra xllamacpp.CommonParams attributes (dotted names, e.g. {'n_ubatch': 256}); part of the cache key.",
    )
    verbosity: int = Field(1, description="llama.cpp log level: 1 errors, 2 warnings, 3 info.")

    # ---- server

    def load(self) -> LoadedServer:
        """Load (or reuse) the server now, e.g. at startup so errors surface early."""
        return get_server(self.model_path, self.n_ctx, self.n_threads, self.server_options, self.verbosity)

    def http_endpoint(self) -> tuple[str, str]:
        """``(base_url, api_key)`` of the loaded server's OpenAI-compatible HTTP side on 127.0.0.1,
        for tools that only speak HTTP (the ragas judge)."""
        loaded = self.load()
        return loaded.base_url, loaded.api_key

    @property
    def server(self) -> Any:
        return self.load().server

    # ---- LangChain plumbing

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "server_options": self.server_options,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="xllamacpp",
            ls_model_name=Path(self.model_path).stem,
            ls_model_type="chat",
            ls_temperature=kwargs.get("temperature", self.temperature),
            ls_max_tokens=kwargs.get("max_tokens", self.max_tokens),
        )
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def build_request(
        self, messages: Sequence[BaseMessage | dict], stop: list[str] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """The OpenAI-style request sent to the server (shared by the chain path and the raw path)."""
        overrides.pop("stream", None)
        req: dict[str, Any] = {
            "messages": to_openai_messages(messages),
            "temperature": overrides.pop("temperature", self.temperature),
            "max_tokens": overrides.pop("max_tokens", self.max_tokens),
        }
        top_p = overrides.pop("top_p", self.top_p)
        if top_p is not None:
            req["top_p"] = top_p
        seed = overrides.pop("seed", self.seed)
        if seed is not None:
            req["seed"] = seed
        stops = stop if stop is not None else self.stop
        if stops:
            req["stop"] = list(stops)
        # Anything else is passed through as a llama.cpp request field (e.g. cache_prompt, top_k).
        req.update({k: v for k, v in overrides.items() if v is not None})
        return req

    def _iter_server_chunks(self, request: dict[str, Any]) -> Iterator[dict]:
        """Yield the server's stream chunk dicts as they are produced; closing this generator cancels."""
        server = self.server
        req = {**request, "stream": True, "stream_options": {"include_usage": True}}
        q: queue.SimpleQueue = queue.SimpleQueue()
        cancelled = threading.Event()
        done = object()

        def on_chunk(chunk: dict) -> bool:
            # Runs in the worker thread; must never raise (xllamacpp would swallow it).
            if cancelled.is_set():
                return True  # tells llama.cpp to stop this task
            q.put(chunk)
            return False

        def worker() -> None:
            try:
                with _GENERATION_LOCK:
                    if cancelled.is_set():  # consumer gave up while waiting for the lock
                        return
                    result = server.handle_chat_completions(req, on_chunk)
                if isinstance(result, dict):
                    q.put(result)
            except BaseException as e:  # noqa: BLE001 - handed to the consumer thread
                q.put(e)
            finally:
                q.put(done)

        thread = threading.Thread(target=worker, name="xllama-generate", daemon=True)
        thread.start()
        try:
            while True:
                item = q.get()
                if item is done:
                    return
                if isinstance(item, BaseException):
                    if isinstance(item, ChatModelError):
                        raise item
                    raise ChatModelError(f"The local model failed: {item}") from item
                _raise_if_error(item)
                yield item
        finally:
            cancelled.set()

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self.build_request(messages, stop, **kwargs)
        t0 = time.perf_counter()
        first_token_s: float | None = None
        finish_reason: str | None = None
        usage: dict | None = None
        timings: dict | None = None
        response_id: str | None = None
        for chunk in self._iter_server_chunks(request):
            response_id = response_id or chunk.get("id")
            if chunk.get("usage"):
                usage = chunk["usage"]
            if chunk.get("timings"):
                timings = chunk["timings"]
            for choice in chunk.get("choices") or []:
                if choice.get("finish_reason"):
                    finish_reason = choice["finish_reason"]
                text = (choice.get("delta") or {}).get("content")
                if text:
                    if first_token_s is None:
                        first_token_s = time.perf_counter() - t0
                    yield ChatGenerationChunk(message=AIMessageChunk(content=text))
        # Metadata goes on one final chunk only: merging chunks concatenates string metadata.
        response_metadata: dict[str, Any] = {
            "model_name": Path(self.model_path).stem,
            "model_provider": "xllamacpp",
            "finish_reason": finish_reason,
            "timings": timings or {},
            "latency": {"first_token_s": first_token_s, "total_s": time.perf_counter() - t0},
        }
        if response_id:
            response_metadata["id"] = response_id
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=_usage(usage),
                response_metadata=response_metadata,
                chunk_position="last",
            ),
            generation_info={"finish_reason": finish_reason},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop=stop, run_manager=run_manager, **kwargs))

    # ---- work ahead of the user (rag/pace.py)

    def prefill(self, messages: Sequence[BaseMessage | dict]) -> dict:
        """Process ``messages`` into the server's prompt cache (one token is generated and
        dropped), so a later request that starts with them only pays for what follows."""
        return self.raw_chat_completion(messages, max_tokens=1, cache_prompt=True)

    # ---- direct access (benchmarks)

    def raw_chat_completion(
        self,
        messages: Sequence[BaseMessage | dict],
        max_tokens: int | None = None,
        stream_callback: StreamCallback | None = None,
        **overrides: Any,
    ) -> dict:
        """Call the server directly with the same request the chat model would send.

        Without ``stream_callback``: the server's OpenAI-style response dict (with ``timings``).
        With it: the callback gets every chunk dict (return True to cancel) and the return value is an
        OpenAI-style response assembled from the chunks (content, finish_reason, usage, timings).
        Raises :class:`ChatModelError` on a server error.
        """
        if max_tokens is not None:
            overrides["max_tokens"] = max_tokens
        request = self.build_request(messages, **overrides)
        server = self.server
        if stream_callback is None:
            with _GENERATION_LOCK:
                result = server.handle_chat_completions(request)
            _raise_if_error(result)
            return result

        parts: list[str] = []
        final: dict[str, Any] = {"finish_reason": None, "usage": None, "timings": None, "error": None}

        def on_chunk(chunk: dict) -> bool:
            try:
                if "error" in chunk:
                    final["error"] = chunk
                    return True
                for choice in chunk.get("choices") or []:
                    parts.append((choice.get("delta") or {}).get("content") or "")
                    final["finish_reason"] = choice.get("finish_reason") or final["finish_reason"]
                final["usage"] = chunk.get("usage") or final["usage"]
                final["timings"] = chunk.get("timings") or final["timings"]
                return bool(stream_callback(chunk))
            except Exception as e:  # xllamacpp swallows callback exceptions: keep it and cancel
                final["error"] = e
                return True

        req = {**request, "stream": True, "stream_options": {"include_usage": True}}
        with _GENERATION_LOCK:
            server.handle_chat_completions(req, on_chunk)
        if isinstance(final["error"], BaseException):
            raise final["error"]
        _raise_if_error(final["error"])
        return {
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": final["finish_reason"],
                    "message": {"role": "assistant", "content": "".join(parts)},
                }
            ],
            "usage": final["usage"],
            "timings": final["timings"],
        }
