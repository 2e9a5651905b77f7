"""Any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server, LM Studio, OpenAI) via ``ChatOpenAI``."""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import httpx

from core.errors import EndpointError

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

    from core.settings import ChatSettings

CHECK_TIMEOUT_S = 3.0


def _is_openai_host(base_url: str) -> bool:
    host = urlparse(base_url).hostname or ""
    return host == "api.openai.com" or host.endswith(".openai.azure.com")


@contextmanager
def _as_endpoint_error(base_url: str):
    import openai

    try:
        yield
    except openai.APIStatusError as e:
        raise EndpointError(f"the chat endpoint at {base_url} answered HTTP {e.status_code}: {e.message}") from None
    except openai.APIError as e:  # connection refused, timeout, a broken stream
        raise EndpointError(f"the chat endpoint at {base_url} failed: {e.message or type(e).__name__}") from None


@functools.cache
def _chat_class():
    """``ChatOpenAI`` whose failures during a request are ``EndpointError`` (a sentence, not a
    traceback): a wrong model name, a server that went away after start-up."""
    from langchain_openai import ChatOpenAI

    class EndpointChatOpenAI(ChatOpenAI):
        def _generate(self, *args, **kwargs):
            with _as_endpoint_error(self.openai_api_base):
                return super()._generate(*args, **kwargs)

        def _stream(self, *args, **kwargs):
            with _as_endpoint_error(self.openai_api_base):
                yield from super()._stream(*args, **kwargs)

    return EndpointChatOpenAI


def make_openai_chat(settings: ChatSettings) -> ChatOpenAI:
    """``ChatOpenAI`` configured from the settings (no network access here)."""
    kwargs = {}
    if not _is_openai_host(settings.openai_base_url):
        # ChatOpenAI sends the cap as `max_completion_tokens` (OpenAI's new name).  Ollama and LM
        # Studio only read `max_tokens` and would silently generate without a cap, so send both.
        kwargs["extra_body"] = {"max_tokens": settings.max_tokens}
    return _chat_class()(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        model=settings.openai_model,
        temperature=settings.temperature,
        seed=settings.seed,
        max_tokens=settings.max_tokens,
        timeout=settings.request_timeout,
        max_retries=1,
        stream_usage=True,  # token usage on the last streamed chunk, like the local model
        **kwargs,
    )


def check_endpoint(settings: ChatSettings, timeout: float = CHECK_TIMEOUT_S) -> list[str]:
    """GET ``{base_url}/models`` quickly; return the model ids it lists.

    Raises :class:`EndpointError` ("cannot reach the chat endpoint at URL: reason") when the endpoint
    is unreachable, times out, or answers with an HTTP error.  It does not insist that
    ``settings.openai_model`` is listed: some servers list nothing or use aliases.
    """
    base = settings.openai_base_url.rstrip("/")
    url = f"{base}/models"
    headers = {"Authorization": f"Bearer {settings.openai_api_key}"} if settings.openai_api_key else {}
    try:
        resp = httpx.get(url, headers=headers, timeout=timeout, follow_redirects=True)
    except httpx.TimeoutException:
        raise EndpointError(f"cannot reach the chat endpoint at {base}: no answer within {timeout:g} s") from None
    except httpx.HTTPError as e:
        reason = str(e) or type(e).__name__
        if isinstance(e, httpx.ConnectError) and "refused" in reason.lower():
            reason = "connection refused (is the server running?)"
        raise EndpointError(f"cannot reach the chat endpoint at {base}: {reason}") from None
    if resp.status_code in (401, 403):
        raise EndpointError(
            f"cannot reach the chat endpoint at {base}: HTTP {resp.status_code} (check COACH_OPENAI_API_KEY)"
        )
    if resp.status_code == 404:
        raise EndpointError(
            f"cannot reach the chat endpoint at {base}: HTTP 404 from {url} (does the base URL need a /v1 suffix?)"
        )
    if resp.status_code >= 400:
        raise EndpointError(f"cannot reach the chat endpoint at {base}: HTTP {resp.status_code} from {url}")
    try:
        data = resp.json()
        return [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]
    except (ValueError, AttributeError):
        return []
