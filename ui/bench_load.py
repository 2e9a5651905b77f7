"""`coach bench --load`: simulated users asking at the same time.

The real app (``build_app``, its queue as ``coach ui`` sets it up) is served on 127.0.0.1 on a
free port; each simulated user is a ``gradio_client.Client`` (its own session, so its own
conversation) that asks its questions one after the other through the Ask tab's ``/ask``
endpoint, all users starting together.  Per answer: the wait from submitting to the start of
processing (the handler's first update) and to the first answer word, the total time, errors, and
whether the answer was the user's own (its chat holds exactly that user's questions, the sources
panel is headed by its question) and retrieved the question's notes (a golden source heading of
the question in the panel).

``bench_endpoint_direct`` runs the same users straight on the answer chain, one thread each, with
no app queue in between: against an OpenAI-compatible server with parallel slots it shows what
parallel generation would give.  ``serve_slots`` starts such a server offline from the embedded
model, as `coach model-server` does, on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import html
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import CoachError
from core.settings import Settings
from evals.golden import load_golden
from evals.metrics import norm_heading, percentile

WARNING_MARK = "\u26a0\ufe0f"  # how the Ask tab shows an error inside the chat
WAIT_TARGET_S = 10.0  # the mean queue wait the one-line conclusion counts users against
ASK_EVERY_S = 120.0  # how often a studying user asks, for that count


@dataclass(frozen=True)
class LoadQuestion:
    text: str
    markers: tuple[str, ...]  # headings of the notes that answer it (any one in the sources = matched)


def golden_load_questions(files: set[str] | None = None) -> list[LoadQuestion]:
    """The golden set's single-turn factual and compare questions (in file order), with their
    source headings as markers; only those whose sources are all in ``files`` when given."""
    out = []
    for item in load_golden(kinds=["factual", "compare"]):
        if files is not None and not all(s["file"] in files for s in item["sources"]):
            continue
        out.append(LoadQuestion(item["question"], tuple(s["heading"] for s in item["sources"])))
    return out


def assign(questions: list[LoadQuestion], users: int, per_user: int) -> list[list[LoadQuestion]]:
    """Distinct questions for every user (user u gets questions u, u+users, ...)."""
    if users * per_user > len(questions):
        raise CoachError(f"{users} users x {per_user} questions need {users * per_user} distinct questions; "
                         f"only {len(questions)} are available")
    return [[questions[u + i * users] for i in range(per_user)] for u in range(users)]


def _text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def _norm(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split()).lower()


def check_answer(chat: list[dict], panel: str, asked: list[str], question: LoadQuestion) -> dict:
    """Is the final state the user's own (its chat holds exactly ``asked``, the latest sources are
    headed by its question) and did retrieval bring the question's notes (a marker heading)?"""
    users_turns = [" ".join(_text(m).split()) for m in chat if m.get("role") == "user"]
    answer = _text(chat[-1]) if chat and chat[-1].get("role") == "assistant" else ""
    latest = panel.split("<details", 1)[0]
    head = re.search(r'class="sources-q">(.*?)</div>', latest, re.S)
    headed = _norm(head.group(1)).removeprefix("for:").strip() if head else ""  # "For: <question, clipped>"
    own = users_turns == [" ".join(q.split()) for q in asked] and headed.startswith(_norm(asked[-1])[:60])
    titles = _norm(latest)
    matched = any(norm_heading(m) in titles for m in question.markers)
    return {"own": own, "sources_matched": matched, "error": (not answer.strip()) or WARNING_MARK in answer,
            "answer_chars": len(answer)}


def _user_session(url: str, questions: list[LoadQuestion], start: threading.Barrier, results: list, timeout: float) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    asked: list[str] = []
    start.wait()
    for q in questions:
        asked.append(q.text)
        row = {"question": q.text}
        t0 = time.perf_counter()
        try:
            job = client.submit(q.text, api_name="/ask")
            first_update = first_word = None
            out = None
            for out in job:
                now = time.perf_counter()
                first_update = first_update or now
                chat = out[0] or []
                if first_word is None and chat and chat[-1].get("role") == "assistant" and _text(chat[-1]).strip():
                    first_word = now
                if now - t0 > timeout:
                    job.cancel()
                    raise TimeoutError(f"no answer within {timeout:.0f} s")
            end = time.perf_counter()
            if out is None:
                raise CoachError("the app returned nothing")
            row.update(check_answer(out[0] or [], out[1] or "", asked, q), queue_wait_s=(first_update or end) - t0,
                       first_word_s=(first_word or end) - t0, total_s=end - t0)
        except Exception as e:  # counted and reported; the other users go on
            row.update(error=True, own=False, sources_matched=False, failure=f"{type(e).__name__}: {e}"[:200],
                       total_s=time.perf_counter() - t0)
        results.append(row)


def _stats(rows: list[dict], prefix: str) -> dict:
    out: dict = {}
    for key in ("queue_wait_s", "first_word_s", "total_s"):
        values = [r[key] for r in rows if key in r and not r.get("failure")]
        if values:
            out[f"{prefix}{key[:-2]}_p50_s"] = percentile(values, 50)
            out[f"{prefix}{key[:-2]}_p95_s"] = percentile(values, 95)
    return out


def summarise(rows: list[dict], wall_s: float, users: int, prefix: str) -> dict:
    ok = [r for r in rows if not r.get("error")]
    fig = {f"{prefix}users": users, f"{prefix}answers": len(rows), f"{prefix}errors": len(rows) - len(ok),
           f"{prefix}not_own": sum(1 for r in rows if not r.get("own")),
           f"{prefix}sources_matched": sum(1 for r in rows if r.get("sources_matched")),
           f"{prefix}wall_s": round(wall_s, 1),
           f"{prefix}answers_per_min": round(60 * len(ok) / max(wall_s, 1e-6), 2)}
    fig.update(_stats(rows, prefix))
    if failures := [r["failure"] for r in rows if r.get("failure")]:
        fig[f"{prefix}failures"] = failures[:5]
    return fig


def run_users(url: str, plan: list[list[LoadQuestion]], timeout: float = 600.0) -> tuple[list[dict], float]:
    """Every user's session in its own thread, all starting at once; (rows, wall seconds)."""
    results: list[dict] = []
    start = threading.Barrier(len(plan) + 1)
    threads = [threading.Thread(target=_user_session, args=(url, qs, start, results, timeout), daemon=True,
                                name=f"bench-user-{i}") for i, qs in enumerate(plan)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join(timeout * len(plan[0]) + 60)
    return results, time.perf_counter() - t0


def bench_app_load(settings: Settings, services, plan: list[list[LoadQuestion]], prefix: str = "load_",
                   log=print, timeout: float = 600.0) -> dict:
    """The app on a free loopback port, one warm-up question, then every user at once."""
    from gradio_client import Client

    from ui.app import build_app, launch

    demo = build_app(settings, services)
    launch(demo, settings, server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True)
    try:
        url = demo.local_url
        t0 = time.perf_counter()
        Client(url, verbose=False).predict("What is MLOps?", api_name="/ask")  # the chat model loads here
        warm = round(time.perf_counter() - t0, 1)
        log(f"  app at {url}; warm-up answer {warm} s; {len(plan)} users x {len(plan[0])} questions…")
        rows, wall = run_users(url, plan, timeout)
    finally:
        with contextlib.redirect_stdout(sys.stderr):  # Gradio prints "Closing server…": keep stdout for --json
            demo.close()
    return {f"{prefix}warmup_s": warm, **summarise(rows, wall, len(plan), prefix)}


def bench_endpoint_direct(services, plan: list[list[LoadQuestion]], prefix: str = "direct_") -> dict:
    """The same users on the answer chain itself (one chain per user, no app queue): first word
    and total per answer; queue wait is the server's, inside the first-word time."""
    from rag.chain import Answer, AnswerChain, Sources, Token

    rows: list[dict] = []
    start = threading.Barrier(len(plan) + 1)

    def session(questions: list[LoadQuestion]) -> None:
        chain = AnswerChain(services.settings.answer, services.retriever, services.chat_model)
        history: list[str] = []
        start.wait()
        for q in questions:
            t0 = time.perf_counter()
            row: dict = {"question": q.text, "own": True}
            first, text, sources = None, "", ""
            try:
                for ev in chain.stream(q.text, history):
                    if isinstance(ev, Sources):
                        row["queue_wait_s"] = time.perf_counter() - t0  # retrieval only: no queue here
                        sources = " ".join(h for b in ev.blocks for h in b.chunk.headings)
                    elif isinstance(ev, Token) and first is None and ev.text.strip():
                        first = time.perf_counter()
                    elif isinstance(ev, Answer):
                        text = ev.answer
                end = time.perf_counter()
                row.update(first_word_s=(first or end) - t0, total_s=end - t0, error=not text.strip(),
                           sources_matched=any(norm_heading(m) in _norm(sources) for m in q.markers))
            except Exception as e:
                row.update(error=True, failure=f"{type(e).__name__}: {e}"[:200], total_s=time.perf_counter() - t0)
            history.append(q.text)
            rows.append(row)

    threads = [threading.Thread(target=session, args=(qs,), daemon=True) for qs in plan]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return summarise(rows, time.perf_counter() - t0, len(plan), prefix)


def serve_slots(settings: Settings, slots: int) -> tuple[str, str]:
    """The embedded model as an OpenAI-compatible server with ``slots`` parallel slots on
    127.0.0.1 (what `coach model-server` runs, here in this process on a free port), each slot
    with the configured context; returns (base URL, API key)."""
    import secrets

    from rag.llm.factory import resolve_model_path
    from rag.llm.xllama import serve_http

    key = secrets.token_hex(16)
    path = resolve_model_path(settings.chat, settings.paths.model_cache_dir)
    url = serve_http(path, host="127.0.0.1", port=_free_port(), parallel=slots, n_ctx_per_slot=settings.chat.n_ctx,
                     n_threads=settings.chat.n_threads, api_key=key)
    return url, key


def users_at_wait(service_s: float, target_s: float = WAIT_TARGET_S, every_s: float = ASK_EVERY_S) -> float:
    """Users, each asking a question every ``every_s`` seconds, that one model slot answering in
    ``service_s`` seconds each serves at a mean queue wait of ``target_s`` (M/D/1 queue: mean wait
    = load x service / (2 (1 - load)), so load <= 2 target / (service + 2 target))."""
    load = 2 * target_s / (service_s + 2 * target_s)
    return load * every_s / service_s


def conclusion(fig: dict, prefix: str, label: str, target_s: float = WAIT_TARGET_S) -> str:
    """One line: what the users waited for their first words, and what the measured seconds per
    answer (wall / answers) mean for a team (``users_at_wait``)."""
    answers = fig.get(f"{prefix}answers", 0)
    if not answers or f"{prefix}first_word_p50_s" not in fig:
        return f"{label}: no answers measured"
    service = fig[f"{prefix}wall_s"] / answers  # seconds of the machine per answer under load
    return (f"{label}: {fig[f'{prefix}users']} users asking back to back waited {fig[f'{prefix}first_word_p50_s']} s "
            f"median / {fig[f'{prefix}first_word_p95_s']} s p95 for their first words "
            f"({fig[f'{prefix}answers_per_min']} answers/min, {service:.1f} s of the machine each; "
            f"{fig[f'{prefix}errors']} errors, {fig[f'{prefix}not_own']} answers not the user's own): one 2-core machine "
            f"serves about {users_at_wait(service, target_s):.1f} users who each ask every {ASK_EVERY_S / 60:.0f} min "
            f"at a {target_s:.0f} s mean queue wait (M/D/1 estimate).")


def bench_load(settings: Settings, make_services: Callable[[Settings], object], users: int = 8, per_user: int = 2,
               slots: int = 0, log=print, timeout: float = 600.0) -> dict:
    """The app with the configured chat model; with ``slots`` > 0 also an OpenAI-compatible
    server of the embedded model with that many parallel slots, through the app and directly.
    Everything runs on a temporary data folder (the notes indexed there first)."""
    import tempfile
    from pathlib import Path

    figures: dict = {"load_users": users, "load_questions_per_user": per_user}
    with tempfile.TemporaryDirectory(prefix="coach-load-") as tmp:
        data_dir = Path(tmp)
        cache = settings.paths.model_cache_dir
        if cache.exists():  # reuse the assembled model file
            (data_dir / "models").symlink_to(cache, target_is_directory=True)
        s = settings.replace(data_dir=data_dir)
        services = make_services(s)
        services.ingest()
        files = set((services.index.meta() or {}).get("files", {}))
        questions = golden_load_questions(files)
        if len(questions) < users * per_user:  # notes the golden set does not cover
            questions = _bank_questions(services)
        plan = assign(questions, users, per_user)
        log(f"load: {users} users x {per_user} questions through the app ({model_name(s)})…")
        figures.update(bench_app_load(s, services, plan, "load_", log, timeout))
        lines = [conclusion(figures, "load_", f"app, {model_name(s)}")]
        if slots:
            log(f"load: the embedded model as an OpenAI-compatible server with {slots} parallel slots…")
            url, key = serve_slots(s, slots)
            es = s.replace(llm_provider="openai", openai_base_url=url, openai_api_key=key, openai_model="local")
            endpoint_services = make_services(es)
            figures["endpoint_slots"] = slots
            figures.update(bench_app_load(es, endpoint_services, plan, "endpoint_app_", log, timeout))
            lines.append(conclusion(figures, "endpoint_app_", f"app, endpoint with {slots} slots"))
            log(f"load: the same users straight on the chain against the {slots}-slot endpoint (no app queue)…")
            figures.update(bench_endpoint_direct(endpoint_services, plan, "endpoint_direct_"))
            lines.append(conclusion(figures, "endpoint_direct_", f"chain without the app queue, {slots} slots"))
    figures["load_conclusion"] = lines
    return figures


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bank_questions(services) -> list[LoadQuestion]:
    """The notes' own answered questions (for notes the golden set does not cover)."""
    return [LoadQuestion(q.question, (q.question,)) for q in services.question_bank() if q.answer.strip()]


def model_name(settings: Settings) -> str:
    from ui.common import model_label

    return model_label(settings.chat)
