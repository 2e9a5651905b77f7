"""ragas' faithfulness, reported beside our two judges when ragas is installed and a judge
endpoint is configured.

ragas 0.4 asks an OpenAI-compatible endpoint (through ``instructor``, JSON mode) to split the
answer into statements and then to give each a 0/1 verdict against the context.  We hand it the
same question, answer and context our judges see.  Which endpoint (first match):

* ``COACH_JUDGE_BASE_URL=local``: the embedded model's own HTTP port (the in-process llama.cpp
  server listens on 127.0.0.1 behind a random API key), so ragas runs offline;
* ``COACH_JUDGE_BASE_URL=<url>``: any OpenAI-compatible server (``COACH_JUDGE_MODEL``,
  ``COACH_JUDGE_API_KEY``, defaulting to the ``COACH_OPENAI_*`` values);
* unset, with ``COACH_LLM_PROVIDER=openai``: the chat endpoint itself.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from core.settings import ChatSettings, JudgeSettings

# ragas sends usage analytics by default; the entry point sets RAGAS_DO_NOT_TRACK (core.env).


@dataclass(frozen=True)
class JudgeEndpoint:
    base_url: str
    model: str
    api_key: str


def ragas_installed() -> bool:
    try:
        import ragas  # noqa: F401
    except ImportError:
        return False
    return True


def judge_endpoint(settings: JudgeSettings, chat: ChatSettings, chat_model=None) -> JudgeEndpoint | None:
    """The OpenAI-compatible endpoint ragas should use, or None if none is configured."""
    url = settings.judge_base_url
    model = settings.judge_model or chat.openai_model
    key = settings.judge_api_key or chat.openai_api_key
    if url == "local":
        if chat_model is None or not hasattr(chat_model, "http_endpoint"):
            return None
        base_url, api_key = chat_model.http_endpoint()
        return JudgeEndpoint(base_url, settings.judge_model or "local", api_key)
    if url:
        return JudgeEndpoint(url, model, key)
    if chat.llm_provider == "openai":
        return JudgeEndpoint(chat.openai_base_url, model, key)
    return None


class RagasFaithfulness:
    """Wraps ``ragas.metrics.collections.Faithfulness``; ``llm`` is a ragas instructor LLM."""

    name = "ragas"

    def __init__(self, llm) -> None:
        from ragas.metrics.collections import Faithfulness

        self.metric = Faithfulness(llm=llm)
        self.errors: list[str] = []
        # One loop for every call: the async HTTP client keeps connections bound to the loop it
        # first ran in, so a fresh asyncio.run() per answer fails from the second answer on.
        self._loop = asyncio.new_event_loop()

    def run(self, coro):
        return self._loop.run_until_complete(coro)

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.close()

    def __enter__(self) -> RagasFaithfulness:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @classmethod
    def from_endpoint(cls, endpoint: JudgeEndpoint, timeout: float = 300.0) -> RagasFaithfulness:
        from openai import AsyncOpenAI
        from ragas.llms import llm_factory

        client = AsyncOpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key, timeout=timeout, max_retries=0)
        return cls(llm_factory(endpoint.model, client=client, temperature=0.0, max_tokens=1024))

    def score(self, question: str, answer: str, context: str) -> float | None:
        """Share of ragas' statements it finds supported, or None if ragas failed on this answer
        (small judges often break its JSON); the error is kept in ``errors``."""
        try:
            result = self.run(self.metric.ascore(user_input=question, response=answer, retrieved_contexts=[context]))
        except Exception as e:  # noqa: BLE001 - one failed item must not end the eval
            self.errors.append(f"{type(e).__name__}: {str(e)[:200]}")
            return None
        value = float(result.value)
        return None if math.isnan(value) else value


def make_ragas_judge(settings: JudgeSettings, chat: ChatSettings, chat_model=None) -> tuple[RagasFaithfulness | None, str]:
    """The ragas judge and a sentence saying what runs, or None and why it does not."""
    if not ragas_installed():
        return None, "not run: ragas is not installed (pip install -e '.[ragas]')"
    endpoint = judge_endpoint(settings, chat, chat_model)
    if endpoint is None:
        return None, ("not run: no judge endpoint (set COACH_JUDGE_BASE_URL to an OpenAI-compatible URL, "
                      "or to `local` for the embedded model)")
    return RagasFaithfulness.from_endpoint(endpoint), f"{endpoint.model} at {endpoint.base_url}"
