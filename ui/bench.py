"""`coach bench`: speed and memory figures on this machine, printed (not asserted: machines are noisy).

Ingest is measured in fresh subprocesses against a temporary data dir (cold: nothing indexed;
warm: unchanged corpus).  Retrieval runs over the notes' own questions.  The chain and raw
xllamacpp answer the identical prompt in the same process, prompt caching off for both, so the
ratio shows what the chain adds.  ``--scale`` (larger synthetic notes) is ``ui/bench_scale.py``;
``--load`` (concurrent users through the app) is ``ui/bench_load.py``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from core.errors import CoachError
from core.settings import Settings
from evals.metrics import percentile

BENCH_QUESTION = "explain canary vs blue-green"


def _coach(args: list[str], data_dir: Path) -> tuple[float, dict, int]:
    """Run `coach ARGS` in a fresh process; (wall seconds, parsed JSON stdout, child peak RSS MB)."""
    env = {**os.environ, "COACH_DATA_DIR": str(data_dir)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "ui", *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise CoachError(f"coach {' '.join(args)} failed: {proc.stderr.strip()[-400:]}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return wall, json.loads(proc.stdout), rss


def bench_cold_ask(data_dir: Path, question: str = BENCH_QUESTION, runs: int = 2) -> dict:
    """`coach ask` in fresh processes: seconds from the process start to the first byte of the
    answer on stdout (imports, the embedding model, retrieval, the chat model and its prompt)."""
    env = {**os.environ, "COACH_DATA_DIR": str(data_dir)}
    firsts, walls = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "ui", "ask", question], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        first = proc.stdout.read(1)
        firsts.append(time.perf_counter() - t0)
        _, stderr = proc.communicate()
        walls.append(time.perf_counter() - t0)
        if proc.returncode or not first:
            raise CoachError(f"coach ask failed: {stderr.decode(errors='replace').strip()[-400:]}")
    return {"cold_ask_first_token_s_median": round(statistics.median(firsts), 2),
            "cold_ask_first_token_s": [round(x, 2) for x in firsts], "cold_ask_total_s_median": round(statistics.median(walls), 2)}


def bench_ingest(data_dir: Path) -> dict:
    cold_wall, cold, rss = _coach(["ingest", "--json"], data_dir)
    warm_wall, warm, _ = _coach(["ingest", "--json"], data_dir)
    return {
        "ingest_cold_s": round(cold["seconds"], 2), "ingest_cold_wall_s": round(cold_wall, 2),
        "ingest_cold_chunks_embedded": cold["embedded"], "ingest_chunks": cold["chunks"],
        "ingest_warm_s": round(warm["seconds"], 2), "ingest_warm_wall_s": round(warm_wall, 2),
        "ingest_warm_chunks_embedded": warm["embedded"], "ingest_peak_rss_mb": rss,
    }


def bench_retrieval(services) -> dict:
    questions = [q.question for q in services.question_bank()]
    services.retriever.search("warm up the model and the snapshot")
    times = []
    for q in questions:
        t0 = time.perf_counter()
        services.retriever.search(q)
        times.append((time.perf_counter() - t0) * 1000)
    return {"retrieval_queries": len(times), "retrieval_p50_ms": percentile(times, 50), "retrieval_p95_ms": percentile(times, 95),
            "retrieval_mean_ms": round(statistics.fmean(times), 1)}


def _raw_run(llm, messages, max_tokens: int) -> dict:
    t0 = time.perf_counter()
    first = []

    def on_chunk(chunk: dict) -> bool:
        if not first and any((c.get("delta") or {}).get("content") for c in chunk.get("choices") or []):
            first.append(time.perf_counter())
        return False

    result = llm.raw_chat_completion(messages, max_tokens=max_tokens, stream_callback=on_chunk, cache_prompt=False)
    end = time.perf_counter()
    n = (result.get("usage") or {}).get("completion_tokens", 0)
    ttft = (first[0] if first else end) - t0
    return {"first_token_s": round(ttft, 2), "tokens": n, "tokens_per_s": round(n / max(end - first[0], 1e-6), 2) if first else 0.0,
            "prompt_tokens": (result.get("usage") or {}).get("prompt_tokens", 0)}


def bench_llm(services) -> dict:
    if not hasattr(services.chat_model, "raw_chat_completion"):
        raise CoachError("the chat-model benchmark compares the chain with raw xllamacpp, so it needs the local "
                         "model (COACH_LLM_PROVIDER=local); use --skip-llm for the rest")
    from rag.chain import Answer, AnswerChain, Sources

    t0 = time.perf_counter()
    llm = services.chat_model
    load_s = time.perf_counter() - t0
    chain = AnswerChain(services.settings.answer, services.retriever, llm.bind(cache_prompt=False))
    figures = {"llm_load_s": round(load_s, 2)}
    # chain
    t0 = time.perf_counter()
    first = None
    for ev in chain.stream(BENCH_QUESTION):
        if isinstance(ev, Sources):
            sources_ms = (time.perf_counter() - t0) * 1000
        elif first is None and not isinstance(ev, Answer):
            first = time.perf_counter()
        if isinstance(ev, Answer):
            answer = ev
    end = time.perf_counter()
    n = answer.timings["completion_tokens"]
    chain_tps = n / max(end - first, 1e-6)
    figures.update(chain_sources_ms=round(sources_ms, 1), chain_first_token_s=round(first - t0, 2),
                   chain_tokens=n, chain_tokens_per_s=round(chain_tps, 2), chain_prompt_tokens=answer.timings["prompt_tokens"],
                   chain_total_s=round(end - t0, 2), chain_cited=answer.cited)
    # raw xllamacpp on the identical prompt: the chain's own steps before the model, then the model alone
    messages = chain.prepare(BENCH_QUESTION).messages()
    raw = _raw_run(llm, messages, max_tokens=max(n, 1))
    figures.update(raw_first_token_s=raw["first_token_s"], raw_tokens=raw["tokens"], raw_tokens_per_s=raw["tokens_per_s"],
                   raw_prompt_tokens=raw["prompt_tokens"])
    figures["chain_overhead_first_token_pct"] = round(100 * (figures["chain_first_token_s"] / raw["first_token_s"] - 1), 1)
    figures["chain_overhead_tokens_per_s_pct"] = round(100 * (1 - chain_tps / max(raw["tokens_per_s"], 1e-6)), 1)
    return figures


def _first_token(chain, question: str) -> float:
    from rag.chain import Answer, Token

    t0 = time.perf_counter()
    stream = chain.stream(question)
    try:
        for ev in stream:
            if (isinstance(ev, Token) and ev.text.strip()) or isinstance(ev, Answer):
                return round(time.perf_counter() - t0, 2)
    finally:
        stream.close()  # cancels the rest of the generation
    return round(time.perf_counter() - t0, 2)


READ_AHEAD_QUESTIONS = ("How do you handle data drift in production models?",
                        "What is the difference between online and offline model serving?",
                        "how would you roll back a bad model release")


def bench_read_ahead(services, questions: tuple[str, ...] = READ_AHEAD_QUESTIONS) -> dict:
    """Ask: first token after Enter when the notes and the question's first words were processed
    while it was typed (the app's behaviour) against no prompt cache at all (``cache_prompt``
    off: llama.cpp also keeps earlier prompts in RAM and restores them, so evicting its slot is
    not enough), same questions, one run."""
    from rag.chain import AnswerChain

    llm = services.chat_model
    chain = AnswerChain(services.settings.answer, services.retriever, llm)
    uncached = AnswerChain(services.settings.answer, services.retriever, llm.bind(cache_prompt=False))
    cold, ahead = [], []
    for q in questions:
        llm.prefill([{"role": "user", "content": "Say hello. " * 40}])  # something else in the only slot
        chain.read_ahead(q.rsplit(" ", 1)[0] + " ")  # typed up to its last word
        chain.prefiller.wait(120)
        ahead.append(_first_token(chain, q))
        cold.append(_first_token(uncached, q))  # the whole prompt processed, no cache of any kind
    return {"ask_questions": len(questions), "ask_cold_first_token_s_median": statistics.median(cold),
            "ask_ahead_first_token_s_median": statistics.median(ahead),
            "ask_cold_first_token_s": cold, "ask_ahead_first_token_s": ahead}


def _interview_timings(services, item, answer: str, ahead: bool) -> dict:
    """One answer to ``item``: seconds from "Answer" to the score, the first feedback word and the
    follow-up question.  ``ahead``: the fixed part and the typed answer were prefilled while the
    candidate answered (the app's behaviour); otherwise no prompt cache is used at all."""
    from rag.interview.session import Ask, Feedback, Graded, Interview

    llm = services.chat_model if ahead else services.chat_model.bind(cache_prompt=False)
    iv = Interview(plan=[item], store=services.progress_store, retriever=services.retriever, llm=llm,
                   embeddings=services.embeddings, subject=services.subject)
    iv.prefiller.enabled = ahead
    list(iv.start())
    if ahead:
        iv.typing(answer)
        iv.prefiller.wait(120)
    t0 = time.perf_counter()
    out: dict = {}
    for ev in iv.respond(answer):
        now = round(time.perf_counter() - t0, 2)
        if isinstance(ev, Graded):
            out.setdefault("score_s", now)
        elif isinstance(ev, Feedback):
            out.setdefault("first_feedback_s", now)
        elif isinstance(ev, Ask):
            out.setdefault("followup_s", now)
            break
    list(iv.end())
    return out


def bench_interview(services, n: int = 3) -> dict:
    """The interviewer's pace after "Answer", with and without the work done while the candidate
    answers, on the same strong answers of the grading set's held-out part, in one run."""
    from evals.golden import in_split, read_jsonl
    from evals.grading import GRADING

    bank = {q.qid: q for q in services.question_bank()}
    rows = [r for r in in_split(read_jsonl(GRADING), "heldout") if r["style"] == "strong" and r["qid"] in bank][:n]
    runs = {"cold": [], "ahead": []}
    for r in rows:
        for mode in ("ahead", "cold"):
            runs[mode].append(_interview_timings(services, bank[r["qid"]], r["answer"], ahead=mode == "ahead"))
    figures: dict = {"interview_answers": len(rows)}
    for mode, results in runs.items():
        for key in ("score_s", "first_feedback_s", "followup_s"):
            values = [x[key] for x in results if key in x]
            if values:
                figures[f"interview_{mode}_{key}_median"] = statistics.median(values)
    return figures


def run_bench(settings: Settings, make_services: Callable[[Settings], object], skip_llm: bool = False,
              log=print) -> dict:
    figures: dict = {"cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        data_dir = Path(tmp)
        if settings.chat.llm_provider == "local" and not skip_llm:  # reuse the assembled model file
            cache = settings.paths.model_cache_dir
            if cache.exists():
                (data_dir / "models").symlink_to(cache, target_is_directory=True)
        log("ingest: cold, then warm (fresh processes)…")
        figures.update(bench_ingest(data_dir))
        services = make_services(settings.replace(data_dir=data_dir))
        log("retrieval over the notes' own questions…")
        figures.update(bench_retrieval(services))
        if not skip_llm:
            log(f"chat model: '{BENCH_QUESTION}' through the chain, then raw xllamacpp…")
            figures.update(bench_llm(services))
            log(f"coach ask from a fresh process: '{BENCH_QUESTION}'…")
            figures.update(bench_cold_ask(data_dir))
            log("Ask: first token with and without reading ahead while the question is typed…")
            figures.update(bench_read_ahead(services))
            log("interviewer: score, first feedback word and follow-up, with and without reading ahead…")
            figures.update(bench_interview(services))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return figures
