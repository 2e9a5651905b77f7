"""`coach model-server`: the embedded model served to other processes over HTTP with parallel
slots (the team setup), started by the test and stopped after it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from langchain_core.messages import HumanMessage

from core.settings import Settings
from rag.llm import make_chat_model

pytestmark = pytest.mark.slow
COACH = Path(sys.executable).with_name("coach")
ROOT = Path(__file__).resolve().parents[3]


def test_the_model_server_answers_two_clients_at_once_and_only_with_the_key(tmp_path):
    from conftest import free_port

    port = free_port()
    env = {**os.environ, "COACH_MODEL_SERVER_KEY": "team-key-1", "COACH_N_CTX": "1024", "COACH_DATA_DIR": str(ROOT / ".coach-data")}
    proc = subprocess.Popen([str(COACH), "model-server", "--port", str(port), "--parallel", "2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 401:
                    break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
        else:
            pytest.fail("the model server did not start within 120 s")
        assert httpx.get(f"{base}/models", timeout=5).status_code == 401  # no key, no model
        chat = make_chat_model(Settings(llm_provider="openai", openai_base_url=base, openai_api_key="team-key-1",
                                        openai_model="local", temperature=0.0, max_tokens=16, seed=1).chat, tmp_path)
        asks = {"BLUE": "Reply with exactly one word, in capitals: BLUE", "GREEN": "Reply with exactly one word, in capitals: GREEN"}
        with ThreadPoolExecutor(2) as pool:
            replies = dict(zip(asks, pool.map(lambda q: chat.invoke([HumanMessage(q)]).content, asks.values())))
    finally:
        proc.terminate()
        proc.wait(20)
    for word, reply in replies.items():
        assert word in reply.upper() and ({"BLUE", "GREEN"} - {word}).pop() not in reply.upper(), replies
